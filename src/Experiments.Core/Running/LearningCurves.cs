using Experiments.Data;
using Experiments.Training;

namespace Experiments.Running;

/// <summary>
/// Test loss and accuracy after every epoch, measured after training from parameter snapshots taken at each
/// epoch's end, so that the training time stays the training time.
/// </summary>
public static class LearningCurves
{
    /// <summary>
    /// Returns <paramref name="result"/> with <see cref="EpochMetrics.TestLoss"/> and
    /// <see cref="EpochMetrics.TestAccuracy"/> filled in from <paramref name="snapshots"/> (one per epoch, in order).
    /// A result that did not complete, whose snapshots do not match its epochs, or that is cancelled meanwhile, is
    /// returned as it is.
    /// </summary>
    public static ExperimentResult AddTestCurves(ExperimentResult result, IExperiment experiment, IReadOnlyList<float[][]> snapshots, ImageSplit test, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(test);
        if (result.Status != ExperimentStatus.Completed || snapshots.Count != result.Epochs.Count || snapshots.Count == 0)
        {
            return result;
        }

        using var model = experiment.CreateModel();
        var epochs = new List<EpochMetrics>(result.Epochs.Count);
        for (var i = 0; i < snapshots.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return result; // The experiment itself finished: keep it, without curves.
            }

            ModelWeights.RestoreParameters(model, snapshots[i]);
            var evaluation = Evaluator.Evaluate(model, test, experiment.Settings.NumClasses);
            epochs.Add(result.Epochs[i] with { TestLoss = evaluation.Loss, TestAccuracy = evaluation.Accuracy });
        }

        return result with { Epochs = epochs };
    }
}
