using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace Experiments.Data;

/// <summary>One file of a dataset's source, as listed (no content read).</summary>
/// <param name="Key">The file's path as the content key and the stamp index name it: the source's path, then (for an image folder) <c>/class/file</c>.</param>
/// <param name="FolderRelative">For an image folder: <c>class/file</c>, the path its folder content hash uses; for a CSV file: empty.</param>
/// <param name="FullPath">Where the file is opened (the path errors name).</param>
/// <param name="Length">The file's size in bytes (its stamp, with <paramref name="LastWriteUtc"/>).</param>
/// <param name="LastWriteUtc">The file's last-write time, UTC.</param>
/// <param name="Label">For an image: its class index; for a CSV file: -1.</param>
internal sealed record SourceFile(string Key, string FolderRelative, string FullPath, long Length, DateTime LastWriteUtc, int Label);

/// <summary>
/// Lists and decodes an image folder: one sub-folder per class named exactly as in
/// <see cref="DatasetDescription.ClassNames"/> (class index = position there), files within a class in ordinal name
/// order. Hidden entries (names starting with '.', such as <c>.DS_Store</c>) and the desktop clutter files
/// <c>Thumbs.db</c> and <c>desktop.ini</c> are skipped everywhere; every other file in a class folder must be an image
/// SkiaSharp decodes (PNG, JPEG, WebP, GIF, BMP, ...), and anything else there is an error naming it, as are a file
/// or a folder that is not a class beside the class folders, a nested folder, a class with no folder and an empty
/// class folder.
/// </summary>
internal static class ImageFolderReader
{
    private static readonly HashSet<string> Clutter = new(["Thumbs.db", "desktop.ini"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a file or folder name is skipped: hidden, or desktop clutter.</summary>
    public static bool IsSkipped(string name) => name.StartsWith('.') || Clutter.Contains(name);

    /// <summary>The folder's images, class by class in class-index order, files in ordinal name order.</summary>
    /// <param name="folder">The folder as found (the path errors name).</param>
    /// <param name="sourcePath">The source's path as the description writes it (the start of each file's key).</param>
    /// <param name="classNames">The class names, in class-index order.</param>
    public static List<SourceFile> List(string folder, string sourcePath, IReadOnlyList<string> classNames)
    {
        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < classNames.Count; c++)
        {
            classIndex[classNames[c]] = c;
        }

        var folders = new string?[classNames.Count];
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (IsSkipped(entry.Name))
            {
                continue;
            }

            if (entry is not DirectoryInfo)
            {
                throw new DataFormatException(Path.Combine(folder, entry.Name), $"a file beside the class folders: images go in one sub-folder per class ({Classes(classNames)})");
            }

            if (!classIndex.TryGetValue(entry.Name, out int c))
            {
                throw new DataFormatException(Path.Combine(folder, entry.Name), $"the sub-folder '{entry.Name}' is not a class; the classes are {Classes(classNames)}");
            }

            folders[c] = Path.Combine(folder, entry.Name);
        }

        var missing = Enumerable.Range(0, classNames.Count).Where(c => folders[c] is null).Select(c => $"'{classNames[c]}'").ToList();
        if (missing.Count > 0)
        {
            throw new DataFormatException(folder, $"{(missing.Count == 1 ? "the class " + missing[0] + " has" : "the classes " + string.Join(", ", missing) + " have")} no sub-folder here: an image folder holds one sub-folder per class, named as the class");
        }

        // One folder per task (both cores): listing is most of a cached load's time (a stat per file), and the
        // enumeration's own entries give each file's size and time without a FileInfo per file.
        var perClass = new List<SourceFile>[classNames.Count];
        var failures = new DataFormatException?[classNames.Count];
        Parallel.For(0, classNames.Count, c =>
        {
            try
            {
                perClass[c] = ListClass(folders[c]!, sourcePath, classNames[c], c);
            }
            catch (DataFormatException e)
            {
                failures[c] = e;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures[c] = new DataFormatException(folders[c]!, $"the class folder of '{classNames[c]}' cannot be listed: {e.Message}");
            }
        });
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw failure;
        }

        var files = new List<SourceFile>(perClass.Sum(p => p.Count));
        foreach (var list in perClass)
        {
            files.AddRange(list);
        }

        return files;
    }

    private static List<SourceFile> ListClass(string folder, string sourcePath, string className, int label)
    {
        var entries = new System.IO.Enumeration.FileSystemEnumerable<(string Name, bool Directory, long Length, DateTime Time)>(
            folder,
            (ref System.IO.Enumeration.FileSystemEntry entry) => entry.IsDirectory
                ? (entry.FileName.ToString(), true, 0, default)
                : (entry.FileName.ToString(), false, entry.Length, entry.LastWriteTimeUtc.UtcDateTime),
            new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => !IsSkipped(entry.FileName.ToString()),
        }.ToList();
        if (entries.FirstOrDefault(e => e.Directory) is { Name: not null } nested)
        {
            throw new DataFormatException(Path.Combine(folder, nested.Name), $"a folder inside the class folder '{className}': a class folder holds image files only (nested folders are not read)");
        }

        if (entries.Count == 0)
        {
            throw new DataFormatException(folder, $"the class folder of '{className}' is empty: every class needs at least one image");
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var files = new List<SourceFile>(entries.Count);
        foreach (var (name, _, length, time) in entries)
        {
            string relative = className + "/" + name;
            files.Add(new SourceFile(sourcePath + "/" + relative, relative, Path.Combine(folder, name), length, time, label));
        }

        return files;
    }

    /// <summary>
    /// The folder's content hash: SHA-256 (lower-case hex) of the UTF-8 lines <c>class/file\tsha256\n</c> of every
    /// file read, in ordinal order of <c>class/file</c>.
    /// </summary>
    public static string ContentHash(IReadOnlyList<SourceFile> files, IReadOnlyList<string> sha256)
    {
        var text = new StringBuilder();
        foreach (int i in Enumerable.Range(0, files.Count).OrderBy(i => files[i].FolderRelative, StringComparer.Ordinal))
        {
            text.Append(files[i].FolderRelative).Append('\t').Append(sha256[i]).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// The pixels of <paramref name="stored"/> turned upright as its EXIF origin says (an exact copy of each pixel:
    /// mirrored, rotated by quarter turns, or both).
    /// </summary>
    private static SKBitmap Orient(SKBitmap stored, SKEncodedOrigin origin, SKSizeI upright)
    {
        int w = stored.Width, h = stored.Height;
        var result = new SKBitmap(new SKImageInfo(upright.Width, upright.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var from = stored.GetPixelSpan();
        var to = result.GetPixelSpan();
        int fromStride = stored.RowBytes, toStride = result.RowBytes;
        for (int y = 0; y < upright.Height; y++)
        {
            for (int x = 0; x < upright.Width; x++)
            {
                // The stored pixel shown at (x, y) once upright.
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),
                    _ => (x, y),
                };
                from.Slice((sy * fromStride) + (4 * sx), 4).CopyTo(to.Slice((y * toStride) + (4 * x), 4));
            }
        }

        return result;
    }

    /// <summary>
    /// Decodes one image into <paramref name="destination"/> (channels x height x width, channel-major): grayscale as
    /// luminance, Pillow's <c>convert("L")</c> weights (299, 587, 114)/1000 in 16-bit fixed point, so a gray image
    /// keeps its values exactly; RGB as its three channels; alpha dropped (the colour values as stored, not
    /// premultiplied). With <paramref name="resize"/>, an image of another size is resampled to the shape's size
    /// (Mitchell-Netravali cubic); without, it is an error. A JPEG's EXIF orientation is applied first: the size
    /// checked is the upright image's.
    /// </summary>
    public static void Decode(byte[] content, string path, int channels, int height, int width, bool resize, Span<byte> destination)
    {
        using var upright = DecodeUpright(content, path, size =>
        {
            if ((size.Width != width || size.Height != height) && !resize)
            {
                throw new DataFormatException(path, $"an image of {size.Width}x{size.Height} (width x height), but the dataset's images are {width}x{height}; resize them, or set resize: true to have them resized when loaded");
            }
        });
        WriteChannels(upright, path, channels, height, width, destination);
    }

    /// <summary>
    /// Decodes one image file's bytes to its upright pixels (RGBA, unpremultiplied; a JPEG's EXIF orientation
    /// applied), owned by the caller. <paramref name="checkSize"/> sees the upright size before any pixel is decoded
    /// (and may throw). A file SkiaSharp cannot decode, or that ends early, is a <see cref="DataFormatException"/>
    /// naming <paramref name="path"/>.
    /// </summary>
    public static SKBitmap DecodeUpright(byte[] content, string path, Action<SKSizeI>? checkSize = null)
    {
        // The codec takes ownership of the stream (and disposes it with itself).
        using var codec = SKCodec.Create(new SKMemoryStream(content), out var created);
        if (codec is null)
        {
            throw new DataFormatException(path, content.Length == 0
                ? "an empty file, not an image"
                : $"not an image SkiaSharp can decode ({created}): a corrupt or truncated image, or not an image file (only hidden files are skipped)");
        }

        // A camera's JPEG stores its pixels as the sensor saw them and says in EXIF how to turn them upright; the size
        // checked is the upright one, and the pixels are turned before anything else.
        var origin = codec.EncodedOrigin;
        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var stored = codec.Info;
        var size = swaps ? new SKSizeI(stored.Height, stored.Width) : new SKSizeI(stored.Width, stored.Height);
        checkSize?.Invoke(size);

        var info = new SKImageInfo(stored.Width, stored.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var decoded = new SKBitmap(info);
        try
        {
            var result = codec.GetPixels(info, decoded.GetPixels());
            if (result != SKCodecResult.Success)
            {
                throw new DataFormatException(path, result == SKCodecResult.IncompleteInput
                    ? "a truncated image: the file ends before the image's last pixel"
                    : $"a corrupt image: decoding failed ({result})");
            }

            if (origin is SKEncodedOrigin.TopLeft)
            {
                return decoded;
            }

            using (decoded)
            {
                return Orient(decoded, origin, size);
            }
        }
        catch
        {
            decoded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes upright RGBA pixels into <paramref name="destination"/> as <see cref="Decode"/> does: resampled to
    /// <paramref name="width"/> x <paramref name="height"/> when of another size (Mitchell-Netravali cubic), then
    /// luminance (one channel) or red, green, blue planes (three).
    /// </summary>
    public static void WriteChannels(SKBitmap bitmap, string path, int channels, int height, int width, Span<byte> destination)
    {
        SKBitmap pixels = bitmap;
        SKBitmap? resized = null;
        try
        {
            if (bitmap.Width != width || bitmap.Height != height)
            {
                // Mitchell-Netravali cubic: what SkiaSharp's former SKFilterQuality.High meant, sharp without ringing.
                var sampling = new SKSamplingOptions(SKCubicResampler.Mitchell);
                resized = bitmap.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), sampling)
                    ?? throw new DataFormatException(path, $"cannot resize the image from {bitmap.Width}x{bitmap.Height} to {width}x{height}");
                pixels = resized;
            }

            var rgba = pixels.GetPixelSpan();
            int stride = pixels.RowBytes;
            int plane = height * width;
            for (int y = 0; y < height; y++)
            {
                var row = rgba.Slice(y * stride, width * 4);
                for (int x = 0; x < width; x++)
                {
                    byte r = row[4 * x], g = row[(4 * x) + 1], b = row[(4 * x) + 2];
                    int at = (y * width) + x;
                    if (channels == 1)
                    {
                        destination[at] = Luminance(r, g, b);
                    }
                    else
                    {
                        destination[at] = r;
                        destination[plane + at] = g;
                        destination[(2 * plane) + at] = b;
                    }
                }
            }
        }
        finally
        {
            resized?.Dispose();
        }
    }

    /// <summary>Pillow's <c>convert("L")</c>: (299 R + 587 G + 114 B) / 1000 in 16-bit fixed point, rounded.</summary>
    public static byte Luminance(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);

    private static string Classes(IReadOnlyList<string> classNames) =>
        string.Join(", ", classNames.Take(20).Select(c => $"'{c}'")) + (classNames.Count > 20 ? $", ... ({classNames.Count} in all)" : "");
}
