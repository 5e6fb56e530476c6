using Experiments.Core.Tests.History;
using Experiments.Reporting;
using SkiaSharp;

namespace Experiments.Core.Tests.Reporting;

public sealed class RunPlotsTests
{
    private static ExperimentResult WithMnistWeights(string name, double accuracy)
    {
        // Class k's template: +1 on row k of the 28x28 image, -1 elsewhere on the left half, 0 on the right half.
        var values = new float[10 * 784];
        for (var k = 0; k < 10; k++)
        {
            for (var pixel = 0; pixel < 784; pixel++)
            {
                values[k * 784 + pixel] = pixel / 28 == k ? 1 : pixel % 28 < 14 ? -1 : 0;
            }
        }

        var confusion = Enumerable.Range(0, 10).Select(a => (IReadOnlyList<long>)Enumerable.Range(0, 10).Select(p => a == p ? 90L : 1L).ToArray()).ToArray();
        return StoreSamples.Completed(name, accuracy) with
        {
            Weights = new ModelWeights(10, 784, values),
            Test = StoreSamples.Evaluation(accuracy) with { ConfusionMatrix = confusion, PerClassAccuracy = Enumerable.Repeat(90.0, 10).ToArray() },
        };
    }

    [Fact]
    public void Every_picture_is_a_png_and_failed_experiments_get_only_the_shared_ones()
    {
        var pictures = RunPlots.Draw([WithMnistWeights("a", 91), StoreSamples.Failed("b"), WithMnistWeights("lr-sweep/learningRate=0.01", 80)]);

        Assert.Equal(
            [RunPlots.LossFile, RunPlots.AccuracyFile, RunPlots.TestAccuracyFile, "a/" + RunPlots.ConfusionFile, "a/" + RunPlots.WeightsFile],
            pictures.Take(5).Select(p => p.RelativePath));
        Assert.Equal(7, pictures.Count);
        Assert.DoesNotContain(pictures, p => p.Experiment == "b");
        Assert.All(pictures, picture =>
        {
            using var bitmap = SKBitmap.Decode(picture.Png);
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width >= 600 && bitmap.Height >= 240, $"{picture.RelativePath} is {bitmap.Width}x{bitmap.Height}");
        });
    }

    [Fact]
    public void Weight_templates_use_a_diverging_scale_red_for_positive_and_blue_for_negative()
    {
        var picture = RunPlots.Draw([WithMnistWeights("a", 91)]).Single(p => p.RelativePath.EndsWith(RunPlots.WeightsFile, StringComparison.Ordinal));
        using var bitmap = SKBitmap.Decode(picture.Png);
        var (reddish, bluish) = (0, 0);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                reddish += c.Red > c.Blue + 30 ? 1 : 0;
                bluish += c.Blue > c.Red + 30 ? 1 : 0;
            }
        }

        // Per template, 28 positive cells against 27 * 14 negative ones (the colour bar adds some of both): far more
        // blue than red, and both present.
        Assert.True(reddish > 500, $"{reddish} red pixels");
        Assert.True(bluish > 4 * reddish, $"{bluish} blue against {reddish} red pixels");
    }

    [Theory]
    [InlineData("seed-recipe", "seed-recipe")]
    [InlineData("a.b_c-1", "a.b_c-1")]
    public void Plain_names_are_their_own_folders(string name, string folder) => Assert.Equal(folder, RunPlots.FolderName(name));

    [Fact]
    public void Other_names_become_safe_distinct_folders()
    {
        var sweep = RunPlots.FolderName("lr-sweep/learningRate=0.01");
        Assert.Matches("^lr-sweep_learningRate_0.01-[0-9a-f]{8}$", sweep);
        Assert.NotEqual(sweep, RunPlots.FolderName("lr-sweep/learningRate=0?01"));
        Assert.NotEqual("..", RunPlots.FolderName(".."));
        Assert.DoesNotContain('/', RunPlots.FolderName("../../etc"));
    }
}
