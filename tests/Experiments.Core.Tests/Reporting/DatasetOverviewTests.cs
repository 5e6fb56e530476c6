using Experiments.Data;
using Experiments.Reporting;
using SkiaSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Reporting;

/// <summary>The <c>datasets</c> command's class balance and sample pictures, on datasets made in memory.</summary>
public sealed class DatasetOverviewTests
{
    private static Dataset Make(IReadOnlyList<int> shape, Tensor trainInputs, long[] trainLabels, double divisor, DatasetFormat format = DatasetFormat.Images) => new(
        new DatasetDescription
        {
            Name = "made",
            Format = format,
            Root = "made",
            Shape = shape,
            ClassNames = ["red", "green", "blue"],
            Train = new DatasetSource("train"),
            Test = new DatasetSource("test"),
            InputDivisor = divisor,
        },
        new DataSplit(trainInputs, tensor(trainLabels)),
        new DataSplit(trainInputs.narrow(0, 0, 1).clone(), tensor(trainLabels.Take(1).ToArray())),
        "made");

    /// <summary>[6, 3, 8, 8] uint8: two images per class, each all in its class's colour channel.</summary>
    private static Dataset Rgb()
    {
        var inputs = zeros([6, 3, 8, 8], dtype: ScalarType.Byte);
        long[] labels = [0, 1, 2, 0, 1, 2];
        for (var i = 0; i < 6; i++)
        {
            inputs[i][labels[i]].fill_(255);
        }

        return Make([3, 8, 8], inputs, labels, 255);
    }

    private static (int Red, int Green, int Blue) Colours(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        var (red, green, blue) = (0, 0, 0);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                red += c is { Red: > 200, Green: < 50, Blue: < 50 } ? 1 : 0;
                green += c is { Green: > 200, Red: < 50, Blue: < 50 } ? 1 : 0;
                blue += c is { Blue: > 200, Red: < 50, Green: < 50 } ? 1 : 0;
            }
        }

        return (red, green, blue);
    }

    [Fact]
    public void Colour_images_are_drawn_in_colour_one_row_per_class()
    {
        using var data = Rgb();
        var png = DatasetOverview.SamplePicture(data, out var reason, perClass: 2);

        Assert.Null(reason);
        var (red, green, blue) = Colours(png!);
        // Per class two tiles of 8x8 scaled by 7 (56x56) in its colour.
        Assert.All(new[] { red, green, blue }, count => Assert.InRange(count, 2 * 56 * 56, (2 * 56 * 56) + 200));
    }

    [Fact]
    public void Csv_rows_of_a_square_count_are_grey_images_scaled_by_the_divisor_and_others_are_no_picture()
    {
        // 64 cells of 0-16: class 0 all 16 (white), class 1 all 8 (mid grey), class 2 all 0 (black).
        using var data = Make([64], tensor(new float[] { 16, 8, 0 }).repeat_interleave(64).reshape(3, 64), [0, 1, 2], 16, DatasetFormat.Csv);
        var png = DatasetOverview.SamplePicture(data, out var reason, perClass: 1);
        Assert.Null(reason);
        using var bitmap = SKBitmap.Decode(png);
        var tiles = new List<byte>();
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red == c.Green && c.Green == c.Blue && c.Red is 128 or 0)
                {
                    tiles.Add(c.Red);
                }
            }
        }

        Assert.InRange(tiles.Count(v => v == 128), 56 * 56, (56 * 56) + 50); // 8 / 16 of full scale
        Assert.InRange(tiles.Count(v => v == 0), 56 * 56, (56 * 56) + 2000); // black tile and the text

        using var odd = Make([5], zeros(3, 5), [0, 1, 2], 16, DatasetFormat.Csv);
        Assert.Null(DatasetOverview.SamplePicture(odd, out var why));
        Assert.Contains("examples of shape [5] are not pictures", why, StringComparison.Ordinal);
    }

    [Fact]
    public void The_class_balance_counts_each_split_and_names_the_classes()
    {
        using var data = Rgb();
        var table = DatasetOverview.ClassBalance(DatasetOverview.Summarize(data, "/somewhere"));

        Assert.Equal(["#", "Class", "Train", "Train (%)", "Test", "Test (%)"], table.Headers);
        Assert.Equal(["0", "red", "2", "33.3", "1", "100.0"], table.Rows[0].Select(c => c.Text));
        Assert.Equal(["2", "blue", "2", "33.3", "0", "0.0"], table.Rows[2].Select(c => c.Text));
        Assert.Equal(["", "Total", "6", "100.0", "1", "100.0"], table.Rows[^1].Select(c => c.Text));
    }
}
