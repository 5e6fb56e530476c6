namespace Experiments.History;

/// <summary>One run of the runner (<c>all</c> or <c>run</c>) as stored.</summary>
public sealed record RunRecord
{
    public required long Id { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public required RunInfo Info { get; init; }

    /// <summary>
    /// One of <see cref="RunStatus"/>'s words (or a newer one): as stored, except that a run stored as running whose
    /// process on this host is gone reads as <see cref="RunStatus.Abandoned"/>.
    /// </summary>
    public required string Status { get; init; }

    /// <summary>Why <see cref="Status"/> is what it is when that is not plain (abandoned, or running on another host), else null.</summary>
    public string? StatusNote { get; init; }

    /// <summary>How many experiment results the run recorded.</summary>
    public int ResultCount { get; init; }

    /// <summary>How many of its results the run cache reused (trained by an earlier run).</summary>
    public int CachedResults { get; init; }

    /// <summary>How many experiments the run set out to run; null for runs recorded before the store kept it.</summary>
    public int? PlannedResults { get; init; }

    /// <summary>How many planned results are not in the store (0 when unknown).</summary>
    public int MissingResults => PlannedResults is { } planned ? Math.Max(0, planned - ResultCount) : 0;

    /// <summary>Whether the run did not end with every planned result recorded (running, abandoned, interrupted, failed, or results missing).</summary>
    public bool Incomplete => RunStatus.IsIncomplete(Status) || MissingResults > 0;

    /// <summary>The highest test accuracy among the run's results, or null when none has one.</summary>
    public double? BestTestAccuracy { get; init; }

    /// <summary>The key a queued run was created with (<see cref="WorkQueue.CreateRun"/>); null for a run recorded in one process.</summary>
    public string? RunKey { get; init; }

    /// <summary>Where a queued run's tasks and workers stand; null for a run recorded in one process.</summary>
    public RunProgress? Progress { get; init; }
}

/// <summary>One experiment's result as stored, with where it came from.</summary>
public sealed record StoredResult
{
    public required long Id { get; init; }

    public required long RunId { get; init; }

    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>The YAML file the experiment was generated from, as the catalog names it; null when unknown.</summary>
    public string? SourceFile { get; init; }

    /// <summary>
    /// SHA-256 (hex) of the experiment's configuration as built (<see cref="IExperiment.ConfigurationSha256"/>); null
    /// when unknown. Results recorded before that existed hold the SHA-256 of the YAML file's bytes instead.
    /// </summary>
    public string? SourceSha256 { get; init; }

    /// <summary>The stored status word (<c>completed</c>, <c>failed</c>, <c>diverged</c>, ...), kept even when this build does not know it.</summary>
    public required string Status { get; init; }

    /// <summary>The result. Its <see cref="ExperimentResult.Status"/> is <see cref="ExperimentStatus.Failed"/> for a status word this build does not know.</summary>
    public required ExperimentResult Result { get; init; }

    public string Experiment => Result.Experiment;

    /// <summary>The run cache's keys the result was recorded with; null when it had none (not cacheable, or recorded before the cache).</summary>
    public RunCacheKey? CacheKey { get; init; }

    /// <summary>The result whose <c>result_state</c> rows hold this result's state: its own id, or for a cached result the result it was trained as.</summary>
    public long StateResultId { get; init; }

    /// <summary>How many state entries the row says it has; null when it was stored without a state.</summary>
    public int? StateEntries { get; init; }

    /// <summary>The worker of a queued run that recorded it (<see cref="WorkerRecord.Name"/>); null for a result recorded in one process.</summary>
    public string? WorkerName { get; init; }
}

/// <summary>What the run history holds for a run cache key.</summary>
/// <param name="Hit">The latest completed result with the key, read with its weights and state; null when there is none to reuse.</param>
/// <param name="Problem">Why a stored result with the key cannot be reused (damaged, stored without its state), or null.</param>
public sealed record CacheLookup(StoredResult? Hit, string? Problem);

/// <summary>Where an experiment came from, recorded beside its result.</summary>
/// <param name="SourceFile">The YAML file as the catalog names it.</param>
/// <param name="Sha256">The experiment's <see cref="IExperiment.ConfigurationSha256"/>, or null when it has none.</param>
public sealed record ExperimentSource(string? SourceFile, string? Sha256)
{
    /// <summary>The run cache's keys of the experiment as it ran, stored with the result; null when it is not cacheable.</summary>
    public RunCacheKey? CacheKey { get; init; }
}
