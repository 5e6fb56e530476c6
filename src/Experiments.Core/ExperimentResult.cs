namespace Experiments;

/// <summary>How an experiment ended.</summary>
public enum ExperimentStatus
{
    Completed,
    Failed,
}

/// <summary>Train loss and duration of one epoch.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double Seconds)
{
    /// <summary>Mean test cross-entropy of the model as it was after this epoch (for learning curves), if measured.</summary>
    public double? TestLoss { get; init; }

    /// <summary>Test accuracy in percent of the model as it was after this epoch (for learning curves), if measured.</summary>
    public double? TestAccuracy { get; init; }
}

/// <summary>Test-set metrics of a trained model.</summary>
public sealed record Evaluation
{
    /// <summary>Percentage of test images classified correctly (0-100).</summary>
    public required double Accuracy { get; init; }

    /// <summary>Mean cross-entropy over the test images.</summary>
    public required double Loss { get; init; }

    /// <summary>Accuracy in percent for each true class.</summary>
    public required IReadOnlyList<double> PerClassAccuracy { get; init; }

    /// <summary><c>ConfusionMatrix[actual][predicted]</c> counts.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    public required int Count { get; init; }
}

/// <summary>The outcome of running one experiment.</summary>
public sealed record ExperimentResult
{
    public required string Experiment { get; init; }

    public required string Dataset { get; init; }

    public required ExperimentStatus Status { get; init; }

    public required IReadOnlyList<KeyValuePair<string, object>> Hyperparameters { get; init; }

    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    public Evaluation? Test { get; init; }

    /// <summary>Metrics on a validation split carved from the training set, when the experiment has one.</summary>
    public Evaluation? Validation { get; init; }

    /// <summary>The trained linear layer's weights (one row per class), for pictures of what the model learned.</summary>
    public ModelWeights? Weights { get; init; }

    /// <summary>Wall time of every epoch, end to end.</summary>
    public double TrainSeconds { get; init; }

    public double EvaluationSeconds { get; init; }

    /// <summary>Why the experiment failed, when <see cref="Status"/> is <see cref="ExperimentStatus.Failed"/>.</summary>
    public string? Error { get; init; }
}
