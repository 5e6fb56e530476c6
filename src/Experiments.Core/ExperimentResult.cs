namespace Experiments;

/// <summary>How an experiment ended.</summary>
public enum ExperimentStatus
{
    Completed,
    Failed,

    /// <summary>
    /// The training loss became NaN or infinite (a learning rate that blows up): training stopped at that epoch. A
    /// result, not a crash: the other experiments still run.
    /// </summary>
    Diverged,
}

/// <summary>Train loss and duration of one epoch, the validation metrics when a validation split is held out, and test metrics for learning curves when measured.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean cross-entropy over the epoch's mini-batches (for L-BFGS: the full-batch loss the iteration started from).</param>
/// <param name="Seconds">Wall time of the epoch, validation included.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation images after the epoch, or null without a validation split.</param>
/// <param name="ValidationAccuracy">Percentage of validation images right after the epoch, or null without a validation split.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double Seconds, double? ValidationLoss = null, double? ValidationAccuracy = null)
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

    /// <summary>
    /// The dataset's class names in class-index order (<see cref="Data.Dataset.ClassNames"/>), e.g. "T-shirt/top"
    /// for Fashion-MNIST's class 0: how tables and pictures name the rows and columns of
    /// <see cref="Evaluation.PerClassAccuracy"/> and <see cref="Evaluation.ConfusionMatrix"/>. Empty when not known
    /// (a result that failed before its dataset loaded); see <see cref="ClassName"/>.
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    public required ExperimentStatus Status { get; init; }

    public required IReadOnlyList<KeyValuePair<string, object>> Hyperparameters { get; init; }

    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    public Evaluation? Test { get; init; }

    /// <summary>
    /// The final model on the validation images (those of <see cref="ExperimentSettings.ValidationSplit"/>), or null
    /// without a validation split.
    /// </summary>
    public Evaluation? Validation { get; init; }

    /// <summary>
    /// The trained linear layer's weights (one row per class), for pictures of what the model learned; null for a
    /// model that is not one linear layer (an MLP's or a CNN's first matrix is no per-class template: see <see cref="State"/>).
    /// </summary>
    public ModelWeights? Weights { get; init; }

    /// <summary>
    /// The model's architecture as trained: <see cref="IExperiment.Architecture"/>, with the layers and the parameter
    /// count measured from the model when the build could not know them (a user module).
    /// </summary>
    public Models.ModelSummary? Model { get; init; }

    /// <summary>The trained model's full state (every parameter and buffer), or null when training did not finish.</summary>
    public Models.ModelState? State { get; init; }

    /// <summary>
    /// Where the trained model was saved (<c>model.safetensors</c> and <c>config.json</c>, with their SHA-256s), or
    /// null when no checkpoint was written (not asked for, not completed, or the write failed: see <see cref="CheckpointError"/>).
    /// </summary>
    public Checkpoints.CheckpointRecord? Checkpoint { get; init; }

    /// <summary>
    /// Why the checkpoint of a completed result could not be written (a full disk...), or null. The result itself is
    /// kept, and the run history keeps the reason with it.
    /// </summary>
    public string? CheckpointError { get; init; }

    /// <summary>
    /// How raw examples became the model's inputs (divisor, deskew, the training statistics of standardization), or
    /// null when training did not get that far. Not kept in the run history: a result read from it (a cached one
    /// included) has null here, and its checkpoint's <c>config.json</c> holds the transform.
    /// </summary>
    public Checkpoints.InputTransform? Inputs { get; init; }

    /// <summary>
    /// The run whose training this result is, when the run cache reused it instead of training again (same
    /// configuration, code and dataset); null for a result trained in its own run.
    /// </summary>
    public long? CachedFromRun { get; init; }

    /// <summary>
    /// Wall time of training: creating the model and optimizer, then every epoch end to end (validation included),
    /// but not the host's progress callback, the per-epoch test evaluation for learning curves or the per-epoch
    /// training state's write, which are not training. For a training resumed from an interrupted one
    /// (<see cref="ResumedFromEpoch"/>), the sum over the runs: the earlier runs' up to the epoch saved, then this
    /// run's (the epoch under way at the interruption is lost, and not counted).
    /// </summary>
    public double TrainSeconds { get; init; }

    /// <summary>
    /// The last finished epoch of the interrupted training this one went on from (<see cref="Checkpoints.CheckpointOptions.ResumeFrom"/>),
    /// or null for a training from the first epoch. The run history keeps it (<c>results.resumed_from_epoch</c>).
    /// </summary>
    public int? ResumedFromEpoch { get; init; }

    /// <summary>
    /// Why the training could not go on from the state of <see cref="Checkpoints.CheckpointOptions.ResumeFrom"/> (gone,
    /// damaged, of another training, tensors that do not fit the model), naming the file, or null: it trained from the
    /// first epoch instead, and the state was left as it is. The run history does not keep it.
    /// </summary>
    public string? ResumeError { get; init; }

    /// <summary>
    /// Why a per-epoch training state could not be written, or null: the result itself is
    /// kept, but an interruption would have lost more than the epoch under way. The run history does not keep it.
    /// </summary>
    public string? TrainingStateError { get; init; }

    /// <summary>
    /// Wall time spent preparing the training inputs before the first epoch: validation split, deskewing,
    /// augmentation, normalization statistics and the float copy of the training pixels.
    /// </summary>
    public double PreprocessSeconds { get; init; }

    public double EvaluationSeconds { get; init; }

    /// <summary>
    /// The epoch whose weights the model kept: the one with the lowest validation loss when early stopping is on,
    /// otherwise the last epoch trained.
    /// </summary>
    public int? BestEpoch { get; init; }

    /// <summary>True when early stopping ended training before the last epoch.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Why the experiment failed, when <see cref="Status"/> is <see cref="ExperimentStatus.Failed"/>.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Why training stopped, when <see cref="Status"/> is <see cref="ExperimentStatus.Diverged"/> (for example
    /// "training loss NaN at epoch 2").
    /// </summary>
    public string? DivergenceReason { get; init; }

    /// <summary>The name of class <paramref name="index"/>: its entry of <see cref="ClassNames"/>, or the index as text when there is none.</summary>
    public string ClassName(int index) =>
        index >= 0 && index < ClassNames.Count && !string.IsNullOrEmpty(ClassNames[index])
            ? ClassNames[index]
            : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
