namespace Experiments.History;

/// <summary>How a <see cref="ResultStore"/> deals with a server that is briefly unreachable (PostgreSQL).</summary>
public sealed record StoreOptions
{
    /// <summary>How long a read or write that failed because the server could not be reached is retried (with backoff from 0.25 s to 5 s) before it is a <see cref="StoreException"/>.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Told about each retry (what failed, the next wait), or null.</summary>
    public Action<string>? Log { get; init; }
}
