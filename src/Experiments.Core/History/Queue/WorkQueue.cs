namespace Experiments.History;

/// <summary>
/// The work queue of a run whose experiments are shared out among workers (<c>--parallel</c>, a Slurm job array, a
/// Kubernetes Indexed Job): one task per experiment, claimed with a lease that the worker renews while it trains; an
/// expired lease (a dead worker) is claimed again by another. See docs/scale-out.md.
/// </summary>
public sealed class WorkQueue
{
    public WorkQueue(ResultStore store, WorkQueueOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        Options = options ?? new WorkQueueOptions();
    }

    public ResultStore Store { get; }

    public WorkQueueOptions Options { get; }

    /// <summary>
    /// Creates the run (status running) with one pending task per experiment in the given order, in one transaction;
    /// when a run with <paramref name="runKey"/> exists, writes nothing and returns its id.
    /// </summary>
    public long CreateRun(string runKey, RunInfo info, IReadOnlyList<string> experiments, RunScheduling scheduling, DateTimeOffset startedAt) => throw new NotImplementedException();

    /// <summary>The id of the run with <paramref name="runKey"/>, or null.</summary>
    public long? FindRun(string runKey) => throw new NotImplementedException();

    /// <summary>Records the scheduler's job id of a submitted run (Slurm's job id).</summary>
    public void SetJobId(long runId, string jobId) => throw new NotImplementedException();

    /// <summary>
    /// The worker's row in the run; the same <see cref="WorkerInfo.Name"/> again is the same row (marked running), and
    /// the tasks it held are released at once.
    /// </summary>
    public long RegisterWorker(long runId, WorkerInfo worker) => throw new NotImplementedException();

    /// <summary>
    /// Claims the first task in order that is pending or whose lease expired; null when none can be claimed now (see
    /// <see cref="Progress"/> for whether others still hold some). A task whose lease expired
    /// <see cref="WorkQueueOptions.MaxAttempts"/> times is marked failed instead of claimed.
    /// </summary>
    public Lease? ClaimNext(long runId, long workerId) => throw new NotImplementedException();

    /// <summary>Extends the lease (and the worker's heartbeat); false when this worker no longer holds it.</summary>
    public bool Renew(Lease lease) => throw new NotImplementedException();

    /// <summary>
    /// Records the task's result (idempotent: the first result of an experiment in a run wins) and marks the task done,
    /// in one transaction; ends the run when nothing of it is pending or claimed any more. Returns the stored result's id.
    /// </summary>
    public long Complete(Lease lease, ExperimentResult result, ExperimentSource source, StoredResult? cachedFrom = null) => throw new NotImplementedException();

    /// <summary>Puts a claimed task back to pending (the worker was stopped); not counted as an attempt.</summary>
    public void Release(Lease lease) => throw new NotImplementedException();

    /// <summary>Expires every lease the worker holds now (its process was seen to die), so others claim them.</summary>
    public void ExpireLeasesOf(long workerId) => throw new NotImplementedException();

    /// <summary>Records that the worker ended (<see cref="WorkerStatus"/>).</summary>
    public void FinishWorker(long workerId, string status) => throw new NotImplementedException();

    public RunProgress Progress(long runId) => throw new NotImplementedException();

    /// <summary>The run's tasks in order.</summary>
    public IReadOnlyList<RunTask> Tasks(long runId) => throw new NotImplementedException();

    /// <summary>The run's workers in the order they registered; one not heard from within the lease reads as <see cref="WorkerStatus.Lost"/>.</summary>
    public IReadOnlyList<WorkerRecord> Workers(long runId) => throw new NotImplementedException();
}
