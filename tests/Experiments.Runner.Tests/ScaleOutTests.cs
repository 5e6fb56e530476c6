using System.Globalization;
using System.Text.RegularExpressions;
using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// Scaling out (docs/scale-out.md) from the host's side: <c>--store</c> (an SQLite path, PostgreSQL, bad values, an
/// unreachable server), the worker's command line, and <c>--parallel</c> with real worker processes of the runner.
/// </summary>
public sealed partial class ScaleOutTests : IDisposable
{
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(320);
        var exitCode = ExperimentHost.Run(args, TestHost.Catalog(ExperimentCatalog.All), new ExperimentHostOptions { Console = console });
        return (exitCode, console.Output);
    }

    private static (int ExitCode, string Output) Runner(params string[] args)
    {
        using var runner = new RunnerProcess(args);
        var exitCode = runner.WaitForExit();
        return (exitCode, runner.Output);
    }

    [Fact]
    public void The_worker_command_line_reads_back_into_what_it_was_made_from()
    {
        var host = HostSettings.Resolve(TestHost.Catalog(ExperimentCatalog.All), new ExperimentHostOptions { Console = new TestConsole() });
        var full = new WorkerArguments("local-abc", ["digits-csv", "lr-sweep/learningRate=0.01"])
        {
            Store = "sqlite:/tmp/x/experiments.db",
            Results = "/tmp/x",
            DataRoot = "/tmp/data",
            Threads = 1,
            Force = true,
            Download = true,
            LeaseSeconds = 90,
            Name = "slurm-12_3",
        };
        foreach (var arguments in new[] { full, new WorkerArguments("k", ["seed-recipe"]), new WorkerArguments("joining", []) })
        {
            var (parsed, errors) = WorkerCommand.Parse(host, arguments.ToArguments());
            Assert.Empty(errors);
            Assert.NotNull(parsed);
            Assert.Equal(arguments.ToArguments(), parsed.ToArguments());
            Assert.Equal(arguments.Experiments, parsed.Experiments);
            Assert.Equal(arguments with { Experiments = parsed.Experiments }, parsed);
        }

        Assert.NotEmpty(WorkerCommand.Parse(host, ["worker", "seed-recipe"]).Errors); // --run-key is required
        Assert.NotEmpty(WorkerCommand.Parse(host, ["worker", "--run-key", "k", "--lease", "1"]).Errors);
    }

    [Fact]
    public void A_worker_is_named_by_its_scheduler()
    {
        Assert.Equal("given", WorkerCommand.NameOf("given", _ => "7"));
        var slurm = new Dictionary<string, string> { ["SLURM_ARRAY_JOB_ID"] = "345", ["SLURM_ARRAY_TASK_ID"] = "2", ["SLURM_JOB_ID"] = "347", ["SLURM_ARRAY_TASK_COUNT"] = "4" };
        Assert.Equal("slurm-345_2", WorkerCommand.NameOf(null, slurm.GetValueOrDefault));
        Assert.Equal(new RunScheduling(Schedulers.Slurm, 4), WorkerCommand.SchedulingOf(slurm.GetValueOrDefault));
        var kubernetes = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "5" };
        Assert.Equal("k8s-5", WorkerCommand.NameOf(null, kubernetes.GetValueOrDefault));
        Assert.Equal(Schedulers.Kubernetes, WorkerCommand.SchedulingOf(kubernetes.GetValueOrDefault).Scheduler);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}", WorkerCommand.NameOf(null, _ => null));
        Assert.Equal(Schedulers.Local, WorkerCommand.SchedulingOf(_ => null).Scheduler);
    }

    [Fact]
    public void Store_given_as_an_SQLite_path_records_there_and_every_history_command_reads_it()
    {
        var file = Path.Combine(results.Path, "elsewhere", "sweep.db");
        var (exitCode, output) = Run("run", "digits-csv", "--data-root", RepositoryPaths.Data, "--results", results.Path, "--store", "sqlite:" + file);
        Assert.True(exitCode == 0, output);
        Assert.True(File.Exists(file), output);
        Assert.False(File.Exists(Path.Combine(results.Path, ResultStore.FileName)), "the results folder got a store of its own");
        Assert.Contains($"recorded in {file}", output, StringComparison.Ordinal);

        foreach (var command in new[] { new[] { "runs" }, ["show", "1"], ["history", "digits-csv"], ["export", "--format", "csv"], ["compare"] })
        {
            var (code, text) = Run([.. command, "--results", results.Path, "--store", file]);
            Assert.True(code == 0, $"{string.Join(' ', command)}: {text}");
        }

        // Without --store the results folder's own file is used, and there is none.
        Assert.Equal(ExitCodes.UsageError, Run("runs", "--results", results.Path).ExitCode);
    }

    [Fact]
    public void A_bad_store_is_a_usage_error_that_names_it_without_its_password()
    {
        var (exitCode, output) = Run("runs", "--results", results.Path, "--store", "ftp://me:hunter2@example.org/x");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--store", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", output, StringComparison.Ordinal);

        var (emptyCode, emptyOutput) = Run("run", "digits-csv", "--results", results.Path, "--store", " ");
        Assert.Equal(ExitCodes.UsageError, emptyCode);
        Assert.Contains("--store", emptyOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results.Path, ResultStore.FileName)));
    }

    [Fact]
    public void An_unreachable_server_is_an_error_naming_the_server_without_its_password()
    {
        // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
        var console = new TestConsole().Width(320);
        var exitCode = ExperimentHost.Run(
            ["runs", "--results", results.Path, "--store", "postgresql://me:hunter2@127.0.0.1:1/experiments?Timeout=2"],
            TestHost.Catalog(ExperimentCatalog.All),
            new ExperimentHostOptions { Console = console });
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("127.0.0.1", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_recorded_command_line_never_holds_a_store_password()
    {
        var recorded = string.Join(' ', CommandLineApp.WithoutPasswords(["runs", "--store", "postgresql://me:hunter2@db.example:5433/x", "--store=Host=h;Password=hunter2;Database=d", "--results", "r"]));
        Assert.DoesNotContain("hunter2", recorded, StringComparison.Ordinal);
        Assert.Contains("db.example", recorded, StringComparison.Ordinal);
        Assert.Contains("--results r", recorded, StringComparison.Ordinal);
    }

    [Fact]
    public void Parallel_without_the_run_history_is_a_usage_error()
    {
        var console = new TestConsole().Width(320);
        var exitCode = ExperimentHost.Run(
            ["run", "digits-csv", "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path],
            TestHost.Catalog(ExperimentCatalog.All),
            new ExperimentHostOptions { Console = console, RecordHistory = false });
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("RecordHistory", console.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, Run("run", "digits-csv", "--parallel", "0", "--results", results.Path).ExitCode);
    }

    [Fact]
    public void Parallel_records_each_experiment_once_prints_the_whole_table_and_a_second_run_starts_no_worker()
    {
        string[] names = ["digits-csv", "digits-images", "lr-sweep/learningRate=0.1"];
        var (exitCode, output) = Runner(["run", .. names, "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path]);
        Assert.True(exitCode == 0, output);
        Assert.Contains("[w1]", output, StringComparison.Ordinal);
        Assert.Contains("[w2]", output, StringComparison.Ordinal);
        Assert.Contains("Run 1 (completed)", output, StringComparison.Ordinal);
        Assert.All(names, name => Assert.Contains($"│ {name} ", output, StringComparison.Ordinal));

        using (var store = ResultStore.OpenExisting(results.Path))
        {
            var stored = store.ResultsOfRun(1);
            Assert.Equal(names.Order(StringComparer.Ordinal), stored.Select(r => r.Experiment).Order(StringComparer.Ordinal));
            Assert.All(stored, r => Assert.StartsWith("local-", r.WorkerName, StringComparison.Ordinal));
            Assert.Equal(RunStatus.Completed, store.Run(1)!.Status);
            Assert.Equal(3, new WorkQueue(store).Progress(1).Done);
        }

        using (var latest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json"))))
        {
            Assert.Equal(names, latest.RootElement.EnumerateArray().Select(e => e.GetProperty("experiment").GetString()));
        }

        var (again, cached) = Runner(["run", .. names, "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path]);
        Assert.True(again == 0, cached);
        Assert.Contains("no worker started", cached, StringComparison.Ordinal);
        Assert.DoesNotContain("[w1]", cached, StringComparison.Ordinal);

        var (runsCode, runs) = Run("runs", "--results", results.Path);
        Assert.True(runsCode == 0, runs);
        Assert.Contains("Run 1 (local): 3/3 done", runs, StringComparison.Ordinal);
        var (showCode, show) = Run("show", "1", "--results", results.Path);
        Assert.True(showCode == 0, show);
        Assert.Contains("local-1", show, StringComparison.Ordinal);
        Assert.Contains("Workers", show, StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_killed_mid_training_has_its_experiment_trained_again_by_another_and_nothing_is_duplicated()
    {
        string[] names = ["seed-recipe", "digits-csv", "digits-images"];
        using var runner = new RunnerProcess(["run", .. names, "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path]);

        // The worker that claims seed-recipe (first in order) says so; kill it in its first epoch.
        runner.WaitForOutput("claimed seed-recipe");
        var claim = ClaimLine().Match(runner.Output);
        Assert.True(claim.Success, runner.Output);
        var prefix = claim.Groups[1].Value;
        var pid = int.Parse(WorkerPid(prefix).Match(runner.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        runner.WaitForOutput($"[w{prefix}]       epoch 1/");
        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)]))
        {
            Assert.True(kill.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.Equal(0, kill.ExitCode);
        }

        var exitCode = runner.WaitForExit();
        var output = runner.Output;
        Assert.True(exitCode == 0, output);
        Assert.Contains("starting it again", output, StringComparison.Ordinal);
        Assert.Contains("Run 1 (completed)", output, StringComparison.Ordinal);
        using var store = ResultStore.OpenExisting(results.Path);
        var stored = store.ResultsOfRun(1);
        Assert.Equal(names.Order(StringComparer.Ordinal), stored.Select(r => r.Experiment).Order(StringComparer.Ordinal));
        var task = new WorkQueue(store).Tasks(1).Single(t => t.Experiment == "seed-recipe");
        Assert.Equal(TaskStates.Done, task.Status);
        Assert.Equal(2, task.Attempts);
    }

    [Fact]
    public void SIGTERM_stops_the_workers_records_the_run_interrupted_and_leaves_no_worker_behind()
    {
        string[] names = ["seed-recipe", "tuned-momentum"];
        using var runner = new RunnerProcess(["run", .. names, "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path]);
        runner.WaitForOutput("[w1]       epoch 1/");
        var pids = WorkerPids().Matches(runner.Output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(pids);
        runner.Signal("TERM");

        var exitCode = runner.WaitForExit();
        var output = runner.Output;
        Assert.True(exitCode == ExitCodes.Terminated, output);
        Assert.Contains("Interrupted:", output, StringComparison.Ordinal);
        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}") && !File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat").Contains(") Z", StringComparison.Ordinal), $"worker {pid} is still running"));
        using var store = ResultStore.OpenExisting(results.Path);
        Assert.Equal(RunStatus.Interrupted, store.Run(1)!.Status);
        var queue = new WorkQueue(store);
        Assert.All(queue.Workers(1), w => Assert.Equal(WorkerStatus.Interrupted, w.Status));
        Assert.DoesNotContain(queue.Tasks(1), t => t.Status == TaskStates.Claimed);
    }

    [GeneratedRegex(@"\[w\d+\] worker local-\d+ · host [^·]+ · pid (\d+)")]
    private static partial Regex WorkerPids();

    [GeneratedRegex(@"\[w(\d+)\] claimed seed-recipe")]
    private static partial Regex ClaimLine();

    private static Regex WorkerPid(string prefix) => new($@"\[w{prefix}\] worker local-{prefix} · host [^·]+ · pid (\d+)");
}
