using System.Globalization;
using Experiments.Data;
using Experiments.History;

namespace Experiments.Hosting;

/// <summary>
/// The run cache of one <c>all</c>/<c>run</c> (as DVC's): before anything trains, each experiment with a
/// configuration hash and a code fingerprint gets its key (<see cref="RunCacheKey"/>), and one whose key has a
/// completed result with its state in the run history is answered from there instead of trained. The dataset's key
/// is known from its files' expected hashes; a hit counts only once the files on disk are known to have them: the
/// verification cache vouches for them, or the dataset is loaded (and so verified) first. Keys are kept for every
/// result, so that the next run finds what this one trains.
/// </summary>
internal sealed class RunCache
{
    private readonly Dictionary<IExperiment, RunCacheKey> keys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IExperiment, StoredResult> hits = new(ReferenceEqualityComparer.Instance);

    private RunCache()
    {
    }

    /// <summary>How many experiments the cache answers.</summary>
    public int Hits => hits.Count;

    /// <summary>Computes the keys and looks each up (unless <paramref name="force"/>).</summary>
    /// <param name="experiments">What the run sets out to do.</param>
    /// <param name="datasets">The dataset store, to know the datasets' content keys and whether their files are verified.</param>
    /// <param name="findCached">The run history's look-up (<see cref="RunRecording.FindCached(ResultStore, RunCacheKey)"/>), or null when the run is not recorded (nothing is looked up).</param>
    /// <param name="resultsDirectory">The results folder, where the stored results' checkpoints are.</param>
    /// <param name="force">Train everything (the keys are still recorded).</param>
    /// <param name="warn">Says why a stored result is not reused (damaged, stored without its state).</param>
    /// <param name="load">Loads (and so verifies) a dataset whose content key or files the caches do not vouch for; false when it cannot be loaded.</param>
    public static RunCache Plan(IReadOnlyList<IExperiment> experiments, DatasetStore datasets, Func<RunCacheKey, CacheLookup>? findCached, string resultsDirectory, bool force, Action<string> warn, Func<string, bool> load)
    {
        var cache = new RunCache();
        var datasetKeys = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var experiment in experiments.Where(RunCacheKey.IsCacheable))
        {
            if (!datasetKeys.TryGetValue(experiment.Dataset, out var datasetKey))
            {
                // Known without reading (IDX files with their SHA-256s, or an image/CSV dataset whose files are as the
                // decoded cache last saw them), else known by loading it, which the run needs anyway to train it.
                datasetKey = datasets.Datasets.Any(d => string.Equals(d.Name, experiment.Dataset, StringComparison.OrdinalIgnoreCase))
                    ? datasets.PeekContentKey(experiment.Dataset) ?? (load(experiment.Dataset) ? datasets.PeekContentKey(experiment.Dataset) : null)
                    : null;
                datasetKeys[experiment.Dataset] = datasetKey;
            }

            if (datasetKey is not null && RunCacheKey.For(experiment, datasetKey) is { } key)
            {
                cache.keys[experiment] = key;
            }
        }

        if (force || findCached is null)
        {
            return cache;
        }

        var candidates = new Dictionary<IExperiment, StoredResult>(ReferenceEqualityComparer.Instance);
        foreach (var (experiment, key) in cache.keys)
        {
            var lookup = findCached(key);
            if (lookup.Hit is { } hit && CheckpointProblem(hit, resultsDirectory) is { } missing)
            {
                warn($"{experiment.Name} is trained again: the run cache's result of run {hit.RunId} {missing}");
            }
            else if (lookup.Hit is { } reusable)
            {
                candidates[experiment] = reusable;
            }
            else if (lookup.Problem is { } problem)
            {
                warn($"{experiment.Name} is trained again: the run cache cannot reuse {problem}");
            }
        }

        foreach (var dataset in candidates.Keys.Select(e => e.Dataset).Distinct(StringComparer.Ordinal))
        {
            if (datasets.IsVerified(dataset) || load(dataset))
            {
                foreach (var (experiment, hit) in candidates.Where(c => c.Key.Dataset == dataset))
                {
                    cache.hits[experiment] = hit;
                }
            }
        }

        return cache;
    }

    /// <summary>
    /// Why a stored result cannot answer for a run although its key matches: it has no checkpoint (recorded before
    /// checkpoints were kept, or its write failed), or a checkpoint file is gone or has another length than recorded.
    /// Null when its checkpoint is in place (its SHA-256s are checked by whatever reads it: predict, export-model).
    /// </summary>
    internal static string? CheckpointProblem(StoredResult hit, string resultsDirectory)
    {
        if (hit.Result.Checkpoint is not { } checkpoint)
        {
            return hit.Result.CheckpointError is { } error
                ? $"has no saved model ({error})"
                : "has no saved model (recorded before checkpoints were kept)";
        }

        var directory = checkpoint.FullDirectory(resultsDirectory);
        foreach (var file in checkpoint.Files)
        {
            var path = Path.Combine(directory, file.Name);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return $"has lost its checkpoint file '{path}' (deleted or moved)";
            }

            if (info.Length != file.Bytes)
            {
                return string.Create(CultureInfo.InvariantCulture, $"has a checkpoint file '{path}' of {info.Length} bytes, not the {file.Bytes} recorded (changed since)");
            }
        }

        return null;
    }

    /// <summary>The experiment's key, or null when it is not cacheable.</summary>
    public RunCacheKey? KeyOf(IExperiment experiment) => keys.GetValueOrDefault(experiment);

    /// <summary>The stored result that answers the experiment, or null when it trains.</summary>
    public StoredResult? HitOf(IExperiment experiment) => hits.GetValueOrDefault(experiment);

    /// <summary>Whether the experiment needs its dataset (it trains).</summary>
    public bool Trains(IExperiment experiment) => !hits.ContainsKey(experiment);

    /// <summary>The stored result as this run's: marked with the run that trained it (the first, when it was reused before).</summary>
    public static ExperimentResult AsCached(StoredResult hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return hit.Result with { CachedFromRun = hit.Result.CachedFromRun ?? hit.RunId };
    }
}
