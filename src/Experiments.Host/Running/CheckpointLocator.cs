using System.Globalization;
using Experiments.Checkpoints;
using Experiments.History;
using Experiments.Reporting;

namespace Experiments.Hosting;

/// <summary>A trained model found in the run history: the stored result, its checkpoint's folder and its config.</summary>
/// <param name="Stored">The result that saved it (for a cached result, the row of the run that reused it).</param>
/// <param name="Directory">The checkpoint's folder on disk, its files verified against the SHA-256s the history recorded.</param>
/// <param name="Config">Its <c>config.json</c>.</param>
internal sealed record LocatedCheckpoint(StoredResult Stored, string Directory, ExperimentConfig Config)
{
    /// <summary>How messages name it: <c>run:7/cnn</c>.</summary>
    public string Reference => string.Create(CultureInfo.InvariantCulture, $"run:{Stored.RunId}/{Stored.Experiment}");

    /// <summary>
    /// The dataset as the checkpoint recorded it, with the dataset file's current <c>prepare</c>: how a new image is
    /// prepared does not change the data (it is not in the configuration hash), so the dataset file's current value
    /// wins over the one recorded at training, and adding it later needs no retraining. <c>predict</c> prepares images
    /// by it and <c>export-model</c> writes it into the ONNX metadata.
    /// </summary>
    /// <param name="datasets">The datasets the catalog describes now (<see cref="IExperimentCatalog.Datasets"/>).</param>
    public Data.DatasetDescription DatasetAsNow(IReadOnlyList<Data.DatasetDescription> datasets) =>
        datasets.FirstOrDefault(d => string.Equals(d.Name, Config.Dataset.Name, StringComparison.Ordinal)) is { } current
            ? Config.Dataset with { Prepare = current.Prepare }
            : Config.Dataset;
}

/// <summary>
/// Finds the checkpoint that <c>predict</c> and <c>export-model</c> name: <c>EXPERIMENT</c> (its latest completed
/// result with a checkpoint) or <c>run:ID/EXPERIMENT</c> (that run's result). Every way of not finding it is a
/// <see cref="UsageException"/> that says what was asked for and what there is.
/// </summary>
internal static class CheckpointLocator
{
    public const string RunPrefix = "run:";

    /// <summary>Resolves <paramref name="reference"/> in <paramref name="store"/> (whose folder is <paramref name="resultsDirectory"/>) and verifies its files.</summary>
    /// <param name="store">The run history.</param>
    /// <param name="resultsDirectory">Its folder.</param>
    /// <param name="reference">EXPERIMENT or run:ID/EXPERIMENT.</param>
    /// <param name="applicationName">How the hints name the program (<see cref="ExperimentHostOptions.ApplicationName"/>).</param>
    public static LocatedCheckpoint Locate(ResultStore store, string resultsDirectory, string reference, string applicationName)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(reference);
        var stored = reference.StartsWith(RunPrefix, StringComparison.Ordinal) ? InRun(store, reference, applicationName) : Latest(store, reference, applicationName);
        var checkpoint = stored.Result.Checkpoint!;
        var directory = checkpoint.FullDirectory(resultsDirectory);
        var located = string.Create(CultureInfo.InvariantCulture, $"run:{stored.RunId}/{stored.Experiment}");
        try
        {
            ModelCheckpoint.Verify(directory, checkpoint);
            return new LocatedCheckpoint(stored, directory, ModelCheckpoint.ReadConfig(directory));
        }
        catch (InvalidDataException exception)
        {
            throw new UsageException($"The model of {located} cannot be used: {exception.Message}", exception);
        }
    }

    private static StoredResult InRun(ResultStore store, string reference, string applicationName)
    {
        var rest = reference[RunPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1 || !long.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var runId))
        {
            throw new UsageException($"'{TerminalText.Shorten(reference)}' is not a model reference: give an experiment's name (its latest model), or run:ID/EXPERIMENT, e.g. run:7/cnn");
        }

        var experiment = rest[(slash + 1)..];
        var run = HistoryCommands.FindRun(store, runId);
        var results = store.ResultsOfRun(run.Id);
        var result = HistoryTables.RequireResult(run, results, experiment);
        return WithCheckpoint(result, string.Create(CultureInfo.InvariantCulture, $"run:{run.Id}/{result.Experiment}"), applicationName);
    }

    private static StoredResult Latest(ResultStore store, string experiment, string applicationName)
    {
        var results = HistoryTables.RequireResults(store, experiment);
        var saved = results.LastOrDefault(r => r.Result.Status == ExperimentStatus.Completed && r.Result.Checkpoint is not null);
        return saved ?? WithCheckpoint(results[^1], string.Create(CultureInfo.InvariantCulture, $"the latest result of '{experiment}' (run {results[^1].RunId})"), applicationName);
    }

    private static StoredResult WithCheckpoint(StoredResult result, string what, string applicationName)
    {
        if (result.Result.Status != ExperimentStatus.Completed)
        {
            throw new UsageException($"{what} is {result.Status}, so it has no trained model; train it with '{applicationName} run {result.Experiment}'");
        }

        if (result.Result.Checkpoint is not null)
        {
            return result;
        }

        var why = result.Result.CheckpointError is { } error ? $"its checkpoint could not be written ({error})" : "it was recorded before checkpoints were kept";
        throw new UsageException($"{what} has no saved model ({why}); train it again with '{applicationName} run {result.Experiment} --force'");
    }
}
