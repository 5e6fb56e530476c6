using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Experiments.Checkpoints;

/// <summary>
/// Checks that a file is laid out as the safetensors format requires before its tensors are read: an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON (an object of tensors, plus an optional
/// <c>__metadata__</c> object of strings), then the tensors' bytes: each entry's dtype known, its byte range exactly
/// shape × dtype size, the ranges back to back from 0 and ending at the end of the file.
/// </summary>
/// <remarks>
/// Hand-written because TorchSharp.PyBridge's reader trusts the file: it reads each tensor's range with one
/// <c>Stream.Read</c> whose count it does not check, so a truncated file loads with zeros in place of the missing
/// bytes, and a range that does not fit its shape fails inside TorchSharp with no word of the file. This check makes
/// every such file an <see cref="InvalidDataException"/> that says what is wrong.
/// </remarks>
internal static class SafetensorsLayout
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

    /// <summary>Checks the file at <paramref name="path"/>; throws <see cref="InvalidDataException"/> (what is wrong, without the path) when it breaks a rule.</summary>
    public static void Check(string path)
    {
        using var stream = File.OpenRead(path);
        var length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            throw Invalid($"it has {length} bytes, fewer than the 8 of the header's length");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength || (long)headerLength > length - 8)
        {
            throw Invalid($"its header length {headerLength} does not fit in its {length} bytes");
        }

        var header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        CheckEntries(header, length - 8 - (long)headerLength);
    }

    private static void CheckEntries(byte[] header, long dataLength)
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

            var ranges = new List<(long Begin, long End, string Name)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (!names.Add(entry.Name))
                {
                    throw Invalid($"its header names '{entry.Name}' twice");
                }

                if (entry.Name != "__metadata__")
                {
                    ranges.Add(Range(entry));
                }
            }

            long expected = 0;
            foreach (var (begin, end, name) in ranges.OrderBy(r => r.Begin).ThenBy(r => r.End))
            {
                if (begin != expected)
                {
                    throw Invalid($"tensor '{name}' starts at byte {begin} of the data, but the data before it ends at {expected} (a gap or an overlap)");
                }

                expected = end;
            }

            if (expected != dataLength)
            {
                throw Invalid($"its tensors take {expected} bytes, but {dataLength} follow the header (truncated, or bytes added)");
            }
        }
    }

    private static (long Begin, long End, string Name) Range(JsonProperty entry)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Invalid($"tensor '{entry.Name}' is not described by a dtype, a shape and two data_offsets");
        }

        if (!ElementSizes.TryGetValue(dtype.GetString()!, out var size))
        {
            throw Invalid($"tensor '{entry.Name}' has dtype '{dtype.GetString()}', which the format does not define");
        }

        long elements = 1;
        foreach (var dimension in shape.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var d) || d < 0)
            {
                throw Invalid($"tensor '{entry.Name}' has a shape that is not a list of non-negative integers");
            }

            elements = checked(elements * d);
        }

        var begin = Offset(offsets[0], entry.Name);
        var end = Offset(offsets[1], entry.Name);
        if (end < begin || end - begin != checked(elements * size))
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"tensor '{entry.Name}' of dtype {dtype.GetString()} and shape [{string.Join(", ", shape.EnumerateArray())}] needs {elements * size} bytes, but its data_offsets [{begin}, {end}] hold {end - begin}"));
        }

        return (begin, end, entry.Name);
    }

    private static long Offset(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var offset) && offset >= 0
            ? offset
            : throw Invalid($"tensor '{name}' has a data offset that is not a non-negative integer");

    private static InvalidDataException Invalid(string what) => new(what);
}
