using System.Diagnostics;
using Experiments.Data;

namespace Experiments.Running;

/// <summary>
/// Runs experiments one after another, each on its dataset (loaded once and shared), and turns every failure of
/// one experiment into a failed result so the others still run.
/// </summary>
public sealed class ExperimentSession
{
    private readonly Func<string, Dataset> loadDataset;

    /// <param name="loadDataset">Returns the dataset of that name; expected to cache, as it is called per experiment.</param>
    public ExperimentSession(Func<string, Dataset> loadDataset)
    {
        this.loadDataset = loadDataset;
    }

    /// <summary>
    /// Whether to measure test loss and accuracy of the model after every epoch (not in the training time), for
    /// learning curves. On by default; costs one evaluation of the test split per epoch.
    /// </summary>
    public bool MeasureCurves { get; init; } = true;

    /// <summary>Where each experiment saves its trained model (<see cref="ExperimentContext.Checkpoints"/>); null saves none.</summary>
    public Func<IExperiment, Checkpoints.CheckpointOptions?>? Checkpoints { get; init; }

    /// <summary>The results folder, which checkpoint folders are recorded relative to (<see cref="ExperimentContext.ResultsDirectory"/>).</summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>Runs one experiment. Cancellation propagates; every other exception becomes a failed result.</summary>
    public ExperimentResult Run(IExperiment experiment, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        Run(experiment, progress, null, cancellationToken);

    /// <summary>As <see cref="Run(IExperiment, IProgress{EpochReport}?, CancellationToken)"/>, with reports within each epoch too (<see cref="ExperimentContext.BatchProgress"/>).</summary>
    public ExperimentResult Run(IExperiment experiment, IProgress<EpochReport>? progress, IProgress<BatchReport>? batchProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var clock = Stopwatch.StartNew();
        Dataset? data = null;
        try
        {
            data = loadDataset(experiment.Dataset);
            var context = new ExperimentContext(data)
            {
                Progress = progress,
                BatchProgress = batchProgress,
                CancellationToken = cancellationToken,
                MeasureTestCurves = MeasureCurves,
                Checkpoints = Checkpoints?.Invoke(experiment),
                ResultsDirectory = ResultsDirectory,
            };
            var result = experiment.Run(context);

            // An experiment that does not train through the Trainer still reports its dataset's classes.
            return result.ClassNames.Count == 0 ? result with { ClassNames = data.ClassNames } : result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            return new ExperimentResult
            {
                Experiment = experiment.Name,
                Dataset = experiment.Dataset,
                ClassNames = data?.ClassNames ?? [],
                Status = ExperimentStatus.Failed,
                Hyperparameters = experiment.Settings.ToNamedValues(),
                TrainSeconds = clock.Elapsed.TotalSeconds,
                Error = exception is DataException or ArgumentException ? exception.Message : exception.ToString(),
            };
        }
    }
}
