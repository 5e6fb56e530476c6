using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Experiments.Data;

namespace Experiments.Core.Tests.Data;

/// <summary>Writes IDX content, gzip, hashes and whole synthetic datasets.</summary>
internal static class Idx
{
    public static byte[] Header(byte type, params uint[] dims)
    {
        var header = new byte[4 + (4 * dims.Length)];
        header[2] = type;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4 + (4 * i)), dims[i]);
        }

        return header;
    }

    /// <summary>An images file with deterministic pixels: pixel k of the file is (k * 7 + seed) mod 256.</summary>
    public static byte[] Images(int count, int rows, int columns, int seed = 0)
    {
        var header = Header(0x08, (uint)count, (uint)rows, (uint)columns);
        var content = new byte[header.Length + (count * rows * columns)];
        header.CopyTo(content, 0);
        for (int k = 0; k < count * rows * columns; k++)
        {
            content[header.Length + k] = (byte)((k * 7) + seed);
        }

        return content;
    }

    public static byte[] Labels(params byte[] labels) => [.. Header(0x08, (uint)labels.Length), .. labels];

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    public static byte[] Gunzip(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Write(string path, byte[] content)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }
}

/// <summary>
/// A tiny dataset in the standard four-file layout (3 classes, 5 train and 2 test images of 4x3), with a matching
/// <see cref="DatasetDescription"/> so the store can verify it.
/// </summary>
internal sealed class SyntheticDataset
{
    public const string Name = "tiny";

    public SyntheticDataset(IReadOnlyList<Uri>? mirrors = null)
    {
        Contents = new Dictionary<string, byte[]>
        {
            [IdxFileNames.TrainImages] = Idx.Images(5, 4, 3, seed: 1),
            [IdxFileNames.TrainLabels] = Idx.Labels(2, 0, 1, 2, 0),
            [IdxFileNames.TestImages] = Idx.Images(2, 4, 3, seed: 2),
            [IdxFileNames.TestLabels] = Idx.Labels(1, 2),
        };
        Info = new DatasetDescription
        {
            Name = Name,
            Format = DatasetFormat.Idx,
            Root = Name,
            Shape = [1, 4, 3],
            ClassNames = ["zero", "one", "two"],
            Train = new(IdxFileNames.TrainImages, IdxFileNames.TrainLabels),
            Test = new(IdxFileNames.TestImages, IdxFileNames.TestLabels),
            Sha256 = Contents.ToDictionary(c => c.Key, c => Idx.Sha256(c.Value), StringComparer.Ordinal),
            Mirrors = mirrors ?? [],
        };
    }

    /// <summary>Decompressed content by standard file name.</summary>
    public Dictionary<string, byte[]> Contents { get; }

    public DatasetDescription Info { get; }

    /// <summary>Writes the four files, gzip-compressed or raw, into <c>root/tiny/</c>; returns that directory.</summary>
    public string WriteTo(string root, bool gzip = true, IEnumerable<string>? only = null)
    {
        string directory = Path.Combine(root, Name);
        foreach (var (name, content) in Contents)
        {
            if (only is null || only.Contains(name))
            {
                Idx.Write(Path.Combine(directory, gzip ? name + ".gz" : name), gzip ? Idx.Gzip(content) : content);
            }
        }

        return directory;
    }

}

/// <summary>Collects a store's log lines (thread-safe).</summary>
internal sealed class LogLines
{
    private readonly List<string> _lines = [];

    public Action<string> Sink => line =>
    {
        lock (_lines)
        {
            _lines.Add(line);
        }
    };

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public int Count(string fragment) => Lines.Count(l => l.Contains(fragment, StringComparison.Ordinal));
}
