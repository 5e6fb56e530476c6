using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;

namespace Experiments.Data;

/// <summary>One tensor to write under a name: a contiguous CPU tensor of a dtype the format names (uint8 <c>U8</c>, float32 <c>F32</c>, int64 <c>I64</c>, ...).</summary>
internal sealed record SafeTensor(string Name, torch.Tensor Tensor);

/// <summary>
/// Reads and writes tensor files in the safetensors layout (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8) mapping each tensor's
/// name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus a <c>__metadata__</c> map of strings, then the
/// tensors' raw little-endian bytes back to back. Python's <c>safetensors.torch.load_file</c> reads what this writes.
/// </summary>
/// <remarks>
/// Hand-written (about a hundred lines; the header's checks are <see cref="SafeTensorsHeader"/>'s, shared with the
/// model checkpoint's reader): TorchSharp reads and writes only its own format, and TorchSharp.PyBridge's
/// safetensors support loads and saves a module's state dict, not a free set of named tensors with a
/// <c>__metadata__</c> map; the layout is small and fully specified.
/// </remarks>
internal static class SafeTensorsFile
{
    /// <summary>The TorchSharp dtypes and their safetensors names (the unsigned and 8-bit float ones have no TorchSharp type).</summary>
    private static readonly (torch.ScalarType Type, string Name)[] DTypes =
    [
        (torch.ScalarType.Bool, "BOOL"),
        (torch.ScalarType.Byte, "U8"),
        (torch.ScalarType.Int8, "I8"),
        (torch.ScalarType.Int16, "I16"),
        (torch.ScalarType.Int32, "I32"),
        (torch.ScalarType.Int64, "I64"),
        (torch.ScalarType.Float16, "F16"),
        (torch.ScalarType.BFloat16, "BF16"),
        (torch.ScalarType.Float32, "F32"),
        (torch.ScalarType.Float64, "F64"),
    ];

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
                writer.WriteString("dtype", DTypeName(tensor.Tensor.dtype));
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
    /// consistent file of this layout (<see cref="SafeTensorsHeader"/> checks the header) is an
    /// <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public static (Dictionary<string, torch.Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        EnsureLittleEndian();
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var header = SafeTensorsHeader.Read(handle);
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                var tensor = torch.empty(entry.Shape, ScalarType(entry));
                tensors[entry.Name] = tensor;
                long size = entry.End - entry.Begin;
                for (long read = 0; read < size;)
                {
                    // Straight into the tensor's storage, a chunk at a time.
                    int n = RandomAccess.Read(handle, Memory(tensor, read, (int)Math.Min(Chunk, size - read)), header.DataStart + entry.Begin + read);
                    if (n == 0)
                    {
                        throw new InvalidDataException($"tensor '{entry.Name}': the file ended early (it was cut while being read)");
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

        return (tensors, new Dictionary<string, string>(header.Metadata, StringComparer.Ordinal));
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

    /// <summary>The safetensors name of a TorchSharp dtype (<c>F32</c>, <c>I64</c>, ...).</summary>
    public static string DTypeName(torch.ScalarType type) =>
        DTypes.FirstOrDefault(d => d.Type == type).Name ?? throw new ArgumentException($"tensor type {type} has no safetensors dtype", nameof(type));

    private static torch.ScalarType ScalarType(SafeTensorsEntry entry) =>
        DTypes.FirstOrDefault(d => d.Name == entry.DType) is { Name: not null } d
            ? d.Type
            : throw new InvalidDataException($"tensor '{entry.Name}' has dtype '{entry.DType}', which TorchSharp has no type for");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            // The layout is little-endian; every platform .NET and TorchSharp-cpu run on here is too.
            throw new PlatformNotSupportedException("safetensors files are little-endian; this machine is not");
        }
    }
}
