using System.Buffers.Binary;
using System.Text;
using Experiments.Data;
using Experiments.Tests;
using TorchSharp;

namespace Experiments.Core.Tests.Data;

/// <summary>
/// The streamed safetensors writer and reader: the bytes written are the layout built here by hand (8-byte length,
/// space-padded JSON header, the tensors' bytes back to back), and reading gives the same values back.
/// </summary>
public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Writes_the_layout_byte_for_byte_and_reads_it_back()
    {
        using var pixels = torch.tensor(new byte[] { 1, 2, 3, 4, 5, 250 }, [3, 2], torch.ScalarType.Byte);
        using var cells = torch.tensor(new[] { 0.5f, -2f }, [1, 2], torch.ScalarType.Float32);
        using var labels = torch.tensor(new[] { 7L, -1L, long.MaxValue }, [3], torch.ScalarType.Int64);
        using var empty = torch.empty([0, 2], torch.ScalarType.Byte);
        string path = _temp.Combine("t.safetensors");
        using (var stream = File.Create(path))
        {
            SafeTensorsFile.Write(stream, [new("p", pixels), new("c", cells), new("l", labels), new("e", empty)], new Dictionary<string, string> { ["z"] = "2", ["a"] = "1" });
        }

        string json = "{\"__metadata__\":{\"a\":\"1\",\"z\":\"2\"},"
            + "\"p\":{\"dtype\":\"U8\",\"shape\":[3,2],\"data_offsets\":[0,6]},"
            + "\"c\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[6,14]},"
            + "\"l\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[14,38]},"
            + "\"e\":{\"dtype\":\"U8\",\"shape\":[0,2],\"data_offsets\":[38,38]}}";
        int padded = (json.Length + 7) / 8 * 8;
        var expected = new List<byte>(new byte[8]);
        BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(expected), (ulong)padded);
        expected.AddRange(Encoding.UTF8.GetBytes(json.PadRight(padded)));
        expected.AddRange([1, 2, 3, 4, 5, 250]);
        expected.AddRange(BitConverter.GetBytes(0.5f).Concat(BitConverter.GetBytes(-2f)));
        expected.AddRange(new[] { 7L, -1L, long.MaxValue }.SelectMany(BitConverter.GetBytes));
        Assert.Equal(Convert.ToHexString([.. expected]), Convert.ToHexString(File.ReadAllBytes(path)));

        var (tensors, metadata) = SafeTensorsFile.Read(path);
        try
        {
            Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["z"] = "2" }, metadata);
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 250 }, tensors["p"].data<byte>().ToArray());
            Assert.Equal([3L, 2], tensors["p"].shape);
            Assert.Equal(new[] { 0.5f, -2f }, tensors["c"].data<float>().ToArray());
            Assert.Equal(new[] { 7L, -1L, long.MaxValue }, tensors["l"].data<long>().ToArray());
            Assert.Equal([0L, 2], tensors["e"].shape);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Fact]
    public void Refuses_a_tensor_that_is_not_contiguous()
    {
        using var matrix = torch.zeros([2, 3], torch.ScalarType.Byte);
        using var transposed = matrix.t();
        using var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(stream, [new("m", transposed)], new Dictionary<string, string>()));
        Assert.Contains("not a contiguous CPU tensor", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Memory_is_the_tensors_own_storage_and_checks_its_bounds()
    {
        using var values = torch.zeros([4], torch.ScalarType.Int64);
        SafeTensorsFile.Memory(values, 8, 8).Fill(0xFF);
        Assert.Equal(new[] { 0L, -1L, 0L, 0L }, values.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensorsFile.Memory(values, 25, 8).Length);
    }
}
