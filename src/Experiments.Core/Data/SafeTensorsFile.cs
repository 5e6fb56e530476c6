using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TorchSharp;

namespace Experiments.Data;

/// <summary>One tensor to write under a name: a contiguous CPU tensor of uint8 (<c>U8</c>), float32 (<c>F32</c>) or int64 (<c>I64</c>).</summary>
internal sealed record SafeTensor(string Name, torch.Tensor Tensor);

/// <summary>
/// Reads and writes tensor files in the safetensors layout (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8) mapping each tensor's
/// name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus a <c>__metadata__</c> map of strings, then the
/// tensors' raw little-endian bytes back to back. Python's <c>safetensors.torch.load_file</c> reads what this writes.
/// </summary>
/// <remarks>
/// Hand-written (about a hundred lines with the checks): TorchSharp reads and writes only its own format, and
/// TorchSharp.PyBridge's safetensors support loads and saves a module's state dict, not a free set of named
/// tensors with a <c>__metadata__</c> map; the layout is small and fully specified. Only the three dtypes the dataset
/// cache uses are supported.
/// </remarks>
internal static class SafeTensorsFile
{
    /// <summary>Larger headers are taken as corruption (the dataset cache's headers are a few hundred bytes).</summary>
    private const long MaxHeaderLength = 1 << 20;

    /// <summary>Largest span read or written at once (a span's length is an int).</summary>
    private const int Chunk = 1 << 30;

    /// <summary>
    /// Writes the file to <paramref name="stream"/>: the header, then each tensor's bytes straight from its memory
    /// (no copy of the content is built).
    /// </summary>
    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        EnsureLittleEndian();
        foreach (var tensor in tensors)
        {
            if (tensor.Tensor.device_type != DeviceType.CPU || !tensor.Tensor.is_contiguous())
            {
                throw new ArgumentException($"tensor {tensor.Name}: not a contiguous CPU tensor", nameof(tensors));
            }
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            long offset = 0;
            foreach (var tensor in tensors)
            {
                long length = ByteLength(tensor.Tensor);
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", Dtype(tensor.Tensor.dtype));
                writer.WriteStartArray("shape");
                foreach (long dimension in tensor.Tensor.shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += length;
            }

            writer.WriteEndObject();
        }

        long headerLength = (json.Length + 7) / 8 * 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)headerLength);
        stream.Write(prefix);
        stream.Write(json.GetBuffer().AsSpan(0, (int)json.Length));
        for (long pad = json.Length; pad < headerLength; pad++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var tensor in tensors)
        {
            long length = ByteLength(tensor.Tensor);
            for (long done = 0; done < length; done += Chunk)
            {
                stream.Write(Memory(tensor.Tensor, done, (int)Math.Min(Chunk, length - done)));
            }
        }
    }

    /// <summary>
    /// Reads a file into CPU tensors (the caller owns them) and its metadata. Anything that is not a complete,
    /// consistent file of this layout is an <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public static (Dictionary<string, torch.Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        EnsureLittleEndian();
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || RandomAccess.Read(handle, prefix, 0) != 8)
        {
            throw new InvalidDataException($"{length} bytes: too short for a header");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength || (long)headerLength > length - 8)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"header length {headerLength} does not fit the file's {length} bytes"));
        }

        var header = new byte[headerLength];
        RandomAccess.Read(handle, header, 8);
        long dataStart = 8 + (long)headerLength;
        var entries = new List<(string Name, torch.ScalarType Type, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(header);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        metadata[item.Name] = item.Value.GetString() ?? throw new InvalidDataException($"metadata {item.Name} is not a string");
                    }

                    continue;
                }

                var value = property.Value;
                string dtype = value.GetProperty("dtype").GetString() ?? "";
                long[] shape = [.. value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())];
                long[] offsets = [.. value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64())];
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || shape.Any(d => d < 0)
                    || offsets[1] - offsets[0] != shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype))
                {
                    throw new InvalidDataException($"tensor {property.Name}: offsets [{string.Join(", ", offsets)}] do not fit {dtype} [{string.Join(", ", shape)}]");
                }

                entries.Add((property.Name, ScalarType(dtype), shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"invalid header: {e.Message}", e);
        }

        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        foreach (var entry in entries)
        {
            if (entry.Begin != expected)
            {
                throw new InvalidDataException($"tensor {entry.Name} starts at {entry.Begin}, not {expected}: the data is not contiguous");
            }

            expected = entry.End;
        }

        if (dataStart + expected != length)
        {
            throw new InvalidDataException($"the header describes {expected} bytes of data but the file holds {length - dataStart} (truncated or extended)");
        }

        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var tensor = torch.empty(entry.Shape, entry.Type);
                tensors[entry.Name] = tensor;
                long size = entry.End - entry.Begin;
                for (long read = 0; read < size;)
                {
                    // Straight into the tensor's storage, a chunk at a time.
                    int n = RandomAccess.Read(handle, Memory(tensor, read, (int)Math.Min(Chunk, size - read)), dataStart + entry.Begin + read);
                    if (n == 0)
                    {
                        throw new InvalidDataException($"tensor {entry.Name}: the file ended early");
                    }

                    read += n;
                }
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return (tensors, metadata);
    }

    /// <summary>The bytes of a contiguous CPU tensor's data.</summary>
    public static long ByteLength(torch.Tensor tensor) => tensor.NumberOfElements * tensor.ElementSize;

    /// <summary>
    /// <paramref name="length"/> bytes of a contiguous CPU tensor's memory from byte <paramref name="offset"/>, to
    /// read or write in place; valid while the tensor is alive.
    /// </summary>
    public static unsafe Span<byte> Memory(torch.Tensor tensor, long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > ByteLength(tensor))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + length}) is outside the tensor's {ByteLength(tensor)} bytes");
        }

        if (length == 0)
        {
            return [];
        }

        // TorchSharp 0.107 has no public data pointer: Tensor.bytes is a Span of int length (2 GB at most) over the
        // same memory, got through this native call, which is used here directly for long offsets.
        var data = THSTensor_data(tensor.Handle);
        if (data == IntPtr.Zero)
        {
            throw new InvalidOperationException("the tensor has no data pointer");
        }

        return new Span<byte>((byte*)data + offset, length);
    }

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr tensor);

    private static string Dtype(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Byte => "U8",
        torch.ScalarType.Float32 => "F32",
        torch.ScalarType.Int64 => "I64",
        _ => throw new ArgumentException($"unsupported tensor type {type}", nameof(type)),
    };

    private static int ElementSize(string dtype) => dtype switch
    {
        "U8" => 1,
        "F32" => 4,
        "I64" => 8,
        _ => throw new InvalidDataException($"unsupported dtype '{dtype}'"),
    };

    private static torch.ScalarType ScalarType(string dtype) => dtype switch
    {
        "U8" => torch.ScalarType.Byte,
        "F32" => torch.ScalarType.Float32,
        "I64" => torch.ScalarType.Int64,
        _ => throw new InvalidDataException($"unsupported dtype '{dtype}'"),
    };

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            // The layout is little-endian; every platform .NET and TorchSharp-cpu run on here is too.
            throw new PlatformNotSupportedException("safetensors files are little-endian; this machine is not");
        }
    }
}
