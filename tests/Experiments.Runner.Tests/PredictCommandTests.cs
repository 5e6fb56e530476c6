using System.Text.Json;
using Experiments.Generated;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// <c>predict</c> through the command line: digits drawn here (SkiaSharp paths, no font) read by the shipped CNN,
/// the three output formats, files that are not images, and models that cannot be used.
/// </summary>
public sealed class PredictCommandTests : IClassFixture<PredictFixture>, IDisposable
{
    private readonly PredictFixture trained;
    private readonly TemporaryDirectory images = new();

    public PredictCommandTests(PredictFixture trained)
    {
        this.trained = trained;
    }

    public void Dispose() => images.Dispose();

    private (int ExitCode, string Output) Predict(IReadOnlyList<IExperiment> catalog, params string[] args)
    {
        var console = new TestConsole().Width(400);
        var exitCode = TestHost.Run(["predict", .. args, "--results", trained.Results.Path], console, catalog);
        return (exitCode, console.Output);
    }

    private (int ExitCode, string Output) Predict(params string[] args) => Predict(ExperimentCatalog.All, args);

    /// <summary>Every digit in every style of <see cref="DigitDrawing.Styles"/>, as <c>digits/STYLE-DIGIT.png</c>; returns the folder.</summary>
    private string DrawDigits()
    {
        for (int style = 0; style < DigitDrawing.Styles.Count; style++)
        {
            for (int digit = 0; digit < 10; digit++)
            {
                images.Write($"digits/s{style}-{digit}.png", DigitDrawing.Png(digit, DigitDrawing.Styles[style]));
            }
        }

        return images.Combine("digits");
    }

    private static int DrawnDigit(string file) => Path.GetFileNameWithoutExtension(file)[^1] - '0';

    [Fact]
    public void The_shipped_cnn_reads_digits_drawn_at_several_sizes_on_light_and_dark_backgrounds()
    {
        var folder = DrawDigits();

        var (exitCode, output) = Predict("cnn", folder, "--format", "json", "--top", "3");

        Assert.True(exitCode == 0, output);
        using var json = JsonDocument.Parse(output);
        var predictions = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(10 * DigitDrawing.Styles.Count, predictions.Count);
        Assert.Equal(Directory.GetFiles(folder).Order(StringComparer.Ordinal), predictions.Select(p => p.GetProperty("file").GetString()));
        var right = predictions.Count(p => p.GetProperty("label").GetString() == DrawnDigit(p.GetProperty("file").GetString()!).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(right > 0.8 * predictions.Count, $"{right} of {predictions.Count} right:\n{output}");
        foreach (var prediction in predictions)
        {
            var top = prediction.GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(3, top.Count);
            Assert.Equal(prediction.GetProperty("label").GetString(), top[0].GetProperty("label").GetString());
            Assert.Equal(prediction.GetProperty("probability").GetDouble(), top[0].GetProperty("probability").GetDouble());
            var probabilities = top.Select(t => t.GetProperty("probability").GetDouble()).ToList();
            Assert.Equal(probabilities.OrderDescending(), probabilities);
            Assert.All(probabilities, p => Assert.InRange(p, 0, 1));
            Assert.Equal(3, top.Select(t => t.GetProperty("label").GetString()).Distinct().Count());
        }
    }

    [Fact]
    public void Csv_has_a_row_per_image_and_rank_and_the_table_a_row_per_image()
    {
        var seven = images.Write("seven.png", DigitDrawing.Png(7, DigitDrawing.Styles[2]));
        var zero = images.Write("zero, dark.png", DigitDrawing.Png(0, DigitDrawing.Styles[0]));

        var (csvExit, csv) = Predict("run:1/cnn", seven, zero, "--format", "csv", "--top", "2");
        var (tableExit, table) = Predict("cnn", seven, zero);

        Assert.Equal((0, 0), (csvExit, tableExit));
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("file,rank,label,probability", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith($"{seven},1,7,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"{seven},2,", lines[2], StringComparison.Ordinal);
        Assert.StartsWith($"\"{zero}\",1,0,", lines[3], StringComparison.Ordinal);
        Assert.True(double.Parse(lines[1].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture) > double.Parse(lines[2].Split(',')[3], System.Globalization.CultureInfo.InvariantCulture));

        Assert.Contains("Predictions of run:1/cnn", table, StringComparison.Ordinal);
        Assert.Contains("Next 2", table, StringComparison.Ordinal);
        Assert.Contains("seven.png", table, StringComparison.Ordinal);
        Assert.Contains("2 image(s) classified by run:1/cnn (mnist).", table, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named_and_the_others_are_still_classified()
    {
        var png = DigitDrawing.Png(4, DigitDrawing.Styles[1]);
        images.Write("mixed/a-four.png", png);
        images.Write("mixed/notes.txt", "a shopping list, not a digit\n"u8.ToArray());
        images.Write("mixed/half.png", png[..(png.Length / 2)]);
        images.Write("mixed/empty.png", []);
        images.Write("mixed/blank.png", BlankPng());
        images.Write("mixed/.hidden.png", "skipped: hidden"u8.ToArray());
        images.Write("mixed/.thumbnails/x.png", "skipped: in a hidden folder"u8.ToArray());
        images.Write("mixed/deeper/b-four.png", png);
        Directory.CreateDirectory(images.Combine("nothing"));
        Directory.CreateDirectory(images.Combine("only-hidden"));
        images.Write("only-hidden/.DS_Store", [0]);
        var missing = images.Combine("missing.png");

        var (exitCode, output) = Predict("cnn", images.Combine("mixed"), missing, images.Combine("nothing"), images.Combine("only-hidden"));

        Assert.True(exitCode == ExitCodes.ExperimentFailed, output);
        Assert.Matches(@"a-four\.png\s*│ 4 ", output);
        Assert.Matches(@"deeper/b-four\.png\s*│ 4 ", output);
        Assert.Contains($"error: {images.Combine("mixed", "notes.txt")}: not an image SkiaSharp can decode", output, StringComparison.Ordinal);
        Assert.Contains($"error: {images.Combine("mixed", "half.png")}: a truncated image", output, StringComparison.Ordinal);
        Assert.Contains($"error: {images.Combine("mixed", "empty.png")}: an empty file, not an image", output, StringComparison.Ordinal);
        Assert.Contains($"error: {images.Combine("mixed", "blank.png")}: no ink found", output, StringComparison.Ordinal);
        Assert.Contains($"error: {missing}: no such file or folder", output, StringComparison.Ordinal);
        Assert.Contains($"error: {images.Combine("nothing")}: a folder with no files to classify", output, StringComparison.Ordinal);
        Assert.Contains($"error: {images.Combine("only-hidden")}: a folder with no files to classify", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden.png", output, StringComparison.Ordinal);
        Assert.DoesNotContain("x.png", output, StringComparison.Ordinal);
        Assert.Contains("2 image(s) classified by run:1/cnn (mnist), 7 could not be.", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_on_a_bad_file_keeps_standard_output_an_array_of_the_good_ones()
    {
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));
        var text = images.Write("readme.png", "not a PNG"u8.ToArray());

        var (exitCode, output) = Predict("cnn", text, four, "--format", "json");

        Assert.Equal(ExitCodes.ExperimentFailed, exitCode);
        using var json = JsonDocument.Parse(output);
        var only = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(four, only.GetProperty("file").GetString());
    }

    [Fact]
    public void The_uci_digits_model_reads_drawn_digits_as_8x8_counts()
    {
        var folder = DrawDigits();

        var (exitCode, output) = Predict("digits-csv", folder, "--format", "csv", "--top", "1");

        Assert.True(exitCode == 0, output);
        var rows = output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(10 * DigitDrawing.Styles.Count, rows.Count);
        var right = rows.Count(r => r[2] == DrawnDigit(r[0]).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(right > rows.Count / 2, $"{right} of {rows.Count} right:\n{output}");
    }

    [Fact]
    public void A_model_that_cannot_be_found_or_built_is_a_usage_error()
    {
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));

        var (unknownExit, unknown) = Predict("cnnn", four);
        var (noRunExit, noRun) = Predict("run:9/cnn", four);
        var (badExit, bad) = Predict("run:x", four);
        var (topExit, top) = Predict("cnn", four, "--top", "0");
        var (formatExit, format) = Predict("cnn", four, "--format", "xml");

        Assert.Equal(ExitCodes.UsageError, unknownExit);
        Assert.Contains("cnnn", unknown, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, noRunExit);
        Assert.Contains("There is no run 9", noRun, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, badExit);
        Assert.Contains("is not a model reference", bad, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, topExit);
        Assert.Contains("--top must be at least 1, but is 0", top, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, formatExit);
        Assert.Contains("xml", format, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_whose_experiment_left_the_catalog_is_built_from_its_checkpoint()
    {
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));

        var (exitCode, output) = Predict(ExperimentCatalog.All.Where(e => e.Name != "cnn").ToList(), "cnn", four);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"four\.png\s*│ 4 ", output);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_experiment_file_does_not_change_the_model_that_classifies()
    {
        // The file now declares another model whose weights would still load (relu became tanh, softmax added): the
        // catalog's model must not be the one that runs, so it throws when built.
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));
        var (expectedExit, expected) = Predict("cnn", four, "--format", "json", "--top", "10");
        var cnn = ExperimentCatalog.All.Single(e => e.Name == "cnn");
        var catalog = ExperimentCatalog.All.Select(e => e == cnn ? new ChangedExperiment(cnn) : e).ToList();

        var (exitCode, output) = Predict(catalog, "cnn", four, "--format", "json", "--top", "10");

        Assert.Equal((0, 0), (expectedExit, exitCode));
        Assert.Equal(expected, output);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("4", Assert.Single(json.RootElement.EnumerateArray()).GetProperty("label").GetString());
    }

    private static byte[] BlankPng()
    {
        using var bitmap = new SkiaSharp.SKBitmap(40, 40);
        bitmap.Erase(SkiaSharp.SKColors.White);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// An experiment whose file changed since it was trained: another configuration hash and another network (the
    /// activations tanh, a softmax at the end), whose model <c>predict</c> must not build.
    /// </summary>
    private sealed class ChangedExperiment(IExperiment inner) : IExperiment
    {
        public string Name => inner.Name;

        public string Description => inner.Description;

        public string SourceFile => inner.SourceFile;

        public string? ConfigurationSha256 => new('0', 64);

        public string Dataset => inner.Dataset;

        public ExperimentSettings Settings => inner.Settings;

        public Experiments.Models.Network? Network => inner.Network! with
        {
            Layers = [.. inner.Network!.Layers.Select(l => l is Experiments.Models.ActivationLayer a ? a with { Function = Experiments.Models.ActivationKind.Tanh } : l)],
            OutputSoftmax = true,
        };

        public TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> CreateModel() =>
            throw new InvalidOperationException("predict built the model from the experiment file as it is now, not from the checkpoint");

        public ExperimentResult Run(ExperimentContext context) => inner.Run(context);
    }
}
