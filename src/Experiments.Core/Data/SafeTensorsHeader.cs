using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Experiments.Data;

/// <summary>One tensor a safetensors header describes: its dtype name (<c>F32</c>, <c>I64</c>, ...), shape and byte range in the data.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// The header of a safetensors file (https://github.com/huggingface/safetensors), read and checked against every rule
/// of the format before a byte of tensor data is trusted: an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON (an object of tensors, each named once, plus an optional <c>__metadata__</c> object of strings), then the
/// tensors' bytes: each entry's dtype one the format defines, its byte range exactly shape × dtype size, the ranges
/// back to back from 0 and ending at the end of the file.
/// </summary>
/// <remarks>
/// The one implementation of these rules: <see cref="SafeTensorsFile.Read"/> (training states, the decoded dataset
/// cache) and the model checkpoint (whose data TorchSharp.PyBridge then reads) both call it. Hand-written because
/// PyBridge's reader trusts the file (it reads each range with one <c>Stream.Read</c> whose count it does not check,
/// so a truncated file loads with zeros in place of the missing bytes) and TorchSharp has no safetensors reader.
/// Every broken rule is an <see cref="InvalidDataException"/> saying what is wrong (without the path: the caller
/// names the file).
/// </remarks>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart)
{
    /// <summary>Headers larger than this are taken as damage (the format's reference implementation refuses above 100 MB).</summary>
    private const long MaxHeaderLength = 100_000_000;

    /// <summary>Bytes per element of each dtype the format defines.</summary>
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
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

    /// <summary>Reads and checks the header of the file at <paramref name="path"/>.</summary>
    public static SafeTensorsHeader Read(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(handle);
    }

    /// <summary>
    /// Reads and checks the header of the open file <paramref name="handle"/> (with positioned reads: a stream over the
    /// handle stays where it was). The entries are in the order of their data.
    /// </summary>
    public static SafeTensorsHeader Read(SafeFileHandle handle)
    {
        var length = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || RandomAccess.Read(handle, prefix, 0) < 8)
        {
            throw Invalid($"it has {length} bytes, fewer than the 8 of the header's length (too short for a safetensors file)");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength || (long)headerLength > length - 8)
        {
            throw Invalid($"its header length {headerLength} does not fit in its {length} bytes");
        }

        var header = new byte[(int)headerLength];
        for (var read = 0; read < header.Length;)
        {
            var n = RandomAccess.Read(handle, header.AsSpan(read), 8 + read);
            read += n > 0 ? n : throw Invalid("the file ended inside its header");
        }

        var dataStart = 8 + (long)headerLength;
        var (entries, metadata) = Parse(header, length - dataStart);
        return new SafeTensorsHeader(entries, metadata, dataStart);
    }

    private static (List<SafeTensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(byte[] header, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header));
        }
        catch (Exception exception) when (exception is DecoderFallbackException or JsonException)
        {
            throw Invalid($"its header is not UTF-8 JSON ({exception.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"its header is a JSON {document.RootElement.ValueKind}, not an object");
            }

            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw Invalid($"its header names '{property.Name}' twice");
                }

                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata);
                }
                else
                {
                    entries.Add(Entry(property));
                }
            }

            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (var entry in entries)
            {
                if (entry.Begin != expected)
                {
                    throw Invalid($"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, but the data before it ends at {expected} (a gap or an overlap)");
                }

                expected = entry.End;
            }

            if (expected != dataLength)
            {
                throw Invalid($"its tensors take {expected} bytes, but {dataLength} follow the header (truncated, or bytes added)");
            }

            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"its __metadata__ is a JSON {value.ValueKind}, not an object of strings");
        }

        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String || !metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Invalid($"its __metadata__ entry '{item.Name}' is not a string given once");
            }
        }
    }

    private static SafeTensorsEntry Entry(JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Invalid($"tensor '{property.Name}' is not described by a dtype, a shape and two data_offsets");
        }

        var type = dtype.GetString()!;
        if (!ElementSizes.TryGetValue(type, out var size))
        {
            throw Invalid($"tensor '{property.Name}' has dtype '{type}', which the format does not define");
        }

        var dimensions = new List<long>();
        foreach (var dimension in shape.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var d) || d < 0)
            {
                throw Invalid($"tensor '{property.Name}' has a shape that is not a list of non-negative integers");
            }

            dimensions.Add(d);
        }

        var bytes = ByteCount(dimensions, size)
            ?? throw Invalid($"tensor '{property.Name}' has a shape [{string.Join(", ", dimensions)}] too large for any file");
        var begin = Offset(offsets[0], property.Name);
        var end = Offset(offsets[1], property.Name);
        if (end < begin || end - begin != bytes)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"tensor '{property.Name}' of dtype {type} and shape [{string.Join(", ", dimensions)}] needs {bytes} bytes, but its data_offsets [{begin}, {end}] hold {end - begin}"));
        }

        return new SafeTensorsEntry(property.Name, type, [.. dimensions], begin, end);
    }

    /// <summary>The bytes of a tensor of these dimensions, or null when the count does not fit a long.</summary>
    private static long? ByteCount(List<long> dimensions, int elementSize)
    {
        if (dimensions.Contains(0))
        {
            return 0;
        }

        long bytes = elementSize;
        foreach (var d in dimensions)
        {
            if (bytes > long.MaxValue / d)
            {
                return null;
            }

            bytes *= d;
        }

        return bytes;
    }

    private static long Offset(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var offset) && offset >= 0
            ? offset
            : throw Invalid($"tensor '{name}' has a data offset that is not a non-negative integer");

    private static InvalidDataException Invalid(string what) => new(what);
}
