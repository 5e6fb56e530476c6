using Experiments.Data;
using TorchSharp;

namespace Experiments;

/// <summary>What an experiment gets from the host when it runs.</summary>
public sealed class ExperimentContext
{
    public ExperimentContext(Dataset data)
    {
        Data = data;
    }

    /// <summary>The loaded dataset, shared by every experiment of the process (do not dispose it).</summary>
    public Dataset Data { get; }

    /// <summary>Receives one report after every epoch (and may be null).</summary>
    public IProgress<EpochReport>? Progress { get; init; }

    /// <summary>
    /// Receives reports within each epoch (batches done, images, elapsed time) at most every ~100 ms, and may be null.
    /// The training clock stops around each call, as for <see cref="Progress"/>.
    /// </summary>
    public IProgress<BatchReport>? BatchProgress { get; init; }

    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Where to save the trained model (<c>model.safetensors</c> and <c>config.json</c>) when the experiment completes,
    /// and the training state after every epoch until then (<see cref="Checkpoints.TrainingStateFile"/>); and what
    /// interrupted training to go on from (<see cref="Checkpoints.CheckpointOptions.ResumeFrom"/>). Null saves nothing.
    /// </summary>
    public Checkpoints.CheckpointOptions? Checkpoints { get; init; }

    /// <summary>The results folder the run history is in: checkpoint folders inside it are recorded relative to it. Null: absolute.</summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>
    /// Whether to measure test loss and accuracy after every epoch, for learning curves
    /// (<see cref="EpochMetrics.TestLoss"/>, <see cref="EpochMetrics.TestAccuracy"/>). The trainer evaluates the
    /// model on the test split right after each epoch, with the training clock stopped; evaluation changes nothing
    /// the training depends on (<see cref="Training.LearningCurves"/>).
    /// </summary>
    public bool MeasureTestCurves { get; init; }
}

/// <summary>Progress of a training run, reported after each epoch.</summary>
/// <param name="Epoch">1-based epoch that just finished.</param>
/// <param name="TotalEpochs">Epochs the experiment trains for.</param>
/// <param name="TrainLoss">Mean cross-entropy over the epoch's mini-batches.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation split after the epoch, when there is one.</param>
public readonly record struct EpochReport(int Epoch, int TotalEpochs, double TrainLoss, double? ValidationLoss = null);

/// <summary>
/// Progress within an epoch, for a display that moves while a long epoch (a CNN's takes seconds) runs. Reported at
/// most every <see cref="Training.BatchProgressReporter.Interval"/> and not on the linear SGD fast path, whose epochs
/// take a fraction of a second.
/// </summary>
/// <param name="Epoch">1-based epoch in progress.</param>
/// <param name="TotalEpochs">Epochs the experiment trains for.</param>
/// <param name="Batch">Mini-batches of this epoch done so far.</param>
/// <param name="TotalBatches">Mini-batches in one epoch.</param>
/// <param name="Images">Training images of this epoch done so far.</param>
/// <param name="EpochImages">Training images in one epoch.</param>
/// <param name="ElapsedSeconds">Training time of this epoch so far (the progress callbacks left out).</param>
public readonly record struct BatchReport(int Epoch, int TotalEpochs, int Batch, int TotalBatches, long Images, long EpochImages, double ElapsedSeconds)
{
    /// <summary>Training images per second in this epoch so far (0 before the first image).</summary>
    public double ImagesPerSecond => ElapsedSeconds > 0 ? Images / ElapsedSeconds : 0;
}
