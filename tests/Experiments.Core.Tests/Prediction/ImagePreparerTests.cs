using Experiments.Data;
using Experiments.Prediction;
using SkiaSharp;

namespace Experiments.Core.Tests.Prediction;

/// <summary>The other preparations (UCI digits, Fashion-MNIST, decode), files that are not images, and datasets that say none.</summary>
public sealed class ImagePreparerTests
{
    private static DatasetDescription Dataset(DatasetFormat format, int[] shape, ImagePreparation prepare, double divideBy = 255, ImageColor color = ImageColor.Grayscale) => new()
    {
        Name = "test",
        SourceFile = "datasets/test.yaml",
        Format = format,
        Root = "test",
        Shape = shape,
        ClassNames = ["a", "b"],
        Train = new DatasetSource("train"),
        InputDivisor = divideBy,
        Images = format == DatasetFormat.Images ? new ImageOptions { Color = color } : null,
        Prepare = prepare,
    };

    [Fact]
    public void Uci_digits_count_the_on_pixels_of_4x4_blocks_on_the_datasets_scale()
    {
        // A square of ink fills the 32x32 bitmap: every block counts 16.
        var square = Drawings.Png(90, 90, SKColors.White, new SKRectI(20, 20, 70, 70), SKColors.Black);
        // Half as wide as tall: fit into 32x32 it is 16 wide, centred: columns 2-5 of the blocks full, the rest empty.
        var bar = Drawings.Png(90, 90, SKColors.White, new SKRectI(30, 10, 55, 60), SKColors.Black);

        var csv = ImagePreparer.Prepare(square, "square.png", Dataset(DatasetFormat.Csv, [64], ImagePreparation.UciDigits, divideBy: 16));
        var images = ImagePreparer.Prepare(square, "square.png", Dataset(DatasetFormat.Images, [1, 8, 8], ImagePreparation.UciDigits));
        var barCounts = ImagePreparer.Prepare(bar, "bar.png", Dataset(DatasetFormat.Csv, [64], ImagePreparation.UciDigits, divideBy: 16));

        Assert.All(csv, v => Assert.Equal(16, v));
        Assert.All(images, v => Assert.Equal(255, v));
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(i % 8 is >= 2 and <= 5 ? 16 : 0, barCounts[i]));
    }

    [Fact]
    public void Fashion_mnist_trims_fits_the_longest_side_to_28_centres_and_negates_a_light_background()
    {
        var coat = Drawings.Png(400, 300, SKColors.White, new SKRectI(100, 100, 300, 200), new SKColor(60, 60, 60));

        var example = ImagePreparer.Prepare(coat, "coat.jpg", Dataset(DatasetFormat.Idx, [1, 28, 28], ImagePreparation.FashionMnist));

        // 200 x 100 trimmed, then 28 x 14 centred: rows 7-20 hold the negated grey (255 - 60), the rest is 0.
        Assert.All(Enumerable.Range(0, 784), i => Assert.Equal(i / 28 is >= 7 and <= 20 ? 195 : 0, example[i]));
    }

    [Fact]
    public void A_csv_of_784_pixels_gets_the_28x28_image_on_its_own_scale()
    {
        // Kaggle's MNIST CSV: 784 cells of 0-255 (divideBy 255) or of 0-1 (divideBy 1); Fashion-MNIST's the same.
        var bar = Drawings.Png(100, 400, SKColors.White, new SKRectI(40, 50, 70, 350), SKColors.Black);
        var coat = Drawings.Png(400, 300, SKColors.White, new SKRectI(100, 100, 300, 200), new SKColor(60, 60, 60));
        var idx = ImagePreparer.Prepare(bar, "bar.png", Dataset(DatasetFormat.Idx, [1, 28, 28], ImagePreparation.MnistDigit));
        var clothes = ImagePreparer.Prepare(coat, "coat.png", Dataset(DatasetFormat.Idx, [1, 28, 28], ImagePreparation.FashionMnist));

        var bytes = ImagePreparer.Prepare(bar, "bar.png", Dataset(DatasetFormat.Csv, [784], ImagePreparation.MnistDigit));
        var unit = ImagePreparer.Prepare(bar, "bar.png", Dataset(DatasetFormat.Csv, [784], ImagePreparation.MnistDigit, divideBy: 1));
        var fashion = ImagePreparer.Prepare(coat, "coat.png", Dataset(DatasetFormat.Csv, [784], ImagePreparation.FashionMnist, divideBy: 1));

        Assert.Null(ImagePreparer.Unsupported(Dataset(DatasetFormat.Csv, [784], ImagePreparation.FashionMnist)));
        Assert.Contains(idx, v => v > 0);
        Assert.Equal(idx, bytes);
        Assert.All(Enumerable.Range(0, 784), i => Assert.Equal(idx[i] / 255.0, unit[i], 1e-6));
        Assert.All(Enumerable.Range(0, 784), i => Assert.Equal(clothes[i] / 255.0, fashion[i], 1e-6));
        Assert.Equal(
            "the dataset 'test' (datasets/test.yaml) has examples of shape [64] (csv), but its preparation 'mnist-digit' makes [784]",
            ImagePreparer.Unsupported(Dataset(DatasetFormat.Csv, [64], ImagePreparation.MnistDigit)));
    }

    [Fact]
    public void Decode_resizes_to_the_shape_as_the_images_loader_decodes_colour()
    {
        var red = Drawings.Png(16, 16, SKColors.Red, new SKRectI(0, 0, 0, 0), SKColors.Red);

        var rgb = ImagePreparer.Prepare(red, "red.png", Dataset(DatasetFormat.Images, [3, 4, 4], ImagePreparation.Decode, color: ImageColor.Rgb));
        var grey = ImagePreparer.Prepare(red, "red.png", Dataset(DatasetFormat.Images, [1, 4, 4], ImagePreparation.Decode));

        Assert.Equal(Enumerable.Repeat(255f, 16).Concat(Enumerable.Repeat(0f, 32)), rgb);
        Assert.All(grey, v => Assert.Equal(76, v)); // Pillow's luminance of pure red: 0.299 x 255
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        var png = Drawings.Png(40, 40, SKColors.White, new SKRectI(10, 5, 30, 35), SKColors.Black);
        return new()
        {
            { "notes.txt", "a shopping list\n"u8.ToArray(), "not an image SkiaSharp can decode" },
            { "empty.png", [], "an empty file, not an image" },
            { "half.png", png[..(png.Length / 2)], "a truncated image" },
            { "header.png", png[..20], "not an image SkiaSharp can decode" },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_file_that_is_not_a_whole_image_is_an_error_naming_it(string name, byte[] content, string problem)
    {
        var error = Assert.Throws<DataFormatException>(() => ImagePreparer.Prepare(content, "in/" + name, Dataset(DatasetFormat.Idx, [1, 28, 28], ImagePreparation.MnistDigit)));

        Assert.Equal("in/" + name, error.FilePath);
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dataset_that_says_no_preparation_or_one_of_another_shape_is_refused_with_why()
    {
        var none = ImagePreparer.Unsupported(Dataset(DatasetFormat.Csv, [4], ImagePreparation.None));
        var wrongShape = ImagePreparer.Unsupported(Dataset(DatasetFormat.Images, [1, 32, 32], ImagePreparation.MnistDigit));

        Assert.Equal("the dataset 'test' (datasets/test.yaml) does not say how a new image becomes one of its examples (prepare: none); set 'prepare' in its file: mnist-digit or fashion-mnist for 28x28 grey images, uci-digits for the UCI digits, decode for an images dataset", none);
        Assert.Equal("the dataset 'test' (datasets/test.yaml) has examples of shape [1, 32, 32] (images), but its preparation 'mnist-digit' makes [1, 28, 28]", wrongShape);
        Assert.Null(ImagePreparer.Unsupported(Dataset(DatasetFormat.Images, [3, 32, 32], ImagePreparation.Decode)));
        Assert.Throws<ArgumentException>(() => ImagePreparer.Prepare([1], "x.png", Dataset(DatasetFormat.Csv, [4], ImagePreparation.None)));
    }

    [Fact]
    public void An_images_dataset_decodes_new_images_unless_it_says_otherwise()
    {
        static DatasetDescription Unset(DatasetFormat format) => new() { Name = "x", Format = format, Root = "x", Shape = [1, 8, 8], ClassNames = ["a", "b"], Train = new DatasetSource("t") };

        Assert.Equal(ImagePreparation.Decode, Unset(DatasetFormat.Images).Prepare);
        Assert.Equal(ImagePreparation.None, Unset(DatasetFormat.Idx).Prepare);
        Assert.Equal(ImagePreparation.None, Unset(DatasetFormat.Csv).Prepare);
        Assert.Equal(ImagePreparation.UciDigits, (Unset(DatasetFormat.Images) with { Prepare = ImagePreparation.UciDigits }).Prepare);
    }
}
