using System.Buffers.Binary;
using System.Text;
using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Tests;
using TorchSharp;

namespace Experiments.Core.Tests.Data;

/// <summary>
/// The one set of safetensors header rules (<see cref="SafeTensorsHeader"/>), on files built here byte by byte: every
/// broken rule is refused with what is wrong, and the same file gives the same reason through
/// <see cref="SafeTensorsFile.Read"/> (training states, the dataset cache) and <see cref="ModelCheckpoint.ReadTensors"/>
/// (model checkpoints, read by TorchSharp.PyBridge after the check).
/// </summary>
public sealed class SafeTensorsHeaderTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A file of <paramref name="header"/> (taken as is, not padded) followed by <paramref name="dataBytes"/> bytes of data.</summary>
    private static byte[] Built(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        for (var i = 0; i < dataBytes; i++)
        {
            file[8 + json.Length + i] = (byte)(i + 1);
        }

        return file;
    }

    private const string TwoTensors = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";

    public static TheoryData<string, byte[], string> Damaged => new()
    {
        { "empty", [], "it has 0 bytes, fewer than the 8 of the header's length (too short for a safetensors file)" },
        { "length only", [3, 0, 0], "it has 3 bytes, fewer than the 8 of the header's length (too short for a safetensors file)" },
        { "header past the end", Built(TwoTensors, 11)[..20], "its header length 107 does not fit in its 20 bytes" },
        { "not JSON", Built("{\"a\":", 0), "its header is not UTF-8 JSON" },
        { "not UTF-8", [.. Built("{\"a\":{}}", 0)[..9], 0xFF, .. Built("{\"a\":{}}", 0)[10..]], "its header is not UTF-8 JSON" },
        { "an array", Built("[1, 2]", 0), "its header is a JSON Array, not an object" },
        { "no dtype", Built("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' is not described by a dtype, a shape and two data_offsets" },
        { "three offsets", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1), "tensor 'a' is not described by a dtype, a shape and two data_offsets" },
        { "unknown dtype", Built(TwoTensors.Replace("F32", "F31", StringComparison.Ordinal), 11), "tensor 'a' has dtype 'F31', which the format does not define" },
        { "negative dimension", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "tensor 'a' has a shape that is not a list of non-negative integers" },
        { "fractional dimension", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[1.5],\"data_offsets\":[0,0]}}", 0), "tensor 'a' has a shape that is not a list of non-negative integers" },
        { "overflowing shape", Built("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0), "tensor 'a' has a shape [4294967296, 4294967296] too large for any file" },
        { "negative offset", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[-1,0]}}", 0), "tensor 'a' has a data offset that is not a non-negative integer" },
        { "range of the wrong size", Built(TwoTensors.Replace("[0,8]", "[0,7]", StringComparison.Ordinal), 11), "tensor 'a' of dtype F32 and shape [2] needs 8 bytes, but its data_offsets [0, 7] hold 7" },
        { "range backwards", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[3,0]}}", 3), "tensor 'a' of dtype U8 and shape [0] needs 0 bytes, but its data_offsets [3, 0] hold -3" },
        { "gap", Built(TwoTensors.Replace("[8,11]", "[9,12]", StringComparison.Ordinal), 12), "tensor 'b' starts at byte 9 of the data, but the data before it ends at 8 (a gap or an overlap)" },
        { "overlap", Built(TwoTensors.Replace("[8,11]", "[7,10]", StringComparison.Ordinal), 10), "tensor 'b' starts at byte 7 of the data, but the data before it ends at 8 (a gap or an overlap)" },
        { "not from 0", Built("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "tensor 'a' starts at byte 1 of the data, but the data before it ends at 0 (a gap or an overlap)" },
        { "truncated", Built(TwoTensors, 11)[..^1], "its tensors take 11 bytes, but 10 follow the header (truncated, or bytes added)" },
        { "a byte more", [.. Built(TwoTensors, 11), 0], "its tensors take 11 bytes, but 12 follow the header (truncated, or bytes added)" },
        { "a name twice", Built(TwoTensors.Replace("\"b\"", "\"a\"", StringComparison.Ordinal), 11), "its header names 'a' twice" },
        { "metadata twice", Built("{\"__metadata__\":{},\"__metadata__\":{}}", 0), "its header names '__metadata__' twice" },
        { "metadata not an object", Built("{\"__metadata__\":[\"x\"]}", 0), "its __metadata__ is a JSON Array, not an object of strings" },
        { "metadata not a string", Built("{\"__metadata__\":{\"epoch\":3}}", 0), "its __metadata__ entry 'epoch' is not a string given once" },
        { "metadata key twice", Built("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0), "its __metadata__ entry 'k' is not a string given once" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void A_file_breaking_a_rule_is_refused_the_same_way_by_every_reader(string damage, byte[] content, string message)
    {
        var folder = _temp.Combine(damage);
        var path = _temp.Write(Path.Combine(damage, CheckpointFiles.Model), content);

        var header = Assert.Throws<InvalidDataException>(() => SafeTensorsHeader.Read(path));
        Assert.StartsWith(message, header.Message, StringComparison.Ordinal);

        var file = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.Equal(header.Message, file.Message);

        var checkpoint = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.ReadTensors(folder));
        Assert.Equal($"The checkpoint file '{path}' is not a readable safetensors file: {header.Message}", checkpoint.Message);
    }

    [Fact]
    public void A_valid_header_gives_the_entries_in_data_order_the_metadata_and_where_the_data_starts()
    {
        const string json = "{\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]},\"__metadata__\":{\"k\":\"v\"},\"e\":{\"dtype\":\"I64\",\"shape\":[0,4],\"data_offsets\":[8,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var path = _temp.Write("ok.safetensors", Built(json, 11));

        var header = SafeTensorsHeader.Read(path);

        Assert.Equal(["a", "e", "b"], header.Entries.Select(e => e.Name));
        Assert.Equal(["F32", "I64", "U8"], header.Entries.Select(e => e.DType));
        Assert.Equal([0L, 4], header.Entries[1].Shape);
        Assert.Equal([(0L, 8L), (8L, 8L), (8L, 11L)], header.Entries.Select(e => (e.Begin, e.End)));
        Assert.Equal(new Dictionary<string, string> { ["k"] = "v" }, header.Metadata);
        Assert.Equal(8 + Encoding.UTF8.GetByteCount(json), header.DataStart);
    }

    [Fact]
    public void A_dtype_the_format_defines_but_TorchSharp_lacks_passes_the_rules_and_is_refused_by_the_tensor_reader()
    {
        var path = _temp.Write("u16.safetensors", Built("{\"a\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4));

        Assert.Equal("U16", SafeTensorsHeader.Read(path).Entries[0].DType);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.Equal("tensor 'a' has dtype 'U16', which TorchSharp has no type for", error.Message);
    }

    public static TheoryData<torch.ScalarType, string> DTypes => new()
    {
        { torch.ScalarType.Bool, "BOOL" },
        { torch.ScalarType.Byte, "U8" },
        { torch.ScalarType.Int8, "I8" },
        { torch.ScalarType.Int16, "I16" },
        { torch.ScalarType.Int32, "I32" },
        { torch.ScalarType.Int64, "I64" },
        { torch.ScalarType.Float16, "F16" },
        { torch.ScalarType.BFloat16, "BF16" },
        { torch.ScalarType.Float32, "F32" },
        { torch.ScalarType.Float64, "F64" },
    };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void Every_TorchSharp_dtype_a_state_dict_can_hold_is_written_under_its_safetensors_name_and_read_back_bit_for_bit(torch.ScalarType type, string name)
    {
        using var values = torch.tensor(new double[] { 0, 1, -2, 3.5, 100, -0.25 }, [2, 3]);
        using var typed = type == torch.ScalarType.Bool ? values.ne(0) : values.to_type(type);
        var path = _temp.Combine(name + ".safetensors");
        using (var stream = File.Create(path))
        {
            SafeTensorsFile.Write(stream, [new("t", typed)], new Dictionary<string, string>());
        }

        var entry = Assert.Single(SafeTensorsHeader.Read(path).Entries);
        Assert.Equal(name, entry.DType);
        Assert.Equal(name, SafeTensorsFile.DTypeName(type));
        var (tensors, _) = SafeTensorsFile.Read(path);
        using var read = Assert.Single(tensors).Value;
        Assert.Equal(type, read.dtype);
        Assert.Equal([2L, 3], read.shape);
        Assert.Equal(typed.bytes.ToArray(), read.bytes.ToArray());
    }
}
