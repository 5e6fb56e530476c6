using System.Diagnostics;
using System.Globalization;
using Experiments.History;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The work queue at scale (BENCHMARKS.md, "Scaling out"): a run of many tiny tasks shared out among worker
/// processes of this bench, each claiming, completing with a small result and claiming again, against an SQLite file
/// or a PostgreSQL database. It measures what a claim costs an experiment (the claim, and the completion against a
/// plain <see cref="ResultStore.AddResult"/> of the same result) and checks that every task was done exactly once.
/// </summary>
internal static class QueueBench
{
    /// <summary>The parent: creates the run, starts the workers, waits, checks and prints.</summary>
    public static int Run(string store, int tasks, int workers, TextWriter output)
    {
        var location = StoreLocation.Parse(store, Environment.CurrentDirectory);
        var names = Enumerable.Range(0, tasks).Select(i => Invariant($"task-{i:D5}")).ToList();
        long runId;
        using (var opened = ResultStore.Open(location, create: true))
        {
            var queue = new WorkQueue(opened);
            var info = RunInfo.Capture("experiments-bench queue", null);
            runId = queue.CreateRun(Guid.NewGuid().ToString("N"), info, names, new RunScheduling(Schedulers.Local, workers), DateTimeOffset.UtcNow);
        }

        output.WriteLine(Invariant($"Run {runId}: {tasks} tasks, {workers} worker processes, store {location.Display}"));
        var stopwatch = Stopwatch.StartNew();
        var processes = Enumerable.Range(1, workers).Select(i => StartWorker(store, runId, i)).ToList();
        var reports = new List<string>();
        foreach (var process in processes)
        {
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                output.WriteLine(Invariant($"worker {process.Id} failed with exit code {process.ExitCode}: {text}{process.StandardError.ReadToEnd()}"));
                return 1;
            }

            reports.Add(text.Trim());
        }

        var wall = stopwatch.Elapsed;
        foreach (var report in reports)
        {
            output.WriteLine(report);
        }

        using var check = ResultStore.Open(location, create: false);
        var results = check.ResultsOfRun(runId);
        var recorded = results.Select(r => r.Experiment).ToList();
        var duplicates = recorded.GroupBy(n => n, StringComparer.Ordinal).Count(g => g.Count() > 1);
        var gaps = names.Except(recorded, StringComparer.Ordinal).Count();
        var taskRows = new WorkQueue(check).Tasks(runId);
        var notDone = taskRows.Count(t => t.Status != TaskStates.Done);
        var run = check.Run(runId);
        output.WriteLine(Invariant($"{recorded.Count} results for {tasks} tasks in {wall.TotalSeconds:F1} s ({tasks / wall.TotalSeconds:F0} tasks/s): {duplicates} recorded twice, {gaps} missing, {notDone} tasks not done; run {run?.Status}"));
        return duplicates == 0 && gaps == 0 && notDone == 0 && string.Equals(run?.Status, RunStatus.Completed, StringComparison.Ordinal) ? 0 : 1;
    }

    /// <summary>One worker: registers, then claims and completes until nothing is left; prints its timings.</summary>
    public static int Work(string store, long runId, int index, TextWriter output)
    {
        var location = StoreLocation.Parse(store, Environment.CurrentDirectory);
        using var opened = ResultStore.Open(location, create: false);
        var queue = new WorkQueue(opened);
        var worker = queue.RegisterWorker(runId, new WorkerInfo(Invariant($"bench-{index}"), ProcessIdentity.Current()));
        var claims = new List<double>();
        var completions = new List<double>();
        var stopwatch = new Stopwatch();
        while (true)
        {
            stopwatch.Restart();
            var lease = queue.ClaimNext(runId, worker);
            var claimed = stopwatch.Elapsed.TotalMilliseconds;
            if (lease is null)
            {
                if (queue.Progress(runId).Finished)
                {
                    break;
                }

                Thread.Sleep(50);
                continue;
            }

            claims.Add(claimed);
            stopwatch.Restart();
            queue.Complete(lease, TinyResult(lease.Experiment), new ExperimentSource("bench", null));
            completions.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        queue.FinishWorker(worker, WorkerStatus.Finished);

        // The same result recorded without the queue, in a run of its own: what recording costs anyway.
        var plainRun = opened.StartRun(RunInfo.Capture("experiments-bench queue (plain)", null), DateTimeOffset.UtcNow);
        var plain = new List<double>();
        for (var i = 0; i < Math.Min(100, Math.Max(1, completions.Count)); i++)
        {
            stopwatch.Restart();
            opened.AddResult(plainRun, TinyResult(Invariant($"plain-{i:D3}")), new ExperimentSource("bench", null));
            plain.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        opened.FinishRun(plainRun, RunStatus.Completed, DateTimeOffset.UtcNow);
        output.WriteLine(Invariant($"worker {index}: {claims.Count} tasks; claim {Describe(claims)}; complete {Describe(completions)}; plain AddResult {Describe(plain)} (ms)"));
        return 0;
    }

    private static string Describe(List<double> values)
    {
        if (values.Count == 0)
        {
            return "none";
        }

        var sorted = values.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Floor(q * sorted.Count))];
        return Invariant($"median {At(0.5):F2}, p95 {At(0.95):F2}, mean {values.Average():F2}");
    }

    private static Process StartWorker(string store, long runId, int index)
    {
        var program = Environment.ProcessPath!;
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(program), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(QueueBench).Assembly.Location);
        }

        foreach (var argument in new[] { "queue-worker", "--store", store, "--run", runId.ToString(CultureInfo.InvariantCulture), "--index", index.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>A result of the size a tiny experiment records (no weights, no state).</summary>
    private static ExperimentResult TinyResult(string name) => new()
    {
        Experiment = name,
        Dataset = "bench",
        Status = ExperimentStatus.Completed,
        Hyperparameters = [new("learningRate", 0.1), new("seed", 1)],
        Epochs = [new EpochMetrics(1, 0.5, 0.01)],
        Test = new Evaluation
        {
            Accuracy = 0.9,
            Loss = 0.3,
            PerClassAccuracy = [0.9, 0.9],
            ConfusionMatrix = [[9, 1], [1, 9]],
            Count = 20,
        },
        TrainSeconds = 0.01,
    };
}
