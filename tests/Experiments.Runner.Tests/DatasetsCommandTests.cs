using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Experiments.Data;
using Experiments.Generated;
using Experiments.History;
using SkiaSharp;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary><c>datasets</c>: the listing, class balance, sample pictures, unknown names and a dataset that fails to load.</summary>
public sealed partial class DatasetsCommandTests : IDisposable
{
    private const string LongName = "a class name far too long to be shown whole on a picture";

    private readonly TemporaryDirectory results = new();
    private readonly TemporaryDirectory synthetic = new();

    public DatasetsCommandTests()
    {
        // 4x4 images; the training split holds class 0 three times and class 1 twice, the test split one of each.
        WriteIdx("train", [0, 1, 0, 0, 1]);
        WriteIdx("t10k", [1, 0]);
    }

    public void Dispose()
    {
        results.Dispose();
        synthetic.Dispose();
    }

    private DatasetDescription Synthetic => new()
    {
        Name = "synth",
        Description = "a synthetic IDX dataset",
        Format = DatasetFormat.Idx,
        Root = synthetic.Path, // absolute
        Shape = [1, 4, 4],
        ClassNames = ["ring", LongName],
        Train = new(IdxFileNames.TrainImages, IdxFileNames.TrainLabels),
        Test = new(IdxFileNames.TestImages, IdxFileNames.TestLabels),
    };

    private static DatasetDescription Broken => DatasetCatalog.Mnist with { Name = "broken", Root = "no-such-folder", Description = "files missing" };

    private (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(
            ["datasets", .. args, "--data-root", RepositoryPaths.Data, "--results", results.Path],
            console,
            ExperimentCatalog.All,
            options => options with { Datasets = [DatasetCatalog.Mnist, Synthetic, Broken], SystemSearchDirectories = [], VerificationCachePath = null },
            CancellationToken.None);
        return (exitCode, console.Output);
    }

    private void WriteIdx(string prefix, byte[] labels)
    {
        var images = new byte[16 + (labels.Length * 16)];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), labels.Length);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), 4);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), 4);
        for (var i = 16; i < images.Length; i++)
        {
            images[i] = (byte)(i * 37 % 256);
        }

        var labelFile = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(labelFile, 0x0801);
        BinaryPrimitives.WriteInt32BigEndian(labelFile.AsSpan(4), labels.Length);
        labels.CopyTo(labelFile, 8);
        var kind = prefix == "train" ? "train" : "t10k";
        File.WriteAllBytes(Path.Combine(synthetic.Path, $"{kind}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(synthetic.Path, $"{kind}-labels-idx1-ubyte"), labelFile);
    }

    private static string Squeeze(string output) => Spaces().Replace(output, " ");

    [Fact]
    public void Mnist_is_listed_with_its_folder_split_sizes_class_balance_and_a_sample_picture()
    {
        var (exit, output) = Run("mnist");

        Assert.True(exit == 0, output);
        var text = Squeeze(output);
        Assert.Contains($"│ mnist │ idx │ 1x28x28 │ 10 │ 60,000 │ 10,000 │ {RepositoryPaths.MnistDirectory} │ Handwritten digits", text, StringComparison.Ordinal);
        // Class 1: 6,742 training and 1,135 test images (11.2% and 11.3%).
        Assert.Contains("│ 1 │ 1 │ 6,742 │ 11.2 │ 1,135 │ 11.3 │", text, StringComparison.Ordinal);
        Assert.Contains("│ │ Total │ 60,000 │ 100.0 │ 10,000 │ 100.0 │", text, StringComparison.Ordinal);
        Assert.DoesNotContain("synth", text, StringComparison.Ordinal); // only the dataset asked for

        var picture = Path.Combine(results.Path, "datasets", "mnist.png");
        Assert.Contains(picture, output.ReplaceLineEndings(""), StringComparison.Ordinal);
        using var bitmap = SKBitmap.Decode(picture);
        Assert.NotNull(bitmap);
        // Ten rows of ten 56-pixel tiles (28x28 scaled by 2) under a title, beside the labels.
        Assert.InRange(bitmap.Width, 10 * 60, 900);
        Assert.InRange(bitmap.Height, 10 * 60, 700);
        var dark = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                dark += bitmap.GetPixel(x, y).Red < 30 ? 1 : 0;
            }
        }

        // MNIST's background is black: most of each tile, so most of a quarter of the picture's pixels sampled.
        Assert.True(dark > bitmap.Width * bitmap.Height / 4 / 2, $"{dark} dark pixels sampled");
    }

    [Fact]
    public void A_synthetic_dataset_shows_its_own_classes_counts_and_folder()
    {
        var (exit, output) = Run("synth");

        Assert.True(exit == 0, output);
        var text = Squeeze(output);
        Assert.Contains($"│ synth │ idx │ 1x4x4 │ 2 │ 5 │ 2 │ {synthetic.Path} │ a synthetic IDX dataset │", text, StringComparison.Ordinal);
        Assert.Contains("│ 0 │ ring │ 3 │ 60.0 │ 1 │ 50.0 │", text, StringComparison.Ordinal);
        Assert.Contains($"│ 1 │ {LongName} │ 2 │ 40.0 │ 1 │ 50.0 │", text, StringComparison.Ordinal);
        using var bitmap = SKBitmap.Decode(Path.Combine(results.Path, "datasets", "synth.png"));
        Assert.NotNull(bitmap);
        // Two rows; the long name is cut, so the picture stays narrow.
        Assert.InRange(bitmap.Height, 2 * 56, 200);
        Assert.InRange(bitmap.Width, 10 * 60, 1000);
    }

    [Fact]
    public void An_unknown_name_is_a_usage_error_naming_the_known_datasets()
    {
        var (exit, output) = Run("mnist", "nosuch");

        Assert.Equal(ExitCodes.UsageError, exit);
        Assert.Contains("Unknown dataset 'nosuch'. Known datasets: mnist, synth, broken.", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(results.Path, "datasets")), "nothing is written for a mistyped name");
    }

    [Fact]
    public void A_dataset_that_fails_to_load_is_reported_and_the_others_are_still_listed()
    {
        var (exit, output) = Run();

        Assert.Equal(ExitCodes.ExperimentFailed, exit);
        var text = Squeeze(output.ReplaceLineEndings(" "));
        Assert.Contains("│ broken │ idx │ 1x28x28 │ 10 │ - │ - │ failed to load │ files missing │", text, StringComparison.Ordinal);
        Assert.Contains("broken failed to load: ", text, StringComparison.Ordinal);
        Assert.Contains("no-such-folder", text, StringComparison.Ordinal); // the store's not-found error names where it looked
        Assert.Contains("│ mnist │ idx │ 1x28x28 │ 10 │ 60,000 │ 10,000 │", text, StringComparison.Ordinal);
        Assert.Contains("│ 0 │ ring │ 3 │ 60.0 │ 1 │ 50.0 │", text, StringComparison.Ordinal);
        Assert.Contains("1 of 3 dataset(s) failed to load: broken", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(results.Path, "datasets", "mnist.png")));
        Assert.True(File.Exists(Path.Combine(results.Path, "datasets", "synth.png")));
        Assert.False(File.Exists(Path.Combine(results.Path, "datasets", "broken.png")));
    }

    [Fact]
    public void Show_names_the_classes_of_one_experiment()
    {
        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, DateTimeOffset.UnixEpoch);
            store.AddResult(run, HistoryCommandTests.Result("clothes", 75) with { Dataset = "fashion-mnist", ClassNames = ["T-shirt/top", "Trouser"] });
            store.FinishRun(run, RunStatus.Completed, DateTimeOffset.UnixEpoch.AddSeconds(1));
        }

        var console = new TestConsole().Width(250);
        Assert.Equal(0, TestHost.Run(["show", "1", "clothes", "--results", results.Path], console, ExperimentCatalog.All));
        var text = Squeeze(console.Output);
        Assert.Contains("│ 0 │ T-shirt/top │ 75.0 │ 1 │ - │", text, StringComparison.Ordinal);
        Assert.Contains("│ 1 │ Trouser │ 75.0 │ 1 │ - │", text, StringComparison.Ordinal);

        var whole = new TestConsole().Width(250);
        Assert.Equal(0, TestHost.Run(["show", "1", "--results", results.Path], whole, ExperimentCatalog.All));
        Assert.Contains("│ Experiment │ T-shirt/top │ Trouser │", Squeeze(whole.Output), StringComparison.Ordinal);
    }

    [GeneratedRegex(" +")]
    private static partial Regex Spaces();
}
