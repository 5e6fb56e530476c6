namespace Experiments.History;

/// <summary>How a <see cref="WorkQueue"/> hands out work.</summary>
public sealed record WorkQueueOptions
{
    /// <summary>How long a claim holds without renewal; renewed every third of it. Stored with the run (its readers judge liveness by it).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a task may be claimed before a lease that expires once more fails it.</summary>
    public int MaxAttempts { get; init; } = 3;
}

/// <summary>Who runs a queued run's workers.</summary>
/// <param name="Scheduler">One of <see cref="Schedulers"/>.</param>
/// <param name="Workers">How many workers were started or asked for.</param>
public sealed record RunScheduling(string Scheduler, int Workers);

/// <summary>The scheduler words stored with a queued run.</summary>
public static class Schedulers
{
    /// <summary><c>--parallel N</c>: worker processes on this machine.</summary>
    public const string Local = "local";

    public const string Slurm = "slurm";

    public const string Kubernetes = "kubernetes";
}

/// <summary>A task's status words.</summary>
public static class TaskStates
{
    public const string Pending = "pending";
    public const string Claimed = "claimed";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>A worker's status words.</summary>
public static class WorkerStatus
{
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Interrupted = "interrupted";

    /// <summary>Stored as running, but not heard from within the lease duration: killed, or its machine is gone.</summary>
    public const string Lost = "lost";
}

/// <summary>A worker as it registers.</summary>
/// <param name="Name">Unique in the run: <c>slurm-345_2</c>, <c>k8s-3</c>, <c>local-1</c>, <c>host-pid</c>.</param>
/// <param name="Process">Its process.</param>
public sealed record WorkerInfo(string Name, ProcessIdentity Process);

/// <summary>A claim on one task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="RunId">Its run.</param>
/// <param name="Experiment">The experiment to train.</param>
/// <param name="Attempt">1 for the first claim; more when an earlier claim's worker died or was stopped.</param>
/// <param name="WorkerId">The worker holding it.</param>
/// <param name="ExpiresAt">When it expires unless renewed (the database's clock).</param>
public sealed record Lease(long TaskId, long RunId, string Experiment, int Attempt, long WorkerId, DateTimeOffset ExpiresAt);

/// <summary>One task of a queued run as stored.</summary>
public sealed record RunTask
{
    public required long Id { get; init; }

    public required long RunId { get; init; }

    public required int Position { get; init; }

    public required string Experiment { get; init; }

    /// <summary>One of <see cref="TaskStates"/>; a claimed task whose lease expired is still <see cref="TaskStates.Claimed"/> (see <see cref="LeaseExpired"/>).</summary>
    public required string Status { get; init; }

    public int Attempts { get; init; }

    public long? WorkerId { get; init; }

    public string? WorkerName { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    public bool LeaseExpired { get; init; }

    public long? ResultId { get; init; }

    public string? Error { get; init; }
}

/// <summary>One worker of a queued run as stored.</summary>
public sealed record WorkerRecord
{
    public required long Id { get; init; }

    public required long RunId { get; init; }

    public required string Name { get; init; }

    public required ProcessIdentity Process { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset HeartbeatAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>One of <see cref="WorkerStatus"/>: as stored, except that a running one not heard from within the lease is <see cref="WorkerStatus.Lost"/>.</summary>
    public required string Status { get; init; }

    /// <summary>How many of the run's results it recorded.</summary>
    public int Results { get; init; }
}

/// <summary>Where a queued run stands.</summary>
public sealed record RunProgress
{
    public required int Tasks { get; init; }

    public int Pending { get; init; }

    /// <summary>Claimed with a live lease: training now.</summary>
    public int Training { get; init; }

    /// <summary>Claimed, but the lease expired: its worker is presumed dead, and another will claim it.</summary>
    public int Expired { get; init; }

    public int Done { get; init; }

    public int Failed { get; init; }

    /// <summary>Workers registered, and of those running and heard from within the lease.</summary>
    public int Workers { get; init; }

    public int LiveWorkers { get; init; }

    /// <summary>Whether no task is pending or claimed.</summary>
    public bool Finished => Pending + Training + Expired == 0;

    public string? Scheduler { get; init; }

    public string? JobId { get; init; }

    public TimeSpan LeaseDuration { get; init; }
}
