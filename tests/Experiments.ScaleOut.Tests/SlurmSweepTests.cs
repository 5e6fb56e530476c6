using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Experiments.History;

namespace Experiments.ScaleOut.Tests;

/// <summary>
/// Issue 14's end-to-end scenarios on the real services: the app's sweep submitted with <c>submit --slurm</c> as a
/// job array of workers against a PostgreSQL store (docs/scale-out.md). Every result is recorded exactly once,
/// whichever worker trained it and whatever happened to the workers: a worker killed mid-training (its experiment
/// is claimed again after its lease expired and goes on from its checkpoint; the worker reads as lost), a task
/// Slurm requeues (it resumes from its checkpoint), and PostgreSQL restarted while the workers run.
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(SlurmCollection.Name)]
public sealed partial class SlurmSweepTests : IDisposable
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(6);

    private readonly TemporaryDirectory directory = ScaleOutDirectories.Create();
    private readonly SlurmCluster cluster;
    private readonly PostgresServer postgres;
    private readonly string results;
    private string connection = "";

    public SlurmSweepTests(SlurmFixture slurm, PostgresServer postgres)
    {
        cluster = slurm.Cluster;
        this.postgres = postgres;
        results = directory.Combine("results");
    }

    /// <summary>
    /// The stores the scenarios run against: PostgreSQL through <c>submit --slurm</c> (the issue's case), and one
    /// SQLite file shared by the array's tasks on this single node through an sbatch script of workers of our own
    /// (<c>submit</c> refuses SQLite, whose file a multi-node array cannot share).
    /// </summary>
    public static TheoryData<string> Stores => new() { "postgresql", "sqlite" };

    public void Dispose() => directory.Dispose();

    [Theory]
    [MemberData(nameof(Stores))]
    public void A_sweep_submitted_as_a_four_task_array_records_every_result_exactly_once(string kind)
    {
        var job = Submit(kind, workers: 4, lease: 30, ScaleOutApp.Tiny);

        var tasks = cluster.WaitForJob(job, JobTimeout);

        Assert.All(tasks, task => Assert.True(task.State == "COMPLETED", $"array task {task.ArrayTaskId} ended {task.State} ({task.ExitCode}):\n{TaskLog(job, task.ArrayTaskId ?? 0)}"));
        Assert.Equal([0, 1, 2, 3], tasks.Select(task => task.ArrayTaskId ?? -1));
        using var store = OpenStore();
        var run = store.Runs().Single();
        Assert.Equal(RunStatus.Completed, run.Status);
        if (kind == "postgresql")
        {
            // submit created the run and recorded sbatch's job id.
            Assert.Equal(job, run.Progress?.JobId);
            Assert.Equal(Schedulers.Slurm, run.Progress?.Scheduler);
        }

        AssertEveryResultOnce(store, run.Id, ScaleOutApp.Tiny);
        var queue = new WorkQueue(store);
        Assert.All(queue.Tasks(run.Id), task => Assert.Equal(TaskStates.Done, task.Status));
        var workers = queue.Workers(run.Id);
        Assert.Equal(
            Enumerable.Range(0, 4).Select(i => string.Create(CultureInfo.InvariantCulture, $"slurm-{job}_{i}")),
            workers.Select(worker => worker.Name).Order(StringComparer.Ordinal));
        Assert.All(workers, worker => Assert.Equal(WorkerStatus.Finished, worker.Status));
        Assert.Equal(ScaleOutApp.Tiny.Count, workers.Sum(worker => worker.Results));
        // Every result names the worker that recorded it, one of the array's.
        var names = workers.Select(worker => worker.Name).ToHashSet(StringComparer.Ordinal);
        Assert.All(store.ResultsOfRun(run.Id), result => Assert.Contains(result.WorkerName ?? "(none)", names));

        for (var i = 0; i < 4; i++)
        {
            // The worker logs the variable itself (its name and value), whatever the script echoes.
            Assert.Matches(new Regex(string.Create(CultureInfo.InvariantCulture, $@"SLURM_ARRAY_TASK_ID\W{{1,3}}{i}\b")), TaskLog(job, i));
        }

        // The reading commands of the app see the same run: runs lists it completed, show has every result once.
        var runs = ScaleOutApp.Succeed(Environment(), "runs", "--store", connection, "--results", results);
        Assert.Matches(new Regex($@"(?m)^\W*{run.Id.ToString(CultureInfo.InvariantCulture)}\W.*completed"), runs);
        var show = ScaleOutApp.Succeed(Environment(), "show", run.Id.ToString(CultureInfo.InvariantCulture), "--store", connection, "--results", results);
        // show: the run's six results, its progress, every worker, and each experiment by name (its per-class row).
        Assert.Matches(@"Results\W+6\b", show);
        Assert.Contains("6/6 done", show, StringComparison.Ordinal);
        Assert.All(names, name => Assert.Contains(name, show, StringComparison.Ordinal));
        foreach (var experiment in ScaleOutApp.Tiny)
        {
            Assert.Matches(Regex.Escape(experiment) + @"(?![\d.])", show);
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void A_worker_killed_mid_training_loses_its_lease_and_its_experiment_completes_elsewhere_once(string kind)
    {
        string[] experiments = [ScaleOutApp.Long, .. ScaleOutApp.Tiny];
        var job = Submit(kind, workers: 2, lease: 10, experiments);
        using var store = OpenStore();
        var queue = new WorkQueue(store);
        var runId = WaitForRun(store);

        // The long experiment's worker, once it has trained a few epochs (its state is saved after each).
        var claimed = WaitFor(() => queue.Tasks(runId).SingleOrDefault(task => task.Experiment == ScaleOutApp.Long && task.Status == TaskStates.Claimed), "the long experiment's claim");
        var victim = queue.Workers(runId).Single(worker => worker.Id == claimed.WorkerId);
        WaitFor(() => SavedTrainingState(runId), "the long experiment's first saved training state");
        Assert.Equal(System.Environment.MachineName, victim.Process.Host);
        using (var process = Process.GetProcessById(victim.Process.ProcessId))
        {
            process.Kill();
        }

        var tasks = cluster.WaitForJob(job, JobTimeout);

        var victimTask = tasks.Single(task => string.Create(CultureInfo.InvariantCulture, $"slurm-{job}_{task.ArrayTaskId}") == victim.Name);
        Assert.NotEqual("COMPLETED", victimTask.State);
        Assert.All(tasks.Where(task => task != victimTask), task => Assert.Equal("COMPLETED", task.State));
        var run = store.Run(runId)!;
        Assert.Equal(RunStatus.Completed, run.Status);
        AssertEveryResultOnce(store, runId, experiments);
        var longTask = queue.Tasks(runId).Single(task => task.Experiment == ScaleOutApp.Long);
        Assert.Equal(TaskStates.Done, longTask.Status);
        Assert.Equal(2, longTask.Attempts);
        Assert.NotEqual(victim.Id, longTask.WorkerId);
        var longResult = store.ResultsOfRun(runId).Single(result => result.Experiment == ScaleOutApp.Long);
        Assert.True(longResult.Result.ResumedFromEpoch > 0, $"the second attempt started over (ResumedFromEpoch {longResult.Result.ResumedFromEpoch?.ToString(CultureInfo.InvariantCulture) ?? "null"})");
        Assert.Equal(WorkerStatus.Lost, queue.Workers(runId).Single(worker => worker.Id == victim.Id).Status);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void A_requeued_task_resumes_its_experiment_from_its_checkpoint(string kind)
    {
        string[] experiments = [ScaleOutApp.Long, ScaleOutApp.Tiny[0]];
        var job = Submit(kind, workers: 1, lease: 30, experiments);
        using var store = OpenStore();
        var queue = new WorkQueue(store);
        var runId = WaitForRun(store);
        WaitFor(() => queue.Tasks(runId).SingleOrDefault(task => task.Experiment == ScaleOutApp.Long && task.Status == TaskStates.Claimed), "the long experiment's claim");
        WaitFor(() => SavedTrainingState(runId), "the long experiment's first saved training state");

        cluster.Run("scontrol", "requeue", job + "_0");

        var tasks = cluster.WaitForJob(job, JobTimeout);
        var task = Assert.Single(tasks);
        Assert.Equal("COMPLETED", task.State);
        Assert.Equal(1, task.Restarts);
        AssertEveryResultOnce(store, runId, experiments);
        Assert.Equal(RunStatus.Completed, store.Run(runId)!.Status);
        var longResult = store.ResultsOfRun(runId).Single(result => result.Experiment == ScaleOutApp.Long);
        Assert.True(longResult.Result.ResumedFromEpoch > 0, $"the requeued task started over (ResumedFromEpoch {longResult.Result.ResumedFromEpoch?.ToString(CultureInfo.InvariantCulture) ?? "null"}); its log:\n{TaskLog(job, 0)}");
        // The requeued task is the same worker (its name is the array task's), so the run has one.
        var worker = Assert.Single(queue.Workers(runId));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"slurm-{job}_0"), worker.Name);
        Assert.Equal(WorkerStatus.Finished, worker.Status);
    }

    [Fact]
    public void A_postgresql_restart_while_the_workers_run_loses_nothing()
    {
        string[] experiments = [.. ScaleOutApp.Tiny, ScaleOutApp.Long];
        var job = Submit("postgresql", workers: 2, lease: 30, experiments);
        using (var store = OpenStore())
        {
            var runId = WaitForRun(store);
            // Between two experiments: some recorded, some still to come.
            WaitFor(() => store.ResultsOfRun(runId).Count >= 2 ? "" : null, "the first two results");
        }

        postgres.Restart();

        var tasks = cluster.WaitForJob(job, JobTimeout);
        Assert.All(tasks, task => Assert.True(task.State == "COMPLETED", $"array task {task.ArrayTaskId} ended {task.State} ({task.ExitCode}):\n{TaskLog(job, task.ArrayTaskId ?? 0)}"));
        using (var store = OpenStore())
        {
            var run = store.Runs().Single();
            Assert.Equal(RunStatus.Completed, run.Status);
            AssertEveryResultOnce(store, run.Id, experiments);
            Assert.All(new WorkQueue(store).Tasks(run.Id), task => Assert.Equal(TaskStates.Done, task.Status));
        }
    }

    /// <summary>
    /// A job array of <paramref name="workers"/> workers of <paramref name="experiments"/>: for PostgreSQL, <c>submit
    /// --slurm</c> (the job id it printed); for SQLite, an sbatch script as submit writes it, against the file.
    /// </summary>
    private string Submit(string kind, int workers, int lease, IReadOnlyList<string> experiments)
    {
        if (kind == "sqlite")
        {
            Directory.CreateDirectory(results);
            connection = "sqlite:" + Path.Combine(results, ResultStore.FileName);
            var folder = Path.Combine(results, "submissions", "sqlite");
            Directory.CreateDirectory(folder);
            static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
            var options = ScaleOutApp.Command.Concat(
                [
                    "worker", "--run-key", "sqlite-" + Guid.NewGuid().ToString("N")[..8], "--store", connection, "--results", results,
                    "--threads", "1", "--lease", lease.ToString(CultureInfo.InvariantCulture),
                ]).Select(Quote);
            var script = Path.Combine(folder, "job.sbatch");
            File.WriteAllText(script, string.Join('\n', [
                "#!/bin/bash",
                string.Create(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{workers - 1}"),
                "#SBATCH --cpus-per-task=1",
                "#SBATCH --requeue",
                "#SBATCH --open-mode=append",
                $"#SBATCH --output={folder}/slurm-%A_%a.out",
                "exec " + string.Join(' ', options) + " --name \"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\" " + string.Join(' ', experiments.Select(Quote)),
                "",
            ]));
            return cluster.Submit(script);
        }

        connection = postgres.CreateDatabase();
        var output = ScaleOutApp.Succeed(
            Environment(),
            ["submit", "--slurm", .. experiments, "--workers", workers.ToString(CultureInfo.InvariantCulture),
             "--lease", lease.ToString(CultureInfo.InvariantCulture), "--store", connection, "--results", results]);
        var match = JobIdPattern().Match(output);
        Assert.True(match.Success, $"submit printed no 'squeue -j JOB':\n{output}");
        return match.Groups[1].Value;
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["SLURM_CONF"] = cluster.ConfigPath,
        ["XDG_CACHE_HOME"] = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME") ?? directory.Combine("cache"),
    };

    /// <summary>The test's store, once it exists (an SQLite file is created by the first worker).</summary>
    private ResultStore OpenStore()
    {
        var location = StoreLocation.Parse(connection, results);
        if (location.Kind == StoreKind.Sqlite)
        {
            WaitFor(() => File.Exists(location.Target) ? location.Target : null, "the SQLite store's creation by the first worker");
        }

        return ResultStore.Open(location, create: false);
    }

    private string TaskLog(string job, int task)
    {
        var submissions = Path.Combine(results, "submissions");
        var log = Directory.Exists(submissions)
            ? Directory.GetFiles(submissions, string.Create(CultureInfo.InvariantCulture, $"slurm-{job}_{task}.out"), SearchOption.AllDirectories).SingleOrDefault()
            : null;
        return log is null ? $"(no log of task {task} under {submissions})" : File.ReadAllText(log);
    }

    /// <summary>The training state the long experiment saved in its folder of the run (results/RUN/long_...), or null before its first epoch ended.</summary>
    private string? SavedTrainingState(long runId)
    {
        var run = Path.Combine(results, runId.ToString(CultureInfo.InvariantCulture));
        return Directory.Exists(run)
            ? Directory.EnumerateFiles(run, "training-state.safetensors", SearchOption.AllDirectories)
                .FirstOrDefault(path => Path.GetFileName(Path.GetDirectoryName(path)!).StartsWith("long_", StringComparison.Ordinal))
            : null;
    }

    /// <summary>The run <c>submit</c> created (the only one in this test's database).</summary>
    private static long WaitForRun(ResultStore store) => WaitFor(() => store.Runs().SingleOrDefault(), "the submitted run").Id;

    private static T WaitFor<T>(Func<T?> probe, string what)
        where T : class
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (probe() is { } value)
            {
                return value;
            }

            Thread.Sleep(100);
        }

        throw new TimeoutException($"{what} did not happen within 3 minutes");
    }

    private static void AssertEveryResultOnce(ResultStore store, long runId, IReadOnlyList<string> experiments)
    {
        var recorded = store.ResultsOfRun(runId).Select(result => result.Experiment).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(experiments.Order(StringComparer.Ordinal), recorded);
        Assert.All(store.ResultsOfRun(runId), result => Assert.Equal("completed", result.Status));
    }

    [GeneratedRegex(@"squeue -j (\d+)")]
    private static partial Regex JobIdPattern();
}
