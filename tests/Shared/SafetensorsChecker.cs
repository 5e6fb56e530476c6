using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Experiments.Tests;

/// <summary>One tensor of a safetensors file as its header describes it, with its bytes.</summary>
internal sealed record CheckedTensor(string Name, string DType, long[] Shape, long Begin, long End, byte[] Data);

/// <summary>
/// An independent reading of the safetensors format (https://huggingface.co/docs/safetensors), for tests: written
/// from the specification, sharing no code with the product, so that a checkpoint is checked against the format and
/// not against the code that wrote it. Every rule broken is an exception naming it.
/// </summary>
internal static class SafetensorsChecker
{
    /// <summary>The dtypes of the specification and their sizes in bytes.</summary>
    public static IReadOnlyDictionary<string, int> DTypeSizes { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["F8_E5M2"] = 1,
        ["F8_E4M3"] = 1,
        ["I16"] = 2,
        ["U16"] = 2,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I32"] = 4,
        ["U32"] = 4,
        ["F32"] = 4,
        ["I64"] = 8,
        ["U64"] = 8,
        ["F64"] = 8,
    };

    /// <summary>
    /// Checks <paramref name="file"/> against the format's rules and returns its tensors in the header's order: an
    /// 8-byte little-endian header length N; N bytes of valid UTF-8 holding a JSON object; each entry but
    /// <c>__metadata__</c> (an object of strings) has a known dtype, a shape of non-negative integers and two data
    /// offsets whose difference is the shape's product times the dtype's size; names are unique; the ranges, in
    /// offset order, start at 0 and follow each other with no gap or overlap up to the file's last byte.
    /// </summary>
    public static IReadOnlyList<CheckedTensor> Check(byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Require(file.Length >= 8, $"the file has {file.Length} bytes, fewer than the 8 of the header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(0, 8));
        Require(headerLength <= (ulong)(file.Length - 8), $"the header length {headerLength} exceeds the {file.Length - 8} bytes after it");
        var headerBytes = file.AsSpan(8, (int)headerLength);
        string headerText;
        try
        {
            headerText = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes);
        }
        catch (DecoderFallbackException exception)
        {
            throw new InvalidDataException("the header is not valid UTF-8: " + exception.Message, exception);
        }

        // The specification allows trailing spaces as padding; nothing else may follow the object.
        using var header = JsonDocument.Parse(headerText.TrimEnd(' '));
        Require(header.RootElement.ValueKind == JsonValueKind.Object, $"the header is a JSON {header.RootElement.ValueKind}, not an object");
        var dataStart = 8 + (long)headerLength;
        var dataLength = file.Length - dataStart;
        var tensors = new List<CheckedTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            Require(names.Add(entry.Name), $"the name '{entry.Name}' appears twice");
            if (entry.Name == "__metadata__")
            {
                Require(entry.Value.ValueKind == JsonValueKind.Object && entry.Value.EnumerateObject().All(m => m.Value.ValueKind == JsonValueKind.String), "__metadata__ is not an object of strings");
                continue;
            }

            var dtype = entry.Value.GetProperty("dtype").GetString()!;
            Require(DTypeSizes.TryGetValue(dtype, out var size), $"'{entry.Name}' has the unknown dtype '{dtype}'");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            Require(shape.All(d => d >= 0), $"'{entry.Name}' has a negative dimension");
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
            Require(offsets.Length == 2 && offsets[0] >= 0 && offsets[1] >= offsets[0], $"'{entry.Name}' has data_offsets that are not [begin, end] with begin <= end");
            var bytes = shape.Aggregate(1L, (a, b) => a * b) * size;
            Require(offsets[1] - offsets[0] == bytes, $"'{entry.Name}': shape [{string.Join(", ", shape)}] of {dtype} needs {bytes} bytes, its range has {offsets[1] - offsets[0]}");
            Require(offsets[1] <= dataLength, $"'{entry.Name}' ends at {offsets[1]}, after the data's {dataLength} bytes");
            Require(entry.Value.EnumerateObject().All(p => p.Name is "dtype" or "shape" or "data_offsets"), $"'{entry.Name}' has a key the format does not define");
            tensors.Add(new CheckedTensor(entry.Name, dtype, shape, offsets[0], offsets[1], file.AsSpan((int)(dataStart + offsets[0]), (int)bytes).ToArray()));
        }

        long next = 0;
        foreach (var tensor in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            Require(tensor.Begin == next, $"'{tensor.Name}' starts at {tensor.Begin}, but the previous range ends at {next}: a gap or an overlap");
            next = tensor.End;
        }

        Require(next == dataLength, $"the tensors end at {next}, but the data has {dataLength} bytes");
        return tensors;
    }

    /// <summary>The tensor's values, little-endian float32.</summary>
    public static float[] Floats(CheckedTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Require(tensor.DType == "F32", $"'{tensor.Name}' is {tensor.DType}, not F32");
        return [.. Enumerable.Range(0, tensor.Data.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(tensor.Data.AsSpan(i * 4)))];
    }

    private static void Require(bool rule, string broken)
    {
        if (!rule)
        {
            throw new InvalidDataException("Not a valid safetensors file: " + broken);
        }
    }
}
