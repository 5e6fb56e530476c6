using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Test loss and accuracy after every epoch, for learning curves: the trainer measures the model right after each
/// epoch, with the training clock stopped, on the same test features the final evaluation uses (deskewed,
/// standardized, ...). Only the numbers are kept, so a per-epoch training state holds them as it holds the training
/// losses, and no copy of the model per epoch is needed.
/// </summary>
/// <remarks>
/// The measurement leaves the training as it would have been without it, bit for bit: <see cref="Evaluator"/> runs
/// the model in evaluation mode under <c>no_grad</c> (dropout off, so no generator is drawn from; batch norm on its
/// running statistics, which evaluation mode does not update) and puts it back into training mode; no parameter,
/// buffer, gradient or optimizer state changes. A user module whose <c>forward</c> draws random numbers even in
/// evaluation mode would break that; every declared layer and torch's own modules do not.
/// </remarks>
internal sealed class LearningCurves
{
    private readonly Tensor testFeatures;
    private readonly Tensor testLabels;
    private readonly int numClasses;
    private readonly int chunkSize;

    /// <param name="testFeatures">The test split in the model's form (float32 [count, inputSize]); the caller keeps it alive and disposes it.</param>
    /// <param name="testLabels">Its labels (int64 [count]).</param>
    /// <param name="numClasses">The classes.</param>
    /// <param name="chunkSize">Images per forward pass (<see cref="Evaluator.ChunkSizeFor"/>).</param>
    public LearningCurves(Tensor testFeatures, Tensor testLabels, int numClasses, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(testFeatures);
        ArgumentNullException.ThrowIfNull(testLabels);
        this.testFeatures = testFeatures;
        this.testLabels = testLabels;
        this.numClasses = numClasses;
        this.chunkSize = chunkSize;
    }

    /// <summary>
    /// <paramref name="epoch"/> with <see cref="EpochMetrics.TestLoss"/> and <see cref="EpochMetrics.TestAccuracy"/>
    /// of <paramref name="model"/> as it is now (after that epoch); unchanged when the epoch's training loss is not
    /// finite (a diverged model has no curve worth drawing).
    /// </summary>
    public EpochMetrics Measure(EpochMetrics epoch, nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        ArgumentNullException.ThrowIfNull(model);
        if (!double.IsFinite(epoch.TrainLoss))
        {
            return epoch;
        }

        var test = Evaluator.Evaluate(model, testFeatures, testLabels, numClasses, chunkSize);
        return epoch with { TestLoss = test.Loss, TestAccuracy = test.Accuracy };
    }
}
