using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Microsoft.Data.Sqlite;
using Spectre.Console;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// The run history under stress, with real processes: signals during a run, two runners at once, and stores
/// that must not be touched (corrupt, newer schema, write-protected).
/// </summary>
public sealed class ReliabilityTests
{
    [Theory]
    [InlineData("TERM", ExitCodes.Terminated)]
    [InlineData("INT", ExitCodes.Cancelled)]
    [InlineData("QUIT", ExitCodes.Quit)]
    public void A_signal_during_all_keeps_finished_results_marks_the_run_interrupted_and_exits_non_zero(string signal, int exitCode)
    {
        using var results = new TemporaryDirectory();
        using var runner = new RunnerProcess("all", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        // "[2/N]" is printed after the first experiment's result was recorded.
        runner.WaitForOutput($"[2/{ExperimentCatalog.All.Count}]");
        runner.Signal(signal);
        Assert.Equal(exitCode, runner.WaitForExit());
        Assert.Contains("Interrupted:", runner.Output, StringComparison.Ordinal);

        StoppedRun.AssertRecordedInOrder(results.Path);
    }

    [Fact]
    public void Two_runners_recording_into_one_store_at_once_lose_no_result()
    {
        using var results = new TemporaryDirectory();
        using var first = new RunnerProcess("run", "seed-*", "--data-root", RepositoryPaths.Data, "--results", results.Path);
        using var second = new RunnerProcess("run", "seed-*", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.True(first.WaitForExit() == 0, first.Output);
        Assert.True(second.WaitForExit() == 0, second.Output);

        using var store = ResultStore.OpenExisting(results.Path);
        Assert.Equal("ok", store.IntegrityCheck());
        var runs = store.Runs();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, run =>
        {
            Assert.Equal(RunStatus.Completed, run.Status);
            Assert.Equal(["seed-literal-softmax", "seed-recipe"], store.ResultsOfRun(run.Id).Select(r => r.Experiment));
        });

        // Same seeds, same code: the two runs agree to the last digit.
        var accuracies = runs.Select(run => store.ResultsOfRun(run.Id).Select(r => r.Result.Test!.Accuracy).ToList()).ToList();
        Assert.Equal(accuracies[0], accuracies[1]);
        using var latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json")));
        Assert.Equal(2, latest.RootElement.GetArrayLength());
    }

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, ExperimentCatalog.All);
        return (exitCode, console.Output);
    }

    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Convert.ToBase64String(File.ReadAllBytes(f)));

    [Fact]
    public void A_corrupt_store_stops_the_run_before_training_and_is_left_as_it_is()
    {
        using var results = new TemporaryDirectory();
        var store = ResultStore.PathIn(results.Path);
        File.WriteAllText(store, "half a database, or something else entirely");

        var (exitCode, output) = Run("run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"The run history '{store}' is not an SQLite database", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal(["experiments.db"], Directory.GetFiles(results.Path).Select(Path.GetFileName));
        Assert.Equal("half a database, or something else entirely", File.ReadAllText(store));
    }

    [Fact]
    public void A_store_from_a_newer_schema_stops_the_run_before_training_and_is_left_as_it_is()
    {
        using var results = new TemporaryDirectory();
        using (ResultStore.OpenOrCreate(results.Path))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {ResultStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        var before = Snapshot(results.Path);
        var (exitCode, output) = Run("run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"newer than this build understands ({ResultStore.SchemaVersion})", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(results.Path));
    }

    [Fact]
    public void A_write_protected_results_directory_stops_the_run_before_training_and_keeps_its_history()
    {
        using var scratch = new TemporaryDirectory();
        var results = scratch.Combine("results");
        using (var store = ResultStore.OpenOrCreate(results))
        {
            store.AddResult(store.StartRun(new RunInfo { CommandLine = "earlier", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, DateTimeOffset.UtcNow), HistoryCommandTests.Result("seed-recipe", 82.5));
        }

        var before = Snapshot(results);
        var (exitCode, output) = WriteProtection.Run(results, () =>
        {
            var ran = Run("run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results);
            Assert.Equal(before, Snapshot(results));
            return ran;
        });

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"Cannot write results into '{results}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        using var reopened = ResultStore.OpenExisting(results);
        Assert.Equal("earlier", Assert.Single(reopened.Runs()).Info.CommandLine);
    }

    [Fact]
    public void Report_in_a_write_protected_results_folder_says_so_and_can_write_elsewhere()
    {
        using var scratch = new TemporaryDirectory();
        var results = scratch.Combine("results");
        using (var store = ResultStore.OpenOrCreate(results))
        {
            var run = store.StartRun(new RunInfo { CommandLine = "earlier", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, DateTimeOffset.UtcNow);
            store.AddResult(run, HistoryCommandTests.Result("seed-recipe", 82.5));
            store.FinishRun(run, RunStatus.Completed, DateTimeOffset.UtcNow);
        }

        var before = Snapshot(results);
        var elsewhere = scratch.Combine("elsewhere", "report.html");
        var (refused, refusedOutput, written, writtenOutput) = WriteProtection.Run(results, () =>
        {
            var (refused, refusedOutput) = Run("report", "--results", results);
            var (written, writtenOutput) = Run("report", "--results", results, "--output", elsewhere);
            Assert.Equal(before, Snapshot(results));
            return (refused, refusedOutput, written, writtenOutput);
        });

        Assert.Equal(ExitCodes.UsageError, refused);
        Assert.Contains($"cannot write the report to '{Path.Combine(results, "1", "report.html")}'", refusedOutput, StringComparison.Ordinal);
        Assert.Contains("pass --output FILE somewhere writable", refusedOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(" at Experiments.", refusedOutput, StringComparison.Ordinal); // no stack trace

        Assert.True(written == 0, writtenOutput);
        Assert.Contains("the pictures were not saved into", writtenOutput, StringComparison.Ordinal);
        Assert.Contains("<img src=\"data:image/png;base64,", File.ReadAllText(elsewhere), StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_that_escapes_the_run_still_records_how_the_run_ended()
    {
        // The console breaks (as a closed stdout does) right after the experiment's outcome was printed, at the
        // host's own next write (the results table): the exception escapes the run, not an experiment. (A progress
        // handler whose write fails is dropped instead: HostApiTests.)
        using var results = new TemporaryDirectory();
        var console = new BreakingConsole("% in ");
        var exitCode = TestHost.Run(["run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, ExperimentCatalog.All);

        Assert.True(exitCode == ExitCodes.InternalError, console.Output);
        Assert.Contains("the host failed: System.IO.IOException: Broken pipe", console.Output, StringComparison.Ordinal);
        using var store = ResultStore.OpenExisting(results.Path);
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.NotNull(run.EndedAt);
        Assert.Equal("seed-recipe", Assert.Single(store.ResultsOfRun(run.Id)).Experiment);
    }

    /// <summary>A test console whose next write after <paramref name="trigger"/> was printed throws, once.</summary>
    private sealed class BreakingConsole(string trigger) : InterceptingConsole
    {
        private bool broken;

        public override void Write(IRenderable renderable)
        {
            if (!broken && Inner.Output.Contains(trigger, StringComparison.Ordinal))
            {
                broken = true;
                throw new IOException("Broken pipe");
            }

            Inner.Write(renderable);
        }
    }
}
