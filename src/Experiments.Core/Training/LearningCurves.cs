using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Test loss and accuracy after every epoch, for learning curves. The trainer copies the parameters at each epoch's
/// end (cheap: one linear layer) and measures them after training, so that the training time stays the training
/// time, on the same test features the final evaluation uses (deskewed, standardized, ...).
/// </summary>
internal static class LearningCurves
{
    /// <summary>
    /// <paramref name="epochs"/> with <see cref="EpochMetrics.TestLoss"/> and <see cref="EpochMetrics.TestAccuracy"/>
    /// filled in from <paramref name="snapshots"/> (one per epoch, in order), evaluated in <paramref name="model"/>
    /// (whose parameters this overwrites). Unchanged when the counts differ or cancellation is requested meanwhile.
    /// </summary>
    public static IReadOnlyList<EpochMetrics> WithTestCurves(
        IReadOnlyList<EpochMetrics> epochs,
        IReadOnlyList<Models.ModelState> snapshots,
        nn.Module<Tensor, Tensor> model,
        Tensor testFeatures,
        Tensor testLabels,
        int numClasses,
        CancellationToken cancellationToken)
    {
        if (snapshots.Count != epochs.Count || snapshots.Count == 0)
        {
            return epochs;
        }

        var measured = new List<EpochMetrics>(epochs.Count);
        for (var i = 0; i < snapshots.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return epochs; // The experiment itself finished: keep it, without curves.
            }

            snapshots[i].Restore(model); // parameters and buffers (batch norm's running statistics)
            var evaluation = Evaluator.Evaluate(model, testFeatures, testLabels, numClasses);
            measured.Add(epochs[i] with { TestLoss = evaluation.Loss, TestAccuracy = evaluation.Accuracy });
        }

        return measured;
    }
}
