using System.Globalization;
using System.Runtime.InteropServices;
using Experiments.Data;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Reporting;

/// <summary>What the <c>datasets</c> command found out about one loaded dataset: where it is, its split sizes and its class balance.</summary>
/// <param name="Description">The dataset's description.</param>
/// <param name="Location">The folder(s) its files were found in, or null when unknown.</param>
/// <param name="TrainCount">Examples in the training split.</param>
/// <param name="TestCount">Examples in the test split.</param>
/// <param name="TrainPerClass">Training examples per class, in class-index order.</param>
/// <param name="TestPerClass">Test examples per class, in class-index order.</param>
public sealed record DatasetSummary(
    DatasetDescription Description,
    string? Location,
    int TrainCount,
    int TestCount,
    IReadOnlyList<long> TrainPerClass,
    IReadOnlyList<long> TestPerClass)
{
    /// <summary>The name of class <paramref name="index"/>, or the index as text when the description has none for it.</summary>
    public string ClassName(int index) =>
        index >= 0 && index < Description.ClassNames.Count ? Description.ClassNames[index] : index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One row of the <c>datasets</c> listing: a description, with what loading it gave (a summary) or why it failed.</summary>
/// <param name="Description">The dataset's description.</param>
/// <param name="Summary">The loaded dataset's summary, or null when it failed to load.</param>
/// <param name="Error">Why it failed to load, or null.</param>
public sealed record DatasetListing(DatasetDescription Description, DatasetSummary? Summary, string? Error);

/// <summary>
/// The <c>datasets</c> command's tables and pictures: a listing of the described datasets, the class balance of one,
/// and a picture grid of sample examples per class.
/// </summary>
public static class DatasetOverview
{
    /// <summary>Examples per class on the sample picture.</summary>
    public const int DefaultSamplesPerClass = 10;

    /// <summary>Most classes drawn on a sample picture (one row each); the rest are left out and the title says so.</summary>
    public const int MaxPictureClasses = 100;

    /// <summary>Counts the examples per class of each split; <paramref name="location"/> is where its files were found.</summary>
    public static DatasetSummary Summarize(Dataset data, string? location)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new DatasetSummary(data.Description, location, data.Train.Count, data.Test.Count, PerClass(data.Train, data.NumClasses), PerClass(data.Test, data.NumClasses));
    }

    /// <summary>Where the store finds the dataset's files: the folders of its sources (<see cref="DatasetStore.SourceFolders"/>).</summary>
    public static string Locate(DatasetStore store, string name)
    {
        ArgumentNullException.ThrowIfNull(store);
        return string.Join(", ", store.SourceFolders(name));
    }

    /// <summary>One row per dataset: name, format, description, example shape, classes, where it was found, split sizes (or the error).</summary>
    public static TextTable Listing(IReadOnlyList<DatasetListing> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        IReadOnlyList<Column<DatasetListing>> columns =
        [
            new("Dataset", d => d.Description.Name),
            new("Format", d => d.Description.Format.ToString().ToLowerInvariant()),
            new("Example shape", d => HistoryTables.Shape(d.Description.Shape)),
            new("Classes", d => new Cell(d.Description.ClassNames.Count.ToString(CultureInfo.InvariantCulture), d.Description.ClassNames.Count), Numeric: true),
            new("Train", d => d.Summary is { } s ? new Cell(Results.ResultTable.FormatCount(s.TrainCount), s.TrainCount) : "-", Numeric: true),
            new("Test", d => d.Summary is { } s ? new Cell(Results.ResultTable.FormatCount(s.TestCount), s.TestCount) : "-", Numeric: true),
            new("Found in", d => d.Summary is { } s ? s.Location ?? "-" : new Cell("failed to load", null, CellMark.Worse)),
            new("Description", d => d.Description.Description),
        ];
        return TextTable.Of("Datasets", columns, datasets);
    }

    /// <summary>One row per class: its index and name, and its examples (count and share) in each split.</summary>
    public static TextTable ClassBalance(DatasetSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var classes = Math.Max(summary.TrainPerClass.Count, summary.TestPerClass.Count);
        var rows = new List<IReadOnlyList<Cell>>(classes + 1);
        for (var c = 0; c < classes; c++)
        {
            var train = c < summary.TrainPerClass.Count ? summary.TrainPerClass[c] : 0;
            var test = c < summary.TestPerClass.Count ? summary.TestPerClass[c] : 0;
            rows.Add(
            [
                new Cell(c.ToString(CultureInfo.InvariantCulture), c),
                summary.ClassName(c),
                new Cell(Results.ResultTable.FormatCount(train), train),
                Cell.Of(Share(train, summary.TrainCount), "F1"),
                new Cell(Results.ResultTable.FormatCount(test), test),
                Cell.Of(Share(test, summary.TestCount), "F1"),
            ]);
        }

        rows.Add(["", "Total", new Cell(Results.ResultTable.FormatCount(summary.TrainCount), summary.TrainCount), "100.0", new Cell(Results.ResultTable.FormatCount(summary.TestCount), summary.TestCount), "100.0"]);
        return new TextTable($"{summary.Description.Name}: class balance", ["#", "Class", "Train", "Train (%)", "Test", "Test (%)"], rows)
        {
            NumericColumns = new HashSet<int> { 0, 2, 3, 4, 5 },
        };

        static double? Share(long count, int total) => total == 0 ? null : 100.0 * count / total;
    }

    /// <summary>
    /// How examples of <paramref name="shape"/> are drawn: (height, width, channels), or null with why not.
    /// [1, H, W] grey, [3, H, W] colour, [H, W] grey, [F] grey when F is a square number (64 values: 8x8).
    /// </summary>
    public static (int Height, int Width, int Channels)? PictureLayout(IReadOnlyList<int> shape, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(shape);
        reason = null;
        switch (shape.Count)
        {
            case 3 when shape[0] is 1 or 3 && shape[1] > 0 && shape[2] > 0:
                return (shape[1], shape[2], shape[0]);
            case 2 when shape[0] > 0 && shape[1] > 0:
                return (shape[0], shape[1], 1);
            case 1 when shape[0] > 0 && (int)Math.Round(Math.Sqrt(shape[0])) is var side && side * side == shape[0]:
                return (side, side, 1);
            default:
                reason = $"examples of shape [{string.Join(", ", shape)}] are not pictures: only [1, height, width] (grey), [3, height, width] (colour) and a square number of values (grey, e.g. 64 as 8x8) are drawn";
                return null;
        }
    }

    /// <summary>
    /// A PNG grid of the first <paramref name="perClass"/> training examples of each class, one row per class labelled
    /// with its name (cut when long); values are divided by the dataset's divisor and drawn as grey (one channel) or
    /// colour (three). Null, with <paramref name="reason"/>, for examples that are no picture (see <see cref="PictureLayout"/>).
    /// </summary>
    public static byte[]? SamplePicture(Dataset data, out string? reason, int perClass = DefaultSamplesPerClass)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        if (PictureLayout(data.ExampleShape, out reason) is not { } layout)
        {
            return null;
        }

        var (height, width, channels) = layout;
        var classes = Math.Min(data.NumClasses, MaxPictureClasses);
        var examples = Examples(data.Train, classes, perClass);

        // Small images are scaled up to about 56 pixels; large ones down to at most 112 (nearest neighbour).
        var longest = Math.Max(height, width);
        var scale = longest >= 56 ? Math.Min(1.0, 112.0 / longest) : Math.Ceiling(56.0 / longest);
        var (tileHeight, tileWidth) = (Math.Max(1, (int)(height * scale)), Math.Max(1, (int)(width * scale)));
        const int gap = 4;
        const int margin = 10;
        const int titleHeight = 34;
        using var typeface = SKTypeface.Default;
        using var labelFont = new SKFont(typeface, 14);
        using var titleFont = new SKFont(typeface, 16);
        var labels = Enumerable.Range(0, classes).Select(c => RunPlots.ShortLabel(data.ClassNames[c], 24)).ToList();
        var labelWidth = (int)Math.Ceiling(labels.Select(l => labelFont.MeasureText(l)).DefaultIfEmpty(0).Max()) + 12;
        var title = $"{data.Name}: the first {perClass.ToString(CultureInfo.InvariantCulture)} training examples of each class"
            + (classes < data.NumClasses ? $" (the first {classes.ToString(CultureInfo.InvariantCulture)} of {data.NumClasses.ToString(CultureInfo.InvariantCulture)} classes)" : "");
        var imageWidth = Math.Max(margin + labelWidth + (perClass * (tileWidth + gap)) + margin, (int)Math.Ceiling(titleFont.MeasureText(title)) + (2 * margin));
        var rowHeight = Math.Max(tileHeight, 18) + gap;
        var imageHeight = titleHeight + (classes * rowHeight) + margin;

        var pixels = new uint[imageWidth * imageHeight];
        Array.Fill(pixels, 0xFFFFFFFFu); // white (BGRA or RGBA alike)
        var divisor = data.InputDivisor;
        for (var c = 0; c < classes; c++)
        {
            var top = titleHeight + (c * rowHeight);
            for (var k = 0; k < examples[c].Count; k++)
            {
                var values = examples[c][k];
                var left = margin + labelWidth + (k * (tileWidth + gap));
                for (var y = 0; y < tileHeight; y++)
                {
                    var sy = Math.Min(height - 1, (int)(y / scale));
                    for (var x = 0; x < tileWidth; x++)
                    {
                        var sx = Math.Min(width - 1, (int)(x / scale));
                        byte Channel(int channel) => Intensity(values[(channel * height * width) + (sy * width) + sx], divisor);
                        var (r, g, b) = channels == 3 ? (Channel(0), Channel(1), Channel(2)) : (Channel(0), Channel(0), Channel(0));
                        pixels[((top + y) * imageWidth) + left + x] = Pack(r, g, b);
                    }
                }
            }
        }

        var info = new SKImageInfo(imageWidth, imageHeight, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(MemoryMarshal.Cast<uint, int>(pixels.AsSpan()).ToArray(), 0, bitmap.GetPixels(), pixels.Length);
        using (var canvas = new SKCanvas(bitmap))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        using (var grey = new SKPaint { Color = SKColors.Gray, IsAntialias = true })
        {
            canvas.DrawText(title, margin, 22, SKTextAlign.Left, titleFont, ink);
            for (var c = 0; c < classes; c++)
            {
                var middle = titleHeight + (c * rowHeight) + (Math.Max(tileHeight, 18) / 2f) + 5;
                canvas.DrawText(labels[c], margin + labelWidth - 12, middle, SKTextAlign.Right, labelFont, ink);
                if (examples[c].Count == 0)
                {
                    canvas.DrawText("(no training examples)", margin + labelWidth, middle, SKTextAlign.Left, labelFont, grey);
                }
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static uint Pack(byte r, byte g, byte b) => 0xFF000000u | ((uint)b << 16) | ((uint)g << 8) | r; // RGBA8888, little-endian

    private static byte Intensity(float value, double divisor)
    {
        var scaled = value / divisor;
        return double.IsNaN(scaled) ? (byte)0 : (byte)Math.Round(Math.Clamp(scaled, 0, 1) * 255);
    }

    /// <summary>Per class, the values (float, channel-major) of its first <paramref name="perClass"/> examples.</summary>
    private static List<List<float[]>> Examples(DataSplit split, int classes, int perClass)
    {
        using var scope = NewDisposeScope();
        var labels = split.Labels.data<long>().ToArray();
        var chosen = Enumerable.Range(0, classes).Select(_ => new List<long>()).ToList();
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= 0 && labels[i] < classes && chosen[(int)labels[i]].Count < perClass)
            {
                chosen[(int)labels[i]].Add(i);
            }
        }

        var flat = split.Inputs.reshape(split.Count, -1);
        var features = (int)flat.shape[1];
        return [.. chosen.Select(indices =>
        {
            if (indices.Count == 0)
            {
                return new List<float[]>();
            }

            var values = flat.index_select(0, tensor(indices.ToArray())).to_type(ScalarType.Float32).data<float>().ToArray();
            return Enumerable.Range(0, indices.Count).Select(k => values.AsSpan(k * features, features).ToArray()).ToList();
        })];
    }

    private static long[] PerClass(DataSplit split, int classes)
    {
        using var scope = NewDisposeScope();
        var counts = split.Count == 0 ? new long[classes] : bincount(split.Labels, minlength: classes).data<long>().ToArray();
        return counts.Length >= classes ? counts : [.. counts, .. new long[classes - counts.Length]];
    }
}
