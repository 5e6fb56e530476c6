using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Experiments.Results;
using Experiments.Training;
using Microsoft.Data.Sqlite;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// What the run history says when it holds less than it should: a runner killed with SIGKILL, results that could not
/// be recorded, a damaged row; and that the tables of a run agree wherever they are shown.
/// </summary>
public sealed class IncompleteHistoryTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentSettings OneEpoch = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, catalog);
        return (exitCode, console.Output);
    }

    private static (int ExitCode, string Output) Run(params string[] args) => Run(ExperimentCatalog.All, args);

    /// <summary>Runs a command and returns what it wrote to standard error too.</summary>
    private static (int ExitCode, string Output, string Error) RunCapturingError(params string[] args)
    {
        var previous = Console.Error;
        using var error = new StringWriter();
        Console.SetError(error);
        try
        {
            var (exitCode, output) = Run(args);
            return (exitCode, output, error.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    [Fact]
    public void A_runner_killed_with_sigkill_is_shown_as_abandoned_and_compare_says_it_is_incomplete()
    {
        using (var runner = new RunnerProcess("all", "--data-root", RepositoryPaths.Data, "--results", results.Path))
        {
            // "[2/N]" is printed after the first experiment's result was recorded.
            runner.WaitForOutput($"[2/{ExperimentCatalog.All.Count}]");
            runner.Signal("KILL");
            Assert.Equal(128 + 9, runner.WaitForExit());
        }

        using (var store = ResultStore.OpenExisting(results.Path))
        {
            Assert.Equal(RunStatus.Abandoned, Assert.Single(store.Runs()).Status);
        }

        var (runsExit, runs) = Run("runs", "--results", results.Path);
        Assert.True(runsExit == 0, runs);
        Assert.Contains("│ abandoned │", runs, StringComparison.Ordinal);
        Assert.Contains($" of {ExperimentCatalog.All.Count} │", runs, StringComparison.Ordinal);
        Assert.Contains("Run 1 is abandoned: its process (pid ", runs, StringComparison.Ordinal);

        var (showExit, show) = Run("show", "1", "--results", results.Path);
        Assert.True(showExit == 0, show);
        Assert.Contains("abandoned: its process (pid ", show, StringComparison.Ordinal);

        var (compareExit, compare) = Run("compare", "--results", results.Path, "--format", "md");
        Assert.True(compareExit == 0, compare);
        Assert.Contains("Compared against an incomplete run: the latest result of " + ExperimentCatalog.All[0].Name, compare, StringComparison.Ordinal);
        Assert.Contains("which is abandoned", compare, StringComparison.Ordinal);

        // The reading commands stored what they found out (the store was writable).
        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status FROM runs";
        Assert.Equal(RunStatus.Abandoned, command.ExecuteScalar());
    }

    [Fact]
    public void A_run_whose_results_cannot_all_be_recorded_is_not_completed_and_says_how_many_are_missing()
    {
        // The store fails every result after the first, as a disk that fills up during the run does.
        using (ResultStore.OpenOrCreate(results.Path))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TRIGGER disk_full BEFORE INSERT ON results WHEN (SELECT count(*) FROM results) >= 1 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;";
            command.ExecuteNonQuery();
        }

        IExperiment[] catalog = [new LinearTestExperiment("first", OneEpoch), new LinearTestExperiment("second", OneEpoch), new LinearTestExperiment("third", OneEpoch)];
        var (exitCode, output) = Run(catalog, "all", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.True(exitCode == ExitCodes.ExperimentFailed, output);
        Assert.Contains("Could not record in the run history", output, StringComparison.Ordinal);
        Assert.Contains("2 of 3 results could not be recorded", output, StringComparison.Ordinal);
        Assert.Contains("so run 1 is not completed", output, StringComparison.Ordinal);
        using (var store = ResultStore.OpenExisting(results.Path))
        {
            var run = Assert.Single(store.Runs());
            Assert.Equal(RunStatus.Failed, run.Status);
            Assert.Equal((1, 3, 2), (run.ResultCount, run.PlannedResults, run.MissingResults));
        }

        // Nothing is lost from the result files, and the reading commands say what is missing.
        using (var latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, ResultFiles.JsonFileName))))
        {
            Assert.Equal(3, latest.RootElement.GetArrayLength());
        }

        var (_, runs) = Run("runs", "--results", results.Path);
        Assert.Contains(" 1 of 3 │", runs, StringComparison.Ordinal);
        Assert.Contains("Run 1 recorded 1 of 3 results: 2 missing.", runs, StringComparison.Ordinal);
    }

    private void RecordTwoRuns()
    {
        using var store = ResultStore.OpenOrCreate(results.Path);
        foreach (var accuracy in new[] { 82.5, 90.0 })
        {
            var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, Start, plannedResults: 2);
            store.AddResult(run, HistoryCommandTests.Result("seed-recipe", accuracy), new ExperimentSource("experiments/seed-recipe.yaml", "aaaa"));
            store.AddResult(run, HistoryCommandTests.Result("tuned-momentum", accuracy + 2), new ExperimentSource("experiments/tuned-momentum.yaml", "bbbb"));
            store.FinishRun(run, RunStatus.Completed, Start.AddSeconds(1));
        }
    }

    [Theory]
    [InlineData("92.00", "show", "2")]
    [InlineData("92.00", "compare")]
    [InlineData("82.50", "history", "seed-recipe")]
    [InlineData("92.00", "export", "--format", "md")]
    [InlineData("92", "export", "--format", "csv")]
    [InlineData("92", "export", "--format", "json")]
    [InlineData("1 results", "report")]
    public void A_result_row_with_broken_json_is_skipped_with_a_warning_naming_it_by_every_reading_command(string kept, params string[] args)
    {
        RecordTwoRuns();
        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE results SET hyperparameters = '{\"learningRate\": 0.0' WHERE id = 3"; // run 2, seed-recipe
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var (exitCode, output, error) = RunCapturingError([.. args, "--results", results.Path]);

        Assert.True(exitCode == 0, output);
        Assert.Contains(kept, output, StringComparison.Ordinal);
        Assert.Contains($"warning: skipped result 3 (run 2, experiment 'seed-recipe'): its hyperparameters column cannot be read", error, StringComparison.Ordinal);
        Assert.Contains(ResultStore.PathIn(results.Path), error, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", output, StringComparison.Ordinal); // not in what another program may parse

        // And it still is, every time: the row was left as it is.
        Assert.Equal(0, RunCapturingError([.. args, "--results", results.Path]).ExitCode);
    }

    [Fact]
    public void The_live_table_latest_md_and_show_agree_on_their_shared_columns()
    {
        ExperimentResult[] run =
        [
            HistoryCommandTests.Result("seed-recipe", 82.5),
            HistoryCommandTests.Result("lr-sweep/learningRate=0.1", 91.25) with { Validation = new Evaluation { Accuracy = 90.5, Loss = 0.3, PerClassAccuracy = [], ConfusionMatrix = [], Count = 100 } },
            HistoryCommandTests.Result("blows-up", 10) with { Status = ExperimentStatus.Diverged, Test = null, DivergenceReason = "training loss NaN at epoch 1" },
        ];
        var console = new TestConsole().Width(250);
        console.Write(RunConclusion.BuildTable(run));
        var live = ConsoleTable(console.Output, "Dataset");

        var markdown = ResultFiles.ToMarkdown(run).Split('\n').Where(l => l.StartsWith('|')).Select(l => l.Trim('|').Split(" | ").Select(c => c.Trim()).ToList()).ToList();
        var markdownTable = (Headers: markdown[0], Rows: markdown.Skip(2).ToList());

        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            var id = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, Start);
            foreach (var result in run)
            {
                store.AddResult(id, result);
            }
        }

        var (showExit, showOutput) = Run("show", "1", "--results", results.Path);
        Assert.True(showExit == 0, showOutput);
        var show = ConsoleTable(showOutput, "Dataset");

        foreach (var table in new[] { live, markdownTable, show })
        {
            Assert.Equal(table.Headers.Distinct().Count(), table.Headers.Count);
        }

        Assert.Equal(ResultTable.Columns.Select(c => c.Header), live.Headers);
        Assert.Equal(live.Headers, markdownTable.Headers);
        Assert.Equal(live.Headers, show.Headers.Where(live.Headers.Contains));
        Assert.Equal(3, live.Rows.Count);
        foreach (var header in live.Headers)
        {
            var cells = live.Rows.Select(r => r[live.Headers.IndexOf(header)]).ToList();
            Assert.Equal(cells, markdownTable.Rows.Select(r => r[markdownTable.Headers.IndexOf(header)]));
            Assert.Equal(cells, show.Rows.Select(r => r[show.Headers.IndexOf(header)]));
        }

        Assert.Contains("blows-up diverged: training loss NaN at epoch 1", showOutput, StringComparison.Ordinal);
    }

    /// <summary>The header and rows of the first rounded console table whose second column is <paramref name="second"/> (rows with text only).</summary>
    private static (List<string> Headers, List<List<string>> Rows) ConsoleTable(string output, string second)
    {
        var lines = output.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith('│') && Cells(l) is [_, var cell, ..] && cell == second);
        Assert.True(start >= 0, output);
        static List<string> Cells(string line) => line.Trim().Trim('│').Split('│').Select(c => c.Trim()).ToList();
        var rows = lines.Skip(start + 2).TakeWhile(l => l.TrimStart().StartsWith('│')).Select(Cells).Where(r => r.Any(c => c.Length > 0)).ToList();
        return (Cells(lines[start]), rows);
    }
}
