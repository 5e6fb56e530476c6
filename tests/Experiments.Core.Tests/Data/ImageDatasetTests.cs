using Experiments.Data;
using SkiaSharp;

namespace Experiments.Core.Tests.Data;

public sealed class ImageDatasetTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly LogLines _log = new();

    public void Dispose() => _temp.Dispose();

    private string Data => _temp.Combine("data");

    private DatasetStore Store(DatasetDescription description, string? cache = "default") => new(new DatasetStoreOptions
    {
        DataRoot = Data,
        SystemSearchDirectories = [],
        Datasets = [description],
        VerificationCachePath = null,
        DecodedCacheDirectory = cache == "default" ? _temp.Combine("cache") : cache,
        Log = _log.Sink,
    });

    [Fact]
    public void An_image_folder_is_read_class_by_class_in_ordinal_file_order()
    {
        // Classes in an order that is not alphabetical; file names whose ordinal order is not numeric order.
        var d = Fixtures.Images("pics", ["zebra", "ant"], 2, 3, withTest: true);
        Fixtures.Gray(_temp.Combine("data", "pics", "train", "zebra", "9.png"), 3, 2, 10);
        Fixtures.Gray(_temp.Combine("data", "pics", "train", "zebra", "10.png"), 3, 2, 20);
        Fixtures.Gray(_temp.Combine("data", "pics", "train", "ant", "a.png"), 3, 2, 30);
        Fixtures.Gray(_temp.Combine("data", "pics", "test", "zebra", "x.png"), 3, 2, 40);
        Fixtures.Gray(_temp.Combine("data", "pics", "test", "ant", "y.png"), 3, 2, 50);
        File.WriteAllText(_temp.Combine("data", "pics", "train", "ant", ".DS_Store"), "junk"); // hidden: skipped
        File.WriteAllText(_temp.Combine("data", "pics", "train", ".hidden"), "junk");
        using var store = Store(d);

        var data = store.Load("pics");

        Assert.Equal([3, 1, 2, 3], data.Train.Inputs.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Byte, data.Train.Inputs.dtype);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, data.Train.Labels.dtype);
        Assert.Equal([0L, 0, 1], Fixtures.Longs(data.Train.Labels));
        Assert.Equal([.. Fixtures.GrayPixels(3, 2, 20), .. Fixtures.GrayPixels(3, 2, 10), .. Fixtures.GrayPixels(3, 2, 30)], Fixtures.Bytes(data.Train.Inputs));
        Assert.Equal([0L, 1], Fixtures.Longs(data.Test.Labels));
        Assert.Equal([.. Fixtures.GrayPixels(3, 2, 40), .. Fixtures.GrayPixels(3, 2, 50)], Fixtures.Bytes(data.Test.Inputs));
        Assert.Matches(@"^pics: 3 train and 2 test images of 1x2x3 decoded in \d+\.\d\d s \(cached in .*\.safetensors\)$", _log.Lines.Single(l => l.Contains("decoded in", StringComparison.Ordinal)));
    }

    [Fact]
    public void Grayscale_is_the_luminance_of_a_colour_image_and_alpha_is_dropped()
    {
        var d = Fixtures.Images("colour", ["a"], 1, 3, withTest: true);
        (byte, byte, byte, byte)[] pixels = [(255, 0, 0, 128), (0, 255, 0, 255), (10, 20, 200, 0)];
        Fixtures.Image(_temp.Combine("data", "colour", "train", "a", "1.png"), 3, 1, (x, _) => pixels[x]);
        Fixtures.Image(_temp.Combine("data", "colour", "test", "a", "1.png"), 3, 1, (x, _) => pixels[x]);
        using var store = Store(d);

        var data = store.Load("colour");

        // Pillow's convert("L"): (r * 19595 + g * 38470 + b * 7471 + 32768) >> 16.
        Assert.Equal(new byte[] { 76, 150, 38 }, Fixtures.Bytes(data.Train.Inputs));
    }

    [Fact]
    public void Rgb_keeps_the_three_channels_as_planes()
    {
        var d = Fixtures.Images("rgb", ["a"], 1, 2, withTest: true, color: ImageColor.Rgb);
        (byte, byte, byte, byte)[] pixels = [(1, 2, 3, 255), (4, 5, 6, 40)];
        Fixtures.Image(_temp.Combine("data", "rgb", "train", "a", "1.png"), 2, 1, (x, _) => pixels[x]);
        Fixtures.Image(_temp.Combine("data", "rgb", "test", "a", "1.png"), 2, 1, (x, _) => pixels[x]);
        using var store = Store(d);

        var data = store.Load("rgb");

        Assert.Equal([1, 3, 1, 2], data.Train.Inputs.shape);
        Assert.Equal(new byte[] { 1, 4, 2, 5, 3, 6 }, Fixtures.Bytes(data.Train.Inputs));
    }

    [Fact]
    public void Jpeg_files_are_decoded()
    {
        var d = Fixtures.Images("jpeg", ["a"], 8, 8, withTest: true);
        Fixtures.Image(_temp.Combine("data", "jpeg", "train", "a", "1.jpg"), 8, 8, (_, _) => (120, 120, 120, 255), SKEncodedImageFormat.Jpeg);
        Fixtures.Image(_temp.Combine("data", "jpeg", "test", "a", "1.jpeg"), 8, 8, (_, _) => (200, 200, 200, 255), SKEncodedImageFormat.Jpeg);
        Assert.Equal(0xFF, File.ReadAllBytes(_temp.Combine("data", "jpeg", "train", "a", "1.jpg"))[0]); // really a JPEG
        using var store = Store(d);

        var data = store.Load("jpeg");

        Assert.All(Fixtures.Bytes(data.Train.Inputs), v => Assert.InRange(v, 118, 122));
        Assert.All(Fixtures.Bytes(data.Test.Inputs), v => Assert.InRange(v, 198, 202));
    }

    [Fact]
    public void A_jpeg_is_turned_upright_as_its_exif_orientation_says()
    {
        // Stored 16 wide and 8 high, white on the left; EXIF orientation 6 (rotate 90 degrees clockwise to show): upright
        // it is 8 wide and 16 high, white on top. The dataset's shape is the upright one.
        var d = Fixtures.Images("exif", ["a"], 16, 8, withTest: true);
        string train = Fixtures.Image(_temp.Combine("data", "exif", "train", "a", "1.jpg"), 16, 8, (x, _) => x < 8 ? ((byte)250, (byte)250, (byte)250, (byte)255) : ((byte)5, (byte)5, (byte)5, (byte)255), SKEncodedImageFormat.Jpeg);
        byte[] exif =
        [
            0xFF, 0xE1, 0x00, 0x22, (byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0, // APP1, length 34, "Exif\0\0"
            (byte)'M', (byte)'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header, first IFD at 8
            0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // one entry: Orientation (SHORT) = 6
            0x00, 0x00, 0x00, 0x00, // no next IFD
        ];
        var jpeg = File.ReadAllBytes(train);
        File.WriteAllBytes(train, [.. jpeg.AsSpan(0, 2), .. exif, .. jpeg.AsSpan(2)]);
        File.Copy(train, Fixtures.Image(_temp.Combine("data", "exif", "test", "a", "1.jpg"), 1, 1, (_, _) => (0, 0, 0, 255)), overwrite: true);
        using var store = Store(d);

        var data = store.Load("exif");

        Assert.Equal([1, 1, 16, 8], data.Train.Inputs.shape);
        var pixels = Fixtures.Bytes(data.Train.Inputs);
        Assert.All(pixels.AsSpan(0, 6 * 8).ToArray(), v => Assert.InRange(v, 200, 255)); // the top rows: the stored left half
        Assert.All(pixels.AsSpan(10 * 8).ToArray(), v => Assert.InRange(v, 0, 50)); // the bottom rows: the stored right half
    }

    [Fact]
    public void Resize_scales_an_image_to_the_shape_and_without_it_another_size_is_an_error()
    {
        var d = Fixtures.Images("sizes", ["a"], 2, 2, withTest: true, resize: true);
        string big = Fixtures.Image(_temp.Combine("data", "sizes", "train", "a", "big.png"), 6, 4, (x, _) => x < 3 ? ((byte)0, (byte)0, (byte)0, (byte)255) : ((byte)200, (byte)200, (byte)200, (byte)255));
        Fixtures.Image(_temp.Combine("data", "sizes", "test", "a", "small.png"), 1, 1, (_, _) => (90, 90, 90, 255));
        using (var store = Store(d))
        {
            var data = store.Load("sizes");
            var train = Fixtures.Bytes(data.Train.Inputs);
            Assert.InRange(train[0], 0, 10); // left half dark
            Assert.InRange(train[1], 190, 210); // right half light
            Assert.Equal(new byte[] { 90, 90, 90, 90 }, Fixtures.Bytes(data.Test.Inputs));
        }

        using var strict = Store(d with { Images = new() { Resize = false } });
        var e = Assert.Throws<DataFormatException>(() => strict.Load("sizes"));
        Assert.Equal(big, e.FilePath);
        Assert.Contains("an image of 6x4 (width x height), but the dataset's images are 2x2", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> BadFiles => new() { "corrupt", "truncated", "text", "empty" };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_that_is_not_a_decodable_image_is_an_error_naming_it(string kind)
    {
        var d = Fixtures.Images("bad", ["a", "b"], 16, 16, withTest: true);
        for (int i = 0; i < 20; i++)
        {
            Fixtures.Image(_temp.Combine("data", "bad", "train", i % 2 == 0 ? "a" : "b", $"{i:00}.png"), 16, 16, (x, y) => ((byte)(x * y), (byte)(x + y), (byte)(x * 7), (byte)255));
        }

        Fixtures.Gray(_temp.Combine("data", "bad", "test", "a", "1.png"), 16, 16, 0);
        Fixtures.Gray(_temp.Combine("data", "bad", "test", "b", "1.png"), 16, 16, 0);
        string path = _temp.Combine("data", "bad", "train", "b", "13.png");
        var good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, kind switch
        {
            "corrupt" => [.. good.Take(16), .. Enumerable.Repeat((byte)0x5A, good.Length - 16)],
            "truncated" => good[..(good.Length / 2)],
            "text" => "not an image"u8.ToArray(),
            _ => [],
        });
        using var store = Store(d);

        var e = Assert.Throws<DataFormatException>(() => store.Load("bad"));

        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(_temp.Combine("cache")) ? Directory.GetFiles(_temp.Combine("cache")) : []); // nothing cached from a failed load
    }

    [Fact]
    public void Folder_structure_errors_name_the_folder_and_what_is_wrong()
    {
        var d = Fixtures.Images("shape", ["cat", "dog"], 1, 1, withTest: true);
        string train = _temp.Combine("data", "shape", "train");
        Fixtures.Gray(Path.Combine(train, "cat", "1.png"), 1, 1, 0);
        Fixtures.Gray(_temp.Combine("data", "shape", "test", "cat", "1.png"), 1, 1, 0);
        Fixtures.Gray(_temp.Combine("data", "shape", "test", "dog", "1.png"), 1, 1, 0);
        using var store = Store(d);

        var missing = Assert.Throws<DataFormatException>(() => store.Load("shape"));
        Assert.Equal($"{train}: the class 'dog' has no sub-folder here: an image folder holds one sub-folder per class, named as the class", missing.Message);

        Directory.CreateDirectory(Path.Combine(train, "dog"));
        var empty = Assert.Throws<DataFormatException>(() => store.Load("shape"));
        Assert.Equal($"{Path.Combine(train, "dog")}: the class folder of 'dog' is empty: every class needs at least one image", empty.Message);

        Fixtures.Gray(Path.Combine(train, "dog", "1.png"), 1, 1, 0);
        Directory.CreateDirectory(Path.Combine(train, "cow"));
        var extra = Assert.Throws<DataFormatException>(() => store.Load("shape"));
        Assert.Equal($"{Path.Combine(train, "cow")}: the sub-folder 'cow' is not a class; the classes are 'cat', 'dog'", extra.Message);

        Directory.Delete(Path.Combine(train, "cow"));
        File.WriteAllText(Path.Combine(train, "README.txt"), "notes");
        var beside = Assert.Throws<DataFormatException>(() => store.Load("shape"));
        Assert.Equal(Path.Combine(train, "README.txt"), beside.FilePath);

        File.Delete(Path.Combine(train, "README.txt"));
        Directory.CreateDirectory(Path.Combine(train, "dog", "more"));
        var nested = Assert.Throws<DataFormatException>(() => store.Load("shape"));
        Assert.Equal(Path.Combine(train, "dog", "more"), nested.FilePath);

        Directory.Delete(Path.Combine(train, "dog", "more"));
        Assert.Equal(2, store.Load("shape").Train.Count);
    }

    [Fact]
    public void A_missing_folder_is_not_found_with_the_searched_directories_and_no_download()
    {
        var d = Fixtures.Images("gone", ["a"], 1, 1, withTest: true);
        Fixtures.Gray(_temp.Combine("data", "gone", "train", "a", "1.png"), 1, 1, 0);
        using var store = Store(d);

        var e = Assert.Throws<DatasetNotFoundException>(() => store.Load("gone"));

        string directory = _temp.Combine("data", "gone");
        Assert.Equal(
            $"""
            Dataset 'gone' is incomplete: 1 of its 2 sources are missing:
              test/ (image folder)
            Searched: {directory}/
            Put the folders in place, e.g. in {directory}/: a images dataset has no download (--download fetches only IDX datasets from their mirrors).
            """.ReplaceLineEndings(),
            e.Message);
        Assert.Equal(["test"], e.MissingFiles);
        Assert.Equal([directory], e.SearchedDirectories);
    }

    [Fact]
    public void The_folder_checksum_is_over_the_sorted_lines_of_path_tab_sha256()
    {
        var d = Fixtures.Images("sums", ["b", "a"], 1, 1, withTest: true);
        string b = Fixtures.Gray(_temp.Combine("data", "sums", "train", "b", "1.png"), 1, 1, 5);
        string a = Fixtures.Gray(_temp.Combine("data", "sums", "train", "a", "2.png"), 1, 1, 6);
        Fixtures.Gray(_temp.Combine("data", "sums", "test", "a", "1.png"), 1, 1, 0);
        Fixtures.Gray(_temp.Combine("data", "sums", "test", "b", "1.png"), 1, 1, 0);
        string expected = Idx.Sha256(System.Text.Encoding.UTF8.GetBytes(
            $"a/2.png\t{Idx.Sha256(File.ReadAllBytes(a))}\nb/1.png\t{Idx.Sha256(File.ReadAllBytes(b))}\n"));
        using (var right = Store(d with { Sha256 = new Dictionary<string, string> { ["train"] = expected } }))
        {
            Assert.Equal(2, right.Load("sums").Train.Count);
        }

        string wrong = new('0', 64);
        using var store = Store(d with { Sha256 = new Dictionary<string, string> { ["train"] = wrong } });
        var e = Assert.Throws<DataChecksumException>(() => store.Load("sums"));
        Assert.Equal(_temp.Combine("data", "sums", "train"), e.FilePath);
        Assert.Equal((wrong, expected), (e.ExpectedSha256, e.ActualSha256));
        Assert.Contains($"hashes to {expected} but {wrong} is expected", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_rgb_shape_must_have_three_channels()
    {
        var d = Fixtures.Images("channels", ["a"], 1, 1, withTest: true) with { Images = new() { Color = ImageColor.Rgb } };
        using var store = Store(d);

        var e = Assert.Throws<DataException>(() => store.Load("channels"));

        Assert.Contains("[channels, height, width] with 3 channels for its colour, not [1, 1, 1]", e.Message, StringComparison.Ordinal);
    }
}
