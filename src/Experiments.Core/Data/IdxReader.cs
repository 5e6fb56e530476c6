using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using TorchSharp;

namespace Experiments.Data;

/// <summary>The pixels of an IDX images file (magic 0x00000803), as one contiguous row-major buffer.</summary>
public sealed class IdxImages
{
    internal IdxImages(string filePath, int count, int rows, int columns, byte[] pixels, string? sha256)
    {
        FilePath = filePath;
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
        Sha256 = sha256;
    }

    public string FilePath { get; }

    public int Count { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary><c>Count * Rows * Columns</c> bytes: image after image, row after row.</summary>
    public byte[] Pixels { get; }

    /// <summary>Lower-case hex SHA-256 of the whole decompressed file (header included); null when not computed.</summary>
    public string? Sha256 { get; }
}

/// <summary>The labels of an IDX labels file (magic 0x00000801).</summary>
public sealed class IdxLabels
{
    internal IdxLabels(string filePath, byte[] labels, string? sha256)
    {
        FilePath = filePath;
        Labels = labels;
        Sha256 = sha256;
    }

    public string FilePath { get; }

    public int Count => Labels.Length;

    /// <summary>One class index per image.</summary>
    public byte[] Labels { get; }

    /// <summary>Lower-case hex SHA-256 of the whole decompressed file (header included); null when not computed.</summary>
    public string? Sha256 { get; }
}

/// <summary>
/// Reads MNIST-style IDX files, gzip-compressed or raw (told apart by the gzip magic bytes <c>1f 8b</c>, whatever
/// the file's name). Each file is decompressed straight into one preallocated buffer and hashed in the same pass;
/// every structural problem is a <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Largest accepted image side, in pixels.</summary>
    public const int MaxImageSide = 4096;

    /// <summary>Deflate cannot expand data by more than about 1032:1; a header claiming more is impossible.</summary>
    private const long MaxDeflateRatio = 1032;
    private const int ChunkSize = 1 << 20;

    /// <summary>Reads an images file: uint8 pixels [count, rows, columns].</summary>
    public static IdxImages ReadImages(string path, bool computeSha256 = true)
    {
        using var stream = OpenRead(path);
        return ReadImages(stream, path, computeSha256);
    }

    /// <summary>Reads a labels file and checks every label is below <paramref name="numClasses"/>.</summary>
    public static IdxLabels ReadLabels(string path, int numClasses, bool computeSha256 = true)
    {
        using var stream = OpenRead(path);
        return ReadLabels(stream, path, numClasses, computeSha256);
    }

    /// <summary>Opens a file for one sequential read, unbuffered (the reader reads big chunks itself).</summary>
    internal static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot open: {e.Message}", e);
        }
    }

    /// <summary>Reads an images file from a seekable stream positioned at its start.</summary>
    internal static IdxImages ReadImages(Stream file, string path, bool computeSha256)
    {
        var (dims, payload, sha) = Read(file, path, IdxKind.Images, computeSha256);
        return new IdxImages(path, dims[0], dims[1], dims[2], payload, sha);
    }

    /// <summary>Reads a labels file from a seekable stream positioned at its start.</summary>
    internal static IdxLabels ReadLabels(Stream file, string path, int numClasses, bool computeSha256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numClasses, 256);
        var (_, labels, sha) = Read(file, path, IdxKind.Labels, computeSha256);
        int bad = labels.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(numClasses - 1));
        if (bad >= 0)
        {
            throw new DataFormatException(path, $"label {labels[bad]} at index {bad} is out of range: the dataset has {numClasses} classes (labels 0-{numClasses - 1})");
        }

        return new IdxLabels(path, labels, sha);
    }

    /// <summary>Checks that a split has one label per image.</summary>
    public static void EnsureSameCount(IdxImages images, IdxLabels labels, string splitName)
    {
        if (images.Count != labels.Count)
        {
            throw new DataFormatException(
                labels.FilePath,
                $"{labels.Count} labels but {images.FilePath} has {images.Count} images: the {splitName} split needs exactly one label per image");
        }
    }

    /// <summary>
    /// Builds the split's two tensors (uint8 [count, 1, rows, columns] and int64 [count]) from the buffers: the only
    /// step that needs native torch.
    /// </summary>
    public static DataSplit ToSplit(IdxImages images, IdxLabels labels, string splitName)
    {
        EnsureSameCount(images, labels, splitName);
        var classes = new long[labels.Count];
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = labels.Labels[i];
        }

        torch.Tensor? pixels = null;
        torch.Tensor? targets = null;
        try
        {
            pixels = torch.tensor(images.Pixels, [images.Count, 1, images.Rows, images.Columns], torch.ScalarType.Byte);
            targets = torch.tensor(classes, [labels.Count], torch.ScalarType.Int64);
            return new DataSplit(pixels, targets);
        }
        catch
        {
            pixels?.Dispose();
            targets?.Dispose();
            throw;
        }
    }

    private enum IdxKind
    {
        Images,
        Labels,
    }

    private static (int[] Dims, byte[] Payload, string? Sha256) Read(Stream file, string path, IdxKind kind, bool computeSha256)
    {
        if (!file.CanSeek)
        {
            throw new ArgumentException("the stream must be seekable", nameof(file));
        }

        long fileLength = file.Length;
        if (fileLength == 0)
        {
            throw new DataFormatException(path, $"empty file (0 bytes): expected an IDX {KindWord(kind)} file");
        }

        Span<byte> peek = stackalloc byte[2];
        int peeked = file.ReadAtLeast(peek, 2, throwOnEndOfStream: false);
        file.Seek(0, SeekOrigin.Begin);
        bool gzip = peeked == 2 && peek[0] == 0x1f && peek[1] == 0x8b;

        using var source = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : null;
        using var hash = computeSha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        var reader = new Reader(source ?? file, hash);
        try
        {
            return ReadContent(reader, path, kind, gzip, fileLength);
        }
        catch (InvalidDataException e) when (gzip)
        {
            throw CorruptGzip(path, reader, e);
        }
        catch (DataFormatException e) when (gzip)
        {
            // Damaged compressed data can decompress to nonsense before zlib notices: when the content looks
            // wrong, finish decompressing, and blame the compression if its checks fail.
            try
            {
                reader.CountRemaining();
            }
            catch (InvalidDataException)
            {
                throw CorruptGzip(path, reader, e);
            }

            throw;
        }
    }

    private static DataFormatException CorruptGzip(string path, Reader reader, Exception inner) =>
        new(path, $"corrupt gzip data: decompression failed after {reader.Total} bytes of output (invalid compressed data or checksum); the file is damaged", inner);

    private static (int[] Dims, byte[] Payload, string? Sha256) ReadContent(Reader reader, string path, IdxKind kind, bool gzip, long fileLength)
    {
        string content = gzip ? "decompressed content" : "file";
        int expectedMagic = kind == IdxKind.Images ? ImagesMagic : LabelsMagic;
        int expectedDims = kind == IdxKind.Images ? 3 : 1;

        Span<byte> head = stackalloc byte[4];
        int n = reader.ReadFully(head);
        if (n < 4)
        {
            throw new DataFormatException(path, $"truncated: the {content} is {n} bytes long, too short for the 4-byte IDX magic number");
        }

        int magic = BinaryPrimitives.ReadInt32BigEndian(head);
        string expected = $"0x{expectedMagic:X8} (IDX {KindWord(kind)}: unsigned bytes, {expectedDims} dimension{(expectedDims == 1 ? string.Empty : "s")})";
        if (head[0] != 0 || head[1] != 0)
        {
            throw new DataFormatException(path, $"not an IDX file: magic number is 0x{magic:X8}, expected {expected}");
        }

        if (head[2] != 0x08)
        {
            throw new DataFormatException(
                path,
                $"unsupported IDX element type 0x{head[2]:X2} ({TypeName(head[2])}) in magic number 0x{magic:X8}: expected 0x08 (unsigned byte), i.e. {expected}");
        }

        if (head[3] != expectedDims)
        {
            string hint = head[3] switch
            {
                1 when kind == IdxKind.Images => "; this looks like a labels file",
                3 when kind == IdxKind.Labels => "; this looks like an images file",
                _ => string.Empty,
            };
            throw new DataFormatException(
                path,
                $"wrong number of dimensions: magic number 0x{magic:X8} declares {head[3]}, expected {expected}{hint}");
        }

        Span<byte> dimBytes = stackalloc byte[4 * expectedDims];
        n = reader.ReadFully(dimBytes);
        if (n < dimBytes.Length)
        {
            throw new DataFormatException(
                path,
                $"truncated: the {content} ends after {4 + n} bytes, but its header needs {4 + dimBytes.Length} for {expectedDims} dimension size{(expectedDims == 1 ? string.Empty : "s")}");
        }

        var sizes = new uint[expectedDims];
        for (int i = 0; i < expectedDims; i++)
        {
            sizes[i] = BinaryPrimitives.ReadUInt32BigEndian(dimBytes[(4 * i)..]);
        }

        long payloadLength;
        string describe;
        if (kind == IdxKind.Images)
        {
            (uint count, uint rows, uint columns) = (sizes[0], sizes[1], sizes[2]);
            payloadLength = (long)count * rows * columns;
            describe = $"{count} images of {rows}x{columns} ({payloadLength} bytes)";
            if (count == 0)
            {
                throw new DataFormatException(path, $"header says {describe}: the image count must be positive");
            }

            if (rows == 0 || columns == 0)
            {
                throw new DataFormatException(path, $"header says {describe}: rows and columns must be positive");
            }

            if (rows > MaxImageSide || columns > MaxImageSide)
            {
                throw new DataFormatException(path, $"header says {describe}: images larger than {MaxImageSide}x{MaxImageSide} are not supported");
            }
        }
        else
        {
            payloadLength = sizes[0];
            describe = $"{sizes[0]} labels ({payloadLength} bytes)";
            if (payloadLength == 0)
            {
                throw new DataFormatException(path, $"header says {describe}: the label count must be positive");
            }
        }

        if (payloadLength > Array.MaxLength)
        {
            throw new DataFormatException(path, $"header says {describe}, more than the {Array.MaxLength} bytes one buffer can hold");
        }

        long headerLength = 4 + (4L * expectedDims);

        // Refuse impossible sizes before allocating: a raw file's length is known; a gzip file cannot expand beyond
        // deflate's maximum ratio. Either way the error reports how many bytes really follow the header.
        long knownAvailable = gzip ? -1 : fileLength - headerLength;
        bool implausible = gzip && payloadLength > (fileLength * MaxDeflateRatio) + 1024;
        if (knownAvailable >= 0 && knownAvailable < payloadLength)
        {
            throw Truncated(path, describe, knownAvailable);
        }

        if (implausible)
        {
            throw Truncated(path, describe, reader.CountRemaining());
        }

        if (knownAvailable > payloadLength)
        {
            throw Trailing(path, describe, knownAvailable, payloadLength);
        }

        var payload = GC.AllocateUninitializedArray<byte>((int)payloadLength);
        int read = reader.ReadPayload(payload);
        if (read < payload.Length)
        {
            throw Truncated(path, describe, read);
        }

        long extra = reader.CountRemaining();
        if (extra > 0)
        {
            throw Trailing(path, describe, payloadLength + extra, payloadLength);
        }

        var dims = Array.ConvertAll(sizes, s => (int)s);
        return (dims, payload, reader.FinishHash());
    }

    private static DataFormatException Truncated(string path, string describe, long available) =>
        new(path, $"truncated: header says {describe} but only {available} bytes follow");

    private static DataFormatException Trailing(string path, string describe, long available, long needed) =>
        new(path, $"trailing data: header says {describe} but {available} bytes follow ({available - needed} too many)");

    private static string KindWord(IdxKind kind) => kind == IdxKind.Images ? "images" : "labels";

    private static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "not an IDX type",
    };

    /// <summary>Reads the (decompressed) content, feeding every byte read to the hash.</summary>
    private sealed class Reader(Stream source, IncrementalHash? hash)
    {
        public long Total { get; private set; }

        public int ReadFully(Span<byte> buffer)
        {
            int n = source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            hash?.AppendData(buffer[..n]);
            Total += n;
            return n;
        }

        /// <summary>Fills the buffer chunk by chunk, hashing each chunk while it is still in the cache.</summary>
        public int ReadPayload(byte[] buffer)
        {
            int offset = 0;
            while (offset < buffer.Length)
            {
                int n = source.Read(buffer, offset, Math.Min(ChunkSize, buffer.Length - offset));
                if (n == 0)
                {
                    break;
                }

                hash?.AppendData(buffer, offset, n);
                offset += n;
                Total += n;
            }

            return offset;
        }

        /// <summary>Reads to the end without keeping anything, and tells how many bytes there were.</summary>
        public long CountRemaining()
        {
            var scratch = new byte[64 * 1024];
            long count = 0;
            int n;
            while ((n = source.Read(scratch, 0, scratch.Length)) > 0)
            {
                count += n;
                Total += n;
            }

            return count;
        }

        public string? FinishHash() => hash is null ? null : Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
