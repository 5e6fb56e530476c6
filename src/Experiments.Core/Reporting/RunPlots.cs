using System.Globalization;
using System.Text;
using ScottPlot;

namespace Experiments.Reporting;

/// <summary>One picture of a run: its file name (relative to the run's folder), a title, and the PNG.</summary>
public sealed record RunPicture(string RelativePath, string Title, string? Experiment, byte[] Png);

/// <summary>
/// The pictures of a run, drawn with ScottPlot: learning curves of every experiment on shared axes (loss, accuracy),
/// a bar chart of test accuracy, and per experiment its confusion matrix and what the first layer learned: the ten
/// weight templates of a linear model, or the filters of a convolutional model's first layer.
/// </summary>
public static class RunPlots
{
    public const string LossFile = "learning-curves-loss.png";
    public const string AccuracyFile = "learning-curves-accuracy.png";
    public const string TestAccuracyFile = "test-accuracy.png";
    public const string ConfusionFile = "confusion-matrix.png";
    public const string WeightsFile = "weight-templates.png";
    public const string FiltersFile = "first-layer-filters.png";

    /// <summary>Draws every picture the results allow (a failed experiment has no confusion matrix or weights).</summary>
    public static IReadOnlyList<RunPicture> Draw(IReadOnlyList<ExperimentResult> results) => Draw(results, drawn: null);

    /// <summary>
    /// Draws every picture the results allow; an experiment's own picture that <paramref name="drawn"/> already has
    /// (given the result and the picture's relative path, its PNG or null) is taken from there instead of drawn again.
    /// </summary>
    public static IReadOnlyList<RunPicture> Draw(IReadOnlyList<ExperimentResult> results, Func<ExperimentResult, string, byte[]?>? drawn)
    {
        ArgumentNullException.ThrowIfNull(results);
        var pictures = new List<RunPicture>
        {
            new(LossFile, "Loss per epoch (solid: training, dashed: test)", null, LearningCurves(results, loss: true)),
            new(AccuracyFile, "Test accuracy per epoch", null, LearningCurves(results, loss: false)),
            new(TestAccuracyFile, "Test accuracy", null, TestAccuracyBars(results)),
        };
        foreach (var result in results)
        {
            var folder = FolderName(result.Experiment);
            RunPicture Picture(string file, string title, Func<byte[]> draw) =>
                new($"{folder}/{file}", title, result.Experiment, drawn?.Invoke(result, $"{folder}/{file}") ?? draw());
            if (result.Test is { ConfusionMatrix.Count: > 0 } test)
            {
                pictures.Add(Picture(ConfusionFile, $"{result.Experiment}: confusion matrix", () => ConfusionMatrix(result, test)));
            }

            if (FirstConvolution(result) is { } filters)
            {
                pictures.Add(Picture(FiltersFile, $"{result.Experiment}: first-layer filters ({filters.Name})", () => Filters(result.Experiment, filters)));
            }
            else if (result.Weights is { } weights && result.Model is null or { Kind: Models.ModelKind.Linear })
            {
                pictures.Add(Picture(WeightsFile, $"{result.Experiment}: learned weight templates", () => WeightTemplates(result, weights)));
            }
        }

        return pictures;
    }

    /// <summary>Draws the pictures and writes each (atomically) under <paramref name="directory"/>; returns them.</summary>
    /// <param name="directory">The run's folder.</param>
    /// <param name="results">The run's results.</param>
    /// <param name="drawn">Pictures drawn before (as for the two-argument Draw), or null.</param>
    public static IReadOnlyList<RunPicture> Write(string directory, IReadOnlyList<ExperimentResult> results, Func<ExperimentResult, string, byte[]?>? drawn = null)
    {
        var pictures = Draw(results, drawn);
        Save(directory, pictures);
        return pictures;
    }

    /// <summary>Writes each picture (atomically) under <paramref name="directory"/>.</summary>
    public static void Save(string directory, IReadOnlyList<RunPicture> pictures)
    {
        ArgumentNullException.ThrowIfNull(pictures);
        foreach (var picture in pictures)
        {
            var path = Path.Combine(directory, picture.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            Results.AtomicFile.Write(path, picture.Png);
        }
    }

    /// <summary>
    /// A folder name for an experiment: the name itself when it is made of letters, digits, '.', '-' and '_';
    /// otherwise those characters with the rest replaced by '_' and a short hash of the name, so names never collide.
    /// </summary>
    public static string FolderName(string experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var safe = new string(experiment.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        if (safe == experiment && experiment is not ("." or ".."))
        {
            return experiment;
        }

        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(experiment)))[..8];
        return $"{safe}-{hash}";
    }

    private static byte[] LearningCurves(IReadOnlyList<ExperimentResult> results, bool loss)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var result in results)
        {
            var color = palette.GetColor(index++);
            if (loss)
            {
                AddLine(plot, result.Epochs.Select(e => (e.Epoch, e.TrainLoss)), color, $"{result.Experiment} (train)", dashed: false);
                AddLine(plot, result.Epochs.Select(e => (e.Epoch, e.TestLoss ?? double.NaN)), color, $"{result.Experiment} (test)", dashed: true);
            }
            else
            {
                AddLine(plot, result.Epochs.Select(e => (e.Epoch, e.TestAccuracy ?? double.NaN)), color, result.Experiment, dashed: false);
            }
        }

        plot.Title(loss ? "Loss per epoch" : "Test accuracy per epoch");
        plot.XLabel("epoch");
        plot.YLabel(loss ? "mean cross-entropy" : "test accuracy (%)");
        plot.ShowLegend(loss ? Alignment.UpperRight : Alignment.LowerRight);
        return plot.GetImageBytes(900, 540, ImageFormat.Png);
    }

    private static void AddLine(Plot plot, IEnumerable<(int Epoch, double Value)> points, Color color, string label, bool dashed)
    {
        var finite = points.Where(p => double.IsFinite(p.Value)).ToArray();
        if (finite.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(finite.Select(p => (double)p.Epoch).ToArray(), finite.Select(p => p.Value).ToArray(), color);
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 5;
        if (dashed)
        {
            scatter.LinePattern = LinePattern.Dashed;
        }
    }

    private static byte[] TestAccuracyBars(IReadOnlyList<ExperimentResult> results)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = results.Select((result, i) =>
        {
            var accuracy = result.Test?.Accuracy is { } a && double.IsFinite(a) ? a : 0;
            return new Bar
            {
                Position = results.Count - 1 - i,
                Value = accuracy,
                FillColor = palette.GetColor(i),
                Label = result.Test?.Accuracy is { } shown && double.IsFinite(shown)
                    ? shown.ToString("F2", CultureInfo.InvariantCulture) + "%"
                    : result.Status.ToString().ToLowerInvariant(),
            };
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.Horizontal = true;
        plot.Axes.Left.SetTicks(results.Select((_, i) => (double)(results.Count - 1 - i)).ToArray(), results.Select(r => r.Experiment).ToArray());
        plot.Axes.SetLimitsX(0, 110);
        plot.Title("Test accuracy (%)");
        plot.XLabel("test accuracy (%)");
        plot.HideGrid();
        return plot.GetImageBytes(900, Math.Max(240, 90 + 60 * results.Count), ImageFormat.Png);
    }

    /// <summary>Longest class name drawn in full on a picture's axis; longer ones are cut (see <see cref="ShortLabel"/>).</summary>
    internal const int MaxLabelLength = 14;

    /// <summary>
    /// <paramref name="text"/> cut to at most <paramref name="maxLength"/> characters as a reader counts them (text
    /// elements: a surrogate pair or an accented letter is never split), the last one "…" when cut; line breaks and
    /// other control characters become spaces.
    /// </summary>
    internal static string ShortLabel(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var clean = new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        var info = new StringInfo(clean);
        return info.LengthInTextElements <= maxLength ? clean : info.SubstringByTextElements(0, maxLength - 1).TrimEnd() + "…";
    }

    private static byte[] ConfusionMatrix(ExperimentResult result, Evaluation test)
    {
        var experiment = result.Experiment;
        var n = test.ConfusionMatrix.Count;
        var shares = new double[n, n];
        for (var actual = 0; actual < n; actual++)
        {
            var row = test.ConfusionMatrix[actual];
            var total = row.Sum();
            for (var predicted = 0; predicted < n; predicted++)
            {
                shares[actual, predicted] = total == 0 ? 0 : 100.0 * row[predicted] / total;
            }
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues()); // light: few, dark: most
        heatmap.ManualRange = new ScottPlot.Range(0, 100);
        heatmap.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        for (var actual = 0; actual < n; actual++)
        {
            for (var predicted = 0; predicted < n; predicted++)
            {
                var text = plot.Add.Text(test.ConfusionMatrix[actual][predicted].ToString(CultureInfo.InvariantCulture), predicted, n - 1 - actual);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n > 12 ? 8 : 12;
                text.LabelFontColor = shares[actual, predicted] > 50 ? Colors.White : Colors.Black;
            }
        }

        // The classes by name ("T-shirt/top"), long ones cut; the bottom axis turns names longer than a digit or two
        // on their side, so that neighbours do not overlap.
        var labels = Enumerable.Range(0, n).Select(i => ShortLabel(result.ClassName(i), MaxLabelLength)).ToArray();
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray(), labels);
        plot.Axes.Left.SetTicks(Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), labels);
        var longest = labels.Max(l => l.Length);
        if (longest > 3)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            plot.Axes.Bottom.MinimumSize = 20 + (7 * longest);
        }

        plot.Axes.Left.MinimumSize = 20 + (8 * longest);
        plot.Axes.Bottom.TickLabelStyle.FontSize = n > 12 ? 9 : 12;
        plot.Axes.Left.TickLabelStyle.FontSize = n > 12 ? 9 : 12;
        plot.Add.ColorBar(heatmap).Label = "% of the actual class";
        plot.Title($"{experiment}: confusion matrix");
        plot.XLabel("predicted class");
        plot.YLabel("actual class");
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Axes.SquareUnits();
        return plot.GetImageBytes(720 + (longest > 3 ? 6 * longest : 0), 640 + (longest > 3 ? 5 * longest : 0), ImageFormat.Png);
    }

    /// <summary>
    /// The model's first parameter of rank 4 when it is its first parameter of rank above 1, a convolution's weight
    /// [out, in, kh, kw]; null otherwise (a linear model, an MLP, or no state).
    /// </summary>
    internal static Models.StateEntry? FirstConvolution(ExperimentResult result)
    {
        var first = result.State?.Entries.FirstOrDefault(e => e.IsParameter && e.Shape.Count > 1);
        return first is { Shape.Count: 4 } && first.Shape.All(d => d > 0) && first.Values.Length == first.Shape.Aggregate(1L, (a, d) => a * d) ? first : null;
    }

    private static byte[] WeightTemplates(ExperimentResult result, ModelWeights weights)
    {
        var experiment = result.Experiment;
        // Square images (28x28 for MNIST) in one mosaic, two rows of up to five, on one symmetric colour scale.
        var side = (int)Math.Round(Math.Sqrt(weights.Columns));
        var square = side * side == weights.Columns;
        var (tileHeight, tileWidth) = square ? (side, side) : (1, weights.Columns);
        var tiles = Enumerable.Range(0, weights.Rows).Select(row => weights.Row(row).ToArray()).ToList();
        return Mosaic(
            tiles,
            tileHeight,
            tileWidth,
            perRow: 5,
            gap: 6,
            $"{experiment}: learned weight templates, one per class",
            "weight (red: evidence for the class, blue: against)",
            (960, 520),
            Enumerable.Range(0, weights.Rows).Select(row => ShortLabel(result.ClassName(row), MaxLabelLength)).ToList());
    }

    /// <summary>
    /// One small image per output channel of a convolution's weight [out, in, kh, kw], averaged over the input
    /// channels (the one input channel of a grey-scale image), up to 64 channels, eight to a row.
    /// </summary>
    private static byte[] Filters(string experiment, Models.StateEntry weight)
    {
        var (outputs, inputs, height, width) = ((int)weight.Shape[0], (int)weight.Shape[1], (int)weight.Shape[2], (int)weight.Shape[3]);
        var shown = Math.Min(outputs, 64);
        var tiles = new List<float[]>(shown);
        for (var o = 0; o < shown; o++)
        {
            var tile = new float[height * width];
            for (var i = 0; i < inputs; i++)
            {
                var offset = ((long)o * inputs + i) * height * width;
                for (var p = 0; p < tile.Length; p++)
                {
                    tile[p] += weight.Values[offset + p] / inputs;
                }
            }

            tiles.Add(tile);
        }

        var perRow = Math.Min(8, shown);
        var rows = (shown + perRow - 1) / perRow;
        var averaged = inputs > 1 ? $", averaged over {inputs.ToString(CultureInfo.InvariantCulture)} input channels" : "";
        var more = shown < outputs ? $" (the first {shown.ToString(CultureInfo.InvariantCulture)} of {outputs.ToString(CultureInfo.InvariantCulture)})" : "";
        return Mosaic(
            tiles,
            height,
            width,
            perRow,
            gap: Math.Max(1, height / 3),
            $"{experiment}: {weight.Name}, one {height.ToString(CultureInfo.InvariantCulture)}x{width.ToString(CultureInfo.InvariantCulture)} filter per output channel{more}{averaged}",
            "weight (red: positive, blue: negative)",
            (960, Math.Clamp(160 + 110 * rows, 280, 1000)));
    }

    /// <summary>Tiles of one size in one mosaic, labelled by <paramref name="labels"/> (by default their index), on one symmetric colour scale.</summary>
    private static byte[] Mosaic(IReadOnlyList<float[]> tiles, int tileHeight, int tileWidth, int perRow, int gap, string title, string scale, (int Width, int Height) size, IReadOnlyList<string>? labels = null)
    {
        perRow = Math.Max(1, Math.Min(perRow, tiles.Count));
        var tileRows = (tiles.Count + perRow - 1) / perRow;
        var height = tileRows * tileHeight + (tileRows - 1) * gap;
        var width = perRow * tileWidth + (perRow - 1) * gap;
        var mosaic = new double[height, width];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                mosaic[y, x] = double.NaN;
            }
        }

        // The colour scale is symmetric around 0 and ends at the 99.5th percentile of |weight|, so that a few extreme
        // border pixels do not wash out the templates (more extreme weights take the end colours).
        var magnitudes = tiles.SelectMany(t => t).Where(float.IsFinite).Select(v => Math.Abs((double)v)).Order().ToArray();
        var limit = magnitudes.Length == 0 ? 1 : Math.Max(magnitudes[(int)Math.Floor(0.995 * (magnitudes.Length - 1))], 1e-12);

        for (var index = 0; index < tiles.Count; index++)
        {
            var top = index / perRow * (tileHeight + gap);
            var left = index % perRow * (tileWidth + gap);
            var tile = tiles[index];
            for (var i = 0; i < tile.Length; i++)
            {
                mosaic[top + i / tileWidth, left + i % tileWidth] = Math.Clamp(tile[i], -limit, limit);
            }
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(mosaic);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        heatmap.NaNCellColor = Colors.White;
        heatmap.Rectangle = new CoordinateRect(0, width, 0, height);
        for (var index = 0; index < tiles.Count; index++)
        {
            var top = index / perRow * (tileHeight + gap);
            var left = index % perRow * (tileWidth + gap);
            var label = plot.Add.Text(labels is not null && index < labels.Count ? labels[index] : index.ToString(CultureInfo.InvariantCulture), left + tileWidth / 2.0, height - top + 0.3);
            label.LabelAlignment = Alignment.LowerCenter;
            label.LabelFontSize = tileHeight >= 10 ? 14 : 10;
        }

        plot.Add.ColorBar(heatmap).Label = scale;
        plot.Title(title);
        plot.Axes.Frameless();
        plot.HideGrid();
        plot.Axes.SquareUnits();
        plot.Axes.SetLimits(-1, width + 1, -1, height + (tileHeight >= 10 ? 5 : 2));
        return plot.GetImageBytes(size.Width, size.Height, ImageFormat.Png);
    }
}
