using System.Collections.Concurrent;
using Experiments.History;

namespace Experiments.Core.Tests.History;

/// <summary>The work queue on either store (docs/scale-out.md, "The work queue").</summary>
public abstract class WorkQueueTests : BackendTest
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RunScheduling Local = new(Schedulers.Local, 2);

    private static WorkerInfo Worker(string name) => new(name, ProcessIdentity.Current());

    private static string[] Names(int count) => [.. Enumerable.Range(0, count).Select(i => $"e{i:00}")];

    private static ExperimentSource Source => new("e.yaml", null);

    [Fact]
    public void Workers_claiming_at_once_each_from_its_own_store_never_get_a_task_twice_and_leave_none()
    {
        var names = Names(40);
        long runId;
        using (var store = Open())
        {
            runId = new WorkQueue(store).CreateRun("concurrent", StoreSamples.Info(), names, Local, Start);
        }

        var claims = new ConcurrentBag<(string Worker, string Experiment, int Attempt)>();
        var resultIds = new ConcurrentBag<long>();
        using var ready = new Barrier(6);
        var threads = Enumerable.Range(0, 6).Select(i => new Thread(() =>
        {
            using var store = Open();
            var queue = new WorkQueue(store);
            var worker = queue.RegisterWorker(runId, Worker($"w{i}"));
            ready.SignalAndWait();
            while (queue.ClaimNext(runId, worker) is { } lease)
            {
                claims.Add(($"w{i}", lease.Experiment, lease.Attempt));
                resultIds.Add(queue.Complete(lease, StoreSamples.Completed(lease.Experiment, 90), Source));
            }

            queue.FinishWorker(worker, WorkerStatus.Finished);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(names, claims.Select(c => c.Experiment).Order(StringComparer.Ordinal));
        Assert.All(claims, c => Assert.Equal(1, c.Attempt));
        Assert.Equal(40, resultIds.Distinct().Count());
        using var reader = Open();
        var queueReader = new WorkQueue(reader);
        Assert.All(queueReader.Tasks(runId), t => Assert.Equal(TaskStates.Done, t.Status));
        var run = reader.Run(runId)!;
        Assert.Equal((RunStatus.Completed, 40, "concurrent"), (run.Status, run.ResultCount, run.RunKey));
        Assert.NotNull(run.EndedAt);
        Assert.Equal(new RunProgress { Tasks = 40, Done = 40, Workers = 6, LiveWorkers = 0, Scheduler = Schedulers.Local, LeaseDuration = TimeSpan.FromSeconds(60) }, run.Progress);
        var results = reader.ResultsOfRun(runId);
        Assert.Equal(names, results.Select(r => r.Experiment).Order(StringComparer.Ordinal));
        Assert.Equal(claims.Select(c => (c.Experiment, c.Worker)).OrderBy(c => c.Experiment, StringComparer.Ordinal), results.Select(r => (r.Experiment, r.WorkerName!)).OrderBy(c => c.Experiment, StringComparer.Ordinal));
        Assert.Equal(40, queueReader.Workers(runId).Sum(w => w.Results));
        Assert.All(queueReader.Workers(runId), w => Assert.Equal(WorkerStatus.Finished, w.Status));
    }

    [Fact]
    public void Creating_the_run_again_under_its_key_writes_nothing()
    {
        using var store = Open();
        var queue = new WorkQueue(store);
        var first = queue.CreateRun("key-1", StoreSamples.Info(), ["a", "b"], Local, Start);
        var again = queue.CreateRun("key-1", StoreSamples.Info(), ["a", "b", "c"], Local, Start);

        Assert.Equal(first, again);
        Assert.Equal(first, queue.FindRun("key-1"));
        Assert.Null(queue.FindRun("key-2"));
        Assert.Equal(["a", "b"], queue.Tasks(first).Select(t => t.Experiment));
        Assert.Single(store.Runs());
        Assert.Throws<ArgumentException>(() => queue.CreateRun("key-3", StoreSamples.Info(), ["a", "a"], Local, Start));
    }

    [Fact]
    public void An_expired_lease_is_claimed_again_and_its_first_holder_can_no_longer_renew_it()
    {
        using var store = Open();
        var queue = new WorkQueue(store, new WorkQueueOptions { LeaseDuration = TimeSpan.FromSeconds(1) });
        var run = queue.CreateRun("expiry", StoreSamples.Info(), ["a", "b"], Local, Start);
        var dead = queue.RegisterWorker(run, Worker("dead"));
        var alive = queue.RegisterWorker(run, Worker("alive"));

        var first = queue.ClaimNext(run, dead)!;
        Assert.Equal(("a", 1), (first.Experiment, first.Attempt));
        Assert.True(queue.Renew(first));
        var b = queue.ClaimNext(run, alive)!;
        Assert.Equal("b", b.Experiment); // a is held
        Thread.Sleep(TimeSpan.FromSeconds(1.3)); // the dead worker stops renewing: its lease runs out by the database's clock
        Assert.True(queue.Renew(b)); // late, but nobody took it meanwhile: still its own
        Assert.True(Assert.Single(queue.Tasks(run), t => t.Experiment == "a").LeaseExpired);
        var second = queue.ClaimNext(run, alive)!;

        Assert.Equal(("a", 2, first.TaskId), (second.Experiment, second.Attempt, second.TaskId));
        Assert.False(queue.Renew(first));
        Assert.True(queue.Renew(second));
        Assert.Null(queue.ClaimNext(run, dead));
    }

    [Fact]
    public void Completing_twice_records_once_and_the_first_result_wins()
    {
        using var store = Open();
        var queue = new WorkQueue(store);
        var run = queue.CreateRun("twice", StoreSamples.Info(), ["a"], Local, Start);
        var slow = queue.RegisterWorker(run, Worker("slow"));
        var fast = queue.RegisterWorker(run, Worker("fast"));
        var lost = queue.ClaimNext(run, slow)!;
        queue.ExpireLeasesOf(slow);
        var taken = queue.ClaimNext(run, fast)!;

        var id = queue.Complete(taken, StoreSamples.Completed("a", 90), Source);
        Assert.Equal(id, queue.Complete(taken, StoreSamples.Completed("a", 10), Source)); // a retried write
        Assert.Equal(id, queue.Complete(lost, StoreSamples.Completed("a", 20), Source)); // the presumed dead worker finishing after all

        var stored = Assert.Single(store.ResultsOfRun(run));
        Assert.Equal((90.0, "fast"), (stored.Result.Test!.Accuracy, stored.WorkerName));
        Assert.Equal((TaskStates.Done, id), (queue.Tasks(run)[0].Status, queue.Tasks(run)[0].ResultId));
        Assert.Equal(RunStatus.Completed, store.Run(run)!.Status);
    }

    [Fact]
    public void A_released_task_is_pending_again_without_counting_an_attempt()
    {
        using var store = Open();
        var queue = new WorkQueue(store);
        var run = queue.CreateRun("release", StoreSamples.Info(), ["a"], Local, Start);
        var worker = queue.RegisterWorker(run, Worker("w"));
        var lease = queue.ClaimNext(run, worker)!;
        Assert.Null(queue.ClaimNext(run, worker));

        queue.Release(lease);

        var task = Assert.Single(queue.Tasks(run));
        Assert.Equal((TaskStates.Pending, 0, (long?)null), (task.Status, task.Attempts, task.WorkerId));
        Assert.False(queue.Renew(lease));
        Assert.Equal(1, queue.ClaimNext(run, worker)!.Attempt);
    }

    [Fact]
    public void A_worker_registering_again_under_its_name_is_the_same_row_and_its_tasks_are_released_at_once()
    {
        using var store = Open();
        var queue = new WorkQueue(store);
        var run = queue.CreateRun("requeue", StoreSamples.Info(), ["a", "b"], Local, Start);
        var worker = queue.RegisterWorker(run, Worker("slurm-7_1"));
        queue.ClaimNext(run, worker);
        queue.FinishWorker(worker, WorkerStatus.Interrupted);

        Assert.Equal(worker, queue.RegisterWorker(run, Worker("slurm-7_1")));

        Assert.Equal(WorkerStatus.Running, Assert.Single(queue.Workers(run)).Status);
        var resumed = queue.ClaimNext(run, worker)!;
        Assert.Equal(("a", 2), (resumed.Experiment, resumed.Attempt)); // its predecessor died while training it
    }

    [Fact]
    public void A_task_whose_workers_died_max_attempts_times_fails_and_so_does_the_run()
    {
        using var store = Open();
        var queue = new WorkQueue(store, new WorkQueueOptions { MaxAttempts = 2 });
        var run = queue.CreateRun("poison", StoreSamples.Info(), ["poison", "fine"], Local, Start);
        var w1 = queue.RegisterWorker(run, Worker("w1"));
        var w2 = queue.RegisterWorker(run, Worker("w2"));
        Assert.Equal("poison", queue.ClaimNext(run, w1)!.Experiment);
        queue.ExpireLeasesOf(w1);
        Assert.Equal(("poison", 2), queue.ClaimNext(run, w2) is { } l ? (l.Experiment, l.Attempt) : default);
        queue.ExpireLeasesOf(w2);

        var next = queue.ClaimNext(run, w1)!;
        Assert.Equal("fine", next.Experiment);
        var poison = queue.Tasks(run)[0];
        Assert.Equal(TaskStates.Failed, poison.Status);
        Assert.Equal("its worker died 2 times while training it: last worker w2", poison.Error);
        Assert.Equal(RunStatus.Running, store.Run(run)!.Status);

        queue.Complete(next, StoreSamples.Completed("fine", 90), Source);
        var ended = store.Run(run)!;
        Assert.Equal(RunStatus.Failed, ended.Status);
        Assert.Equal((2, 1, 1), (ended.Progress!.Tasks, ended.Progress.Done, ended.Progress.Failed));
    }

    [Fact]
    public void A_run_with_a_failed_result_ends_failed()
    {
        using var store = Open();
        var queue = new WorkQueue(store);
        var run = queue.CreateRun("failing", StoreSamples.Info(), ["a", "b"], Local, Start);
        var worker = queue.RegisterWorker(run, Worker("w"));
        queue.Complete(queue.ClaimNext(run, worker)!, StoreSamples.Completed("a", 90), Source);
        Assert.Equal(RunStatus.Running, store.Run(run)!.Status);
        queue.Complete(queue.ClaimNext(run, worker)!, StoreSamples.Failed("b"), Source);

        Assert.Equal(RunStatus.Failed, store.Run(run)!.Status);
        Assert.All(queue.Tasks(run), t => Assert.Equal(TaskStates.Done, t.Status));
    }

    [Fact]
    public void A_queued_run_waits_for_workers_goes_on_while_one_is_heard_from_and_is_abandoned_when_none_is()
    {
        using var store = Open();
        var queue = new WorkQueue(store, new WorkQueueOptions { LeaseDuration = TimeSpan.FromSeconds(1) });
        var run = queue.CreateRun("liveness", StoreSamples.Info(), ["a", "b"], new RunScheduling(Schedulers.Slurm, 2), Start);
        queue.SetJobId(run, "4242");

        var waiting = store.Run(run)!;
        Assert.Equal(RunStatus.Running, waiting.Status);
        Assert.Equal("waiting for workers (job 4242)", waiting.StatusNote);
        Assert.Equal((2, 0, "4242", Schedulers.Slurm), (waiting.Progress!.Pending, waiting.Progress.Workers, waiting.Progress.JobId, waiting.Progress.Scheduler));

        var worker = queue.RegisterWorker(run, Worker("slurm-4242_0"));
        var lease = queue.ClaimNext(run, worker)!;
        var training = store.Run(run)!;
        Assert.Equal((RunStatus.Running, 1, 1, 1), (training.Status, training.Progress!.Training, training.Progress.Pending, training.Progress.LiveWorkers));

        Thread.Sleep(TimeSpan.FromSeconds(1.3)); // the worker is killed: no renewal, no heartbeat
        var abandoned = store.Run(run)!;
        Assert.Equal(RunStatus.Abandoned, abandoned.Status);
        Assert.Contains("none of its 1 worker(s) was heard from within the lease (1 s)", abandoned.StatusNote, StringComparison.Ordinal);
        Assert.Equal((1, 0, 0), (abandoned.Progress!.Expired, abandoned.Progress.Training, abandoned.Progress.LiveWorkers));
        Assert.Equal(WorkerStatus.Lost, Assert.Single(queue.Workers(run)).Status);
        Assert.Equal(abandoned.Progress, queue.Progress(run));

        // A requeued task of the job takes it up again: running once more.
        queue.RegisterWorker(run, Worker("slurm-4242_0"));
        Assert.Equal(RunStatus.Running, store.Run(run)!.Status);
        Assert.False(queue.Renew(lease));
    }
}

public sealed class SqliteWorkQueueTests : WorkQueueTests
{
    private readonly SqliteStoreTest store = new();

    protected override StoreLocation Location => store.Location;

    public override void Dispose()
    {
        store.Dispose();
        base.Dispose();
    }
}

public sealed class PostgresWorkQueueTests(PostgresServer server) : WorkQueueTests, IClassFixture<PostgresServer>
{
    private readonly PostgresStoreTest store = new(server);

    protected override StoreLocation Location => store.Location;
}
