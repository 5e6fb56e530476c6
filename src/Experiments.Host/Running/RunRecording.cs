using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Records one <c>all</c>/<c>run</c> in the run history: the run when it starts, each result as soon as it is
/// known (so an interruption keeps what finished), and how the run ended. A failure to record is reported once and
/// remembered, and every result that could not be recorded is counted; training goes on and latest.json is still
/// written.
/// </summary>
internal sealed class RunRecording : IDisposable
{
    private readonly IAnsiConsole console;
    private readonly ResultStore store;
    private readonly IReadOnlyDictionary<string, ExperimentSource> sources;

    private RunRecording(IAnsiConsole console, ResultStore store, long runId, IReadOnlyDictionary<string, ExperimentSource> sources)
    {
        this.console = console;
        this.store = store;
        RunId = runId;
        this.sources = sources;
    }

    public long RunId { get; }

    /// <summary>How messages name the store (a file's path, or a server without its password).</summary>
    public string StorePath => Location.Display;

    /// <summary>Which store the run is recorded in.</summary>
    public required StoreLocation Location { get; init; }

    /// <summary>The open store (the work queue of a queued run records through it).</summary>
    public ResultStore Store => store;

    /// <summary>Whether a result or the run's end could not be recorded.</summary>
    public bool Failed { get; private set; }

    /// <summary>How many results were given to <see cref="Record"/>.</summary>
    public int Results { get; private set; }

    /// <summary>How many of those could not be recorded (a full disk, a store that became read-only, ...).</summary>
    public int UnrecordedResults { get; private set; }

    /// <summary>Opens the store and records the run's start; throws <see cref="StoreException"/> when the store cannot be used.</summary>
    /// <param name="console">Where a failure to record is reported.</param>
    /// <param name="location">The run history (<see cref="HostSettings.Store"/>).</param>
    /// <param name="commandLine">The command as typed.</param>
    /// <param name="experiments">What the run sets out to do.</param>
    /// <param name="gitDirectory">Where the git commit recorded with the run is read (the project's folder), or null.</param>
    public static RunRecording Start(IAnsiConsole console, StoreLocation location, string commandLine, IReadOnlyList<IExperiment> experiments, string? gitDirectory)
    {
        var store = StoreAccess.Open(location, create: true, console);
        try
        {
            // The hash of the configuration the build compiled in, which is what trains: not of the file on disk,
            // which may have been edited since (run --no-build), and not only of the file (its bases count too).
            var sources = experiments.ToDictionary(
                e => e.Name,
                e => new ExperimentSource(e.SourceFile, e.ConfigurationSha256),
                StringComparer.Ordinal);
            var runId = store.StartRun(RunInfo.Capture(commandLine, gitDirectory), DateTimeOffset.UtcNow, plannedResults: experiments.Count);
            return new RunRecording(console, store, runId, sources) { Location = location };
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The record of a run that already is in <paramref name="store"/> (a queued run: the coordinator records the run
    /// cache's answers into it and reads back what the workers recorded); it takes over the store.
    /// </summary>
    public static RunRecording Attach(IAnsiConsole console, ResultStore store, StoreLocation location, long runId, IReadOnlyList<IExperiment> experiments) =>
        new(console, store, runId, experiments.ToDictionary(e => e.Name, e => new ExperimentSource(e.SourceFile, e.ConfigurationSha256), StringComparer.Ordinal)) { Location = location };

    /// <summary>Where an experiment came from, as its results are recorded with.</summary>
    public ExperimentSource SourceOf(string experiment) => sources.GetValueOrDefault(experiment) ?? new ExperimentSource(null, null);

    /// <summary>Says that the run's end is recorded already (the work queue ended it with its last task).</summary>
    public void MarkFinished() => Finished = true;

    /// <summary>Records one result, with its run cache key; a result the cache reused names the stored result it is.</summary>
    public void Record(ExperimentResult result, RunCacheKey? key = null, StoredResult? cachedFrom = null)
    {
        Results++;
        try
        {
            var source = sources.GetValueOrDefault(result.Experiment) ?? new ExperimentSource(null, null);
            store.AddResult(RunId, result, source with { CacheKey = key }, cachedFrom: cachedFrom);
        }
        catch (StoreException exception)
        {
            UnrecordedResults++;
            Report(exception);
        }
    }

    /// <summary>The run cache's look-up; a store that cannot be read is no hit, and says why.</summary>
    public CacheLookup FindCached(RunCacheKey key) => FindCached(store, key);

    /// <summary>The run cache's look-up in <paramref name="store"/>; a store that cannot be read is no hit, and says why.</summary>
    public static CacheLookup FindCached(ResultStore store, RunCacheKey key)
    {
        try
        {
            return store.FindCached(key);
        }
        catch (StoreException exception)
        {
            return new CacheLookup(null, $"what the run history holds ({exception.Message})");
        }
    }

    /// <summary>The ids of the runs recorded before this one; none when the store cannot be read (and says why).</summary>
    public IReadOnlyList<long> EarlierRuns(Action<string> warn)
    {
        try
        {
            return store.Runs().Select(r => r.Id).Where(id => id < RunId).ToList();
        }
        catch (StoreException exception)
        {
            warn($"the earlier runs cannot be listed, so none is resumed: {exception.Message}");
            return [];
        }
    }

    /// <summary>Whether the run's end was recorded (or tried to be).</summary>
    public bool Finished { get; private set; }

    public void Finish(string status)
    {
        Finished = true;
        try
        {
            store.FinishRun(RunId, status, DateTimeOffset.UtcNow);
        }
        catch (StoreException exception)
        {
            Report(exception);
        }
    }

    /// <summary>Records the end of the run with <paramref name="status"/> unless it was already recorded.</summary>
    public void FinishIfRunning(string status)
    {
        if (!Finished)
        {
            Finish(status);
        }
    }

    public void Dispose() => store.Dispose();

    private void Report(StoreException exception)
    {
        if (!Failed)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]Could not record in the run history:[/] {exception.Message}");
        }

        Failed = true;
    }
}
