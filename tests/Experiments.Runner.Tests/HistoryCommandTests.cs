using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>runs, show, compare, history and export on stores written here (no training), and their errors.</summary>
public sealed class HistoryCommandTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, ExperimentCatalog.All);
        return (exitCode, console.Output);
    }

    internal static ExperimentResult Result(string name, double accuracy) => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = ExperimentStatus.Completed,
        Hyperparameters = (new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 }).ToNamedValues(),
        Epochs = [new EpochMetrics(1, 0.5, 0.1) { TestAccuracy = accuracy, TestLoss = 0.4 }],
        Test = new Evaluation { Accuracy = accuracy, Loss = 0.4, PerClassAccuracy = [accuracy, accuracy], ConfusionMatrix = [[1, 0], [0, 1]], Count = 10_000 },
        TrainSeconds = 1,
    };

    private void Record(params (string Name, double Accuracy, string Sha)[] rows)
    {
        using var store = ResultStore.OpenOrCreate(results.Path);
        var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET", GitCommit = "abcdef1234567890" }, Start);
        foreach (var (name, accuracy, sha) in rows)
        {
            store.AddResult(run, Result(name, accuracy), new ExperimentSource($"experiments/{name}.yaml", sha));
        }

        store.FinishRun(run, RunStatus.Completed, Start.AddSeconds(2));
    }

    [Fact]
    public void Runs_show_history_compare_and_export_read_what_was_recorded()
    {
        Record(("seed-recipe", 82.5, "aaaa1111"), ("tuned-momentum", 92.4, "bbbb"));
        Record(("seed-recipe", 90.0, "aaaa2222"), ("tuned-momentum", 92.3, "bbbb"));

        var (runsExit, runs) = Run("runs", "--results", results.Path);
        Assert.Equal(0, runsExit);
        Assert.Contains("2 run(s)", runs, StringComparison.Ordinal);
        Assert.Contains("92.40", runs, StringComparison.Ordinal);

        var (showExit, show) = Run("show", "1", "--results", results.Path);
        Assert.Equal(0, showExit);
        Assert.Contains("abcdef1234567890", show, StringComparison.Ordinal);
        Assert.Contains("82.50", show, StringComparison.Ordinal);
        Assert.Contains("Test accuracy per class", show, StringComparison.Ordinal);

        var (historyExit, history) = Run("history", "seed-recipe", "--results", results.Path, "--format", "md");
        Assert.Equal(0, historyExit);
        Assert.Contains("| aaaa2222 changed |", history, StringComparison.Ordinal);

        var (compareExit, compare) = Run("compare", "--results", results.Path, "--format", "json");
        Assert.Equal(0, compareExit);
        using (var json = JsonDocument.Parse(compare))
        {
            var rows = json.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("Experiment").GetString()!);
            Assert.Equal("better", rows["seed-recipe"].GetProperty("Verdict").GetString());
            Assert.Equal("within noise", rows["tuned-momentum"].GetProperty("Verdict").GetString());
        }

        var (tableExit, table) = Run("compare", "--results", results.Path, "--baseline", "1");
        Assert.Equal(0, tableExit);
        Assert.Contains("against run 1", table, StringComparison.Ordinal);
        Assert.Contains("+7.50", table, StringComparison.Ordinal);

        var file = Path.Combine(results.Path, "export", "run1.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var (exportExit, export) = Run("export", "--format", "csv", "--run", "1", "--output", file, "--results", results.Path);
        Assert.Equal(0, exportExit);
        Assert.Contains("Run 1 exported", export, StringComparison.Ordinal);
        Assert.StartsWith("run,experiment,", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllText(file).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);

        var (latestExit, latest) = Run("export", "--format", "json", "--results", results.Path);
        Assert.Equal(0, latestExit);
        using var latestJson = JsonDocument.Parse(latest);
        Assert.Equal(2, latestJson.RootElement.GetProperty("run").GetProperty("id").GetInt64());
    }

    [Fact]
    public void Show_of_one_experiment_lists_its_model_layers_and_the_total()
    {
        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, Start);
            var model = new Experiments.Models.ModelSummary(
                Experiments.Models.ModelKind.Layers,
                "conv(32)-pool-fc(10)",
                [1, 28, 28],
                [
                    new("conv1", "conv2d 32 3x3", [32, 26, 26], 320),
                    new("pool1", "maxpool 2", [32, 13, 13], 0),
                    new("fc1", "linear 10", [10], 54_090),
                ],
                54_410);
            store.AddResult(run, Result("cnn", 98.5) with { Model = model });
            store.AddResult(run, Result("old-one", 90));
            store.FinishRun(run, RunStatus.Completed, Start.AddSeconds(2));
        }

        var (exit, output) = Run("show", "1", "cnn", "--results", results.Path);
        Assert.True(exit == 0, output);
        Assert.Contains("Layers of conv(32)-pool-fc(10)", output, StringComparison.Ordinal);
        Assert.Matches(@"conv1\s+│ conv2d 32 3x3\s+│ 32x26x26\s+│\s+320 │", output);
        Assert.Matches(@"fc1\s+│ linear 10\s+│ 10\s+│\s+54,090 │", output);
        Assert.Matches(@"Total\s+│ conv\(32\)-pool-fc\(10\)\s+│\s+│\s+54,410 │", output);
        Assert.Contains("Input: 1x28x28", output, StringComparison.Ordinal);
        Assert.Contains("98.50", output, StringComparison.Ordinal);
        Assert.DoesNotContain("old-one", output, StringComparison.Ordinal);

        var (oldExit, old) = Run("show", "1", "old-one", "--results", results.Path);
        Assert.Equal(0, oldExit);
        Assert.Contains("No model summary was recorded", old, StringComparison.Ordinal);

        var (missingExit, missing) = Run("show", "1", "cn", "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, missingExit);
        Assert.Contains("Run 1 has no result of 'cn'", missing, StringComparison.Ordinal);
        Assert.Contains("cnn", missing, StringComparison.Ordinal);
    }

    [Fact]
    public void History_of_an_unknown_name_lists_only_the_closest_of_many_and_echoes_a_long_name_shortened()
    {
        Record([.. Enumerable.Range(0, 30).Select(i => ($"grid/seed={i}", 90.0, "aa"))]);
        var (exitCode, output) = Run("history", "grid/seed=7x", "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("did you mean 'grid/seed=7'? The closest 10 of the 30 experiments with results: grid/seed=7, grid/seed=0,", output, StringComparison.Ordinal);
        Assert.Contains(", and 20 more", output, StringComparison.Ordinal);
        Assert.DoesNotContain("grid/seed=29", output, StringComparison.Ordinal);

        var (longExit, longOutput) = Run("history", new string('y', 100_000), "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, longExit);
        Assert.Contains($"No results of '{new string('y', 80)}… (100,000 characters)'", longOutput, StringComparison.Ordinal);
        Assert.True(longOutput.Length < 1_000, longOutput);
    }

    [Theory]
    [InlineData("There is no run 9", "show", "9")]
    [InlineData("There is no run 9", "export", "--format", "md", "--run", "9")]
    [InlineData("did you mean 'seed-recipe'?", "history", "seed-recipee")]
    [InlineData("--baseline 'v0-never' is not a run id", "compare", "--baseline", "v0-never")]
    public void Questions_the_history_cannot_answer_are_usage_errors_that_say_why(string expected, params string[] args)
    {
        Record(("seed-recipe", 82.5, "aaaa"));
        var (exitCode, output) = Run([.. args, "--results", results.Path]);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Argument 'xml' not recognized", "compare", "--format", "xml")]
    [InlineData("Option '--format' is required", "export")]
    [InlineData("Argument 'table' not recognized", "export", "--format", "table")]
    [InlineData("--run must be a run id (1 or more), but is 0", "export", "--format", "md", "--run", "0")]
    [InlineData("Cannot parse argument 'last' for command 'show'", "show", "last")]
    [InlineData("Required argument missing for command: 'history'", "history")]
    public void Bad_arguments_of_the_history_commands_are_usage_errors(string expected, params string[] args)
    {
        var (exitCode, output) = Run([.. args, "--results", results.Path]);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Empty(results.Files());
    }

    [Theory]
    [InlineData("runs")]
    [InlineData("compare")]
    [InlineData("history", "seed-recipe")]
    [InlineData("show", "1")]
    [InlineData("export", "--format", "csv")]
    public void Reading_commands_on_a_missing_or_corrupt_store_fail_clearly_and_change_nothing(params string[] args)
    {
        var (missingExit, missing) = Run([.. args, "--results", results.Path]);
        Assert.Equal(ExitCodes.UsageError, missingExit);
        Assert.Contains("No run history at", missing, StringComparison.Ordinal);
        Assert.Empty(results.Files());

        var store = ResultStore.PathIn(results.Path);
        File.WriteAllText(store, "not a database");
        var (corruptExit, corrupt) = Run([.. args, "--results", results.Path]);
        Assert.Equal(ExitCodes.UsageError, corruptExit);
        Assert.Contains("is not an SQLite database", corrupt, StringComparison.Ordinal);
        Assert.Equal("not a database", File.ReadAllText(store));
        Assert.Single(results.Files());
    }
}
