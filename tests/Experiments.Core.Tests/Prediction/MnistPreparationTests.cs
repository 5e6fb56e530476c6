using Experiments.Data;
using Experiments.Prediction;
using SkiaSharp;

namespace Experiments.Core.Tests.Prediction;

/// <summary>
/// <c>prepare: mnist-digit</c>: a new image becomes a 28x28 example as MNIST's were made: inverted when light,
/// cropped to the ink, fit into 20x20 keeping the aspect ratio, centred by centre of mass at (14, 14).
/// </summary>
public sealed class MnistPreparationTests
{
    private static readonly DatasetDescription Mnist = new()
    {
        Name = "mnist",
        Format = DatasetFormat.Idx,
        Root = "mnist",
        Shape = [1, 28, 28],
        ClassNames = Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        Train = new DatasetSource("train-images", "train-labels"),
        Prepare = ImagePreparation.MnistDigit,
    };

    private static float[] Prepare(byte[] png) => ImagePreparer.Prepare(png, "test.png", Mnist);

    /// <summary>The smallest rectangle of non-zero values of a 28x28 example.</summary>
    private static (int Left, int Top, int Width, int Height) Box(float[] example)
    {
        var on = Enumerable.Range(0, 784).Where(i => example[i] > 0).ToList();
        int left = on.Min(i => i % 28), right = on.Max(i => i % 28), top = on.Min(i => i / 28), bottom = on.Max(i => i / 28);
        return (left, top, right - left + 1, bottom - top + 1);
    }

    private static (double X, double Y) CentreOfMass(float[] example)
    {
        double sum = example.Sum(v => (double)v);
        return (Enumerable.Range(0, 784).Sum(i => i % 28 * (double)example[i]) / sum, Enumerable.Range(0, 784).Sum(i => i / 28 * (double)example[i]) / sum);
    }

    [Fact]
    public void A_wide_mark_is_cropped_fit_into_20_by_20_keeping_its_aspect_and_centred_by_its_mass()
    {
        // 120 x 60 pixels of ink, far off the centre of a 300 x 200 page.
        var example = Prepare(Drawings.Png(300, 200, SKColors.White, new SKRectI(150, 20, 270, 80), SKColors.Black));

        Assert.Equal(784, example.Length);
        var (_, _, width, height) = Box(example);
        Assert.Equal((20, 10), (width, height));
        var (x, y) = CentreOfMass(example);
        Assert.InRange(x, 13.5, 14.5);
        Assert.InRange(y, 13.5, 14.5);
        Assert.Equal(255, example.Max());
        Assert.All(example, v => Assert.True(v == 0 || v > Ink.ScaledFringe, $"a faint value {v}"));
    }

    [Fact]
    public void The_grey_edge_that_scaling_makes_is_kept_as_in_MNIST_but_for_its_faintest_fringe()
    {
        // A digit drawn with an anti-aliased round pen on a large page: shrunk to 20 rows, its strokes' edges are grey.
        var example = Prepare(DigitDrawing.Png(8, new DigitStyle(300, 0.8, 0.3, 0, 0.1, 0, Dark: false)));

        var ink = example.Where(v => v > 0).ToList();
        var edge = ink.Count(v => v <= Ink.Faint);
        Assert.All(ink, v => Assert.True(v > Ink.ScaledFringe, $"a value {v} of the faintest fringe"));
        Assert.True(edge > 0.03 * ink.Count, $"{edge} of {ink.Count} ink pixels are 32 or less (MNIST: 11%)");
        Assert.Equal(255, example.Max());
    }

    [Fact]
    public void A_tall_mark_keeps_its_aspect_too()
    {
        var example = Prepare(Drawings.Png(100, 400, SKColors.White, new SKRectI(40, 50, 70, 350), SKColors.Black));

        var (_, _, width, height) = Box(example);
        Assert.Equal((2, 20), (width, height));
    }

    [Fact]
    public void Dark_ink_on_paper_is_inverted_and_light_ink_on_black_is_not_so_both_give_the_same_digit()
    {
        var box = new SKRectI(30, 40, 70, 160);
        var onPaper = Prepare(Drawings.Png(100, 200, SKColors.White, box, SKColors.Black));
        var onBlack = Prepare(Drawings.Png(100, 200, SKColors.Black, box, SKColors.White));
        var onGreyPaper = Prepare(Drawings.Png(100, 200, new SKColor(200, 190, 170), box, new SKColor(40, 40, 90)));

        Assert.Equal(onPaper, onBlack);
        Assert.Equal(onPaper, onGreyPaper);

        // Ink high, background 0: the digit's inside is full, every corner empty.
        Assert.Equal(255, onPaper[(14 * 28) + 14]);
        Assert.Equal(0, onPaper[0]);
    }

    [Fact]
    public void A_transparent_background_is_paper()
    {
        var example = Prepare(Drawings.Png(60, 60, SKColors.Transparent, new SKRectI(20, 10, 40, 50), SKColors.Black));

        Assert.Equal((10, 20), (Box(example).Width, Box(example).Height));
    }

    [Fact]
    public void An_image_with_no_ink_is_an_error_naming_the_file()
    {
        var blank = Drawings.Png(50, 50, SKColors.White, new SKRectI(10, 10, 20, 20), new SKColor(240, 240, 240));

        var error = Assert.Throws<DataFormatException>(() => ImagePreparer.Prepare(blank, "photos/blank.png", Mnist));

        Assert.Equal("photos/blank.png", error.FilePath);
        Assert.StartsWith("no ink found", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_thin_stroke_of_a_large_image_stays_full_strength_after_shrinking()
    {
        // 4 pixels wide in 1000: a twentieth of a pixel once shrunk to 20 rows, averaged down, then stretched to full ink.
        var example = Prepare(Drawings.Png(1000, 1000, SKColors.White, new SKRectI(500, 100, 504, 900), SKColors.Black));

        Assert.Equal(255, example.Max());
        Assert.Equal(20, Box(example).Height);
    }
}
