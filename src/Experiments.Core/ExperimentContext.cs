using Experiments.Data;
using TorchSharp;

namespace Experiments;

/// <summary>What an experiment gets from the host when it runs.</summary>
public sealed class ExperimentContext
{
    public ExperimentContext(ImageDataset data)
    {
        Data = data;
    }

    /// <summary>The loaded dataset, shared by every experiment of the process (do not dispose it).</summary>
    public ImageDataset Data { get; }

    /// <summary>Receives one report after every epoch (and may be null).</summary>
    public IProgress<EpochReport>? Progress { get; init; }

    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Whether to measure test loss and accuracy after every epoch, for learning curves
    /// (<see cref="EpochMetrics.TestLoss"/>, <see cref="EpochMetrics.TestAccuracy"/>). The trainer copies the
    /// parameters at each epoch's end and evaluates the copies after training, outside the training time.
    /// </summary>
    public bool MeasureTestCurves { get; init; }
}

/// <summary>Progress of a training run, reported after each epoch.</summary>
/// <param name="Epoch">1-based epoch that just finished.</param>
/// <param name="TotalEpochs">Epochs the experiment trains for.</param>
/// <param name="TrainLoss">Mean cross-entropy over the epoch's mini-batches.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation split after the epoch, when there is one.</param>
public readonly record struct EpochReport(int Epoch, int TotalEpochs, double TrainLoss, double? ValidationLoss = null);
