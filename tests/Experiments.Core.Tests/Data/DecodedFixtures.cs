using System.IO.Compression;
using System.Text;
using Experiments.Data;
using SkiaSharp;

namespace Experiments.Core.Tests.Data;

/// <summary>Writes small image files and CSV files for the image and CSV dataset tests.</summary>
internal static class Fixtures
{
    /// <summary>A PNG (or JPEG) of <paramref name="width"/> x <paramref name="height"/> whose pixel (x, y) is <paramref name="color"/>(x, y), RGBA unpremultiplied.</summary>
    public static string Image(string path, int width, int height, Func<int, int, (byte R, byte G, byte B, byte A)> color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        // Straight into the RGBA bytes: SetPixel goes through premultiplied colour and loses a transparent pixel's colour.
        var pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var (r, g, b, a) = color(x, y);
                int at = (y * bitmap.RowBytes) + (4 * x);
                (pixels[at], pixels[at + 1], pixels[at + 2], pixels[at + 3]) = (r, g, b, a);
            }
        }

        using var data = bitmap.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>A gray PNG whose pixel (x, y) is <c>(value + x + width * y) mod 256</c>.</summary>
    public static string Gray(string path, int width, int height, int value) =>
        Image(path, width, height, (x, y) =>
        {
            byte v = (byte)((value + x + (width * y)) % 256);
            return (v, v, v, 255);
        });

    /// <summary>The pixels <see cref="Gray"/> writes, row-major.</summary>
    public static byte[] GrayPixels(int width, int height, int value) =>
        [.. Enumerable.Range(0, width * height).Select(k => (byte)((value + k) % 256))];

    public static string Text(string path, string content, bool gzip = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = Encoding.UTF8.GetBytes(content);
        File.WriteAllBytes(path, gzip ? Idx.Gzip(bytes) : bytes);
        return path;
    }

    public static DatasetDescription Images(string name, IReadOnlyList<string> classes, int height, int width, bool withTest = false, ImageColor color = ImageColor.Grayscale, bool resize = false) => new()
    {
        Name = name,
        Format = DatasetFormat.Images,
        Root = name,
        Shape = [color == ImageColor.Rgb ? 3 : 1, height, width],
        ClassNames = classes,
        Train = new("train"),
        Test = withTest ? new DatasetSource("test") : null,
        TestFraction = withTest ? 0 : 0.25,
        SplitSeed = 7,
        Images = new() { Color = color, Resize = resize },
    };

    public static DatasetDescription Csv(string name, int features, IReadOnlyList<string> classes, string train = "data.csv", string? test = null, CsvOptions? options = null) => new()
    {
        Name = name,
        Format = DatasetFormat.Csv,
        Root = name,
        Shape = [features],
        ClassNames = classes,
        Train = new(train),
        Test = test is null ? null : new DatasetSource(test),
        TestFraction = test is null ? 0.25 : 0,
        SplitSeed = 3,
        InputDivisor = 1,
        Csv = options ?? new CsvOptions(),
    };

    public static byte[] Bytes(TorchSharp.torch.Tensor tensor) => tensor.data<byte>().ToArray();

    public static float[] Floats(TorchSharp.torch.Tensor tensor) => tensor.data<float>().ToArray();

    public static long[] Longs(TorchSharp.torch.Tensor tensor) => tensor.data<long>().ToArray();

    public static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
