using System.Globalization;

namespace Experiments;

/// <summary>The optimizer that updates the model's parameters.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent; <see cref="ExperimentSettings.Momentum"/> may add heavy-ball momentum.</summary>
    Sgd,

    /// <summary>Stochastic gradient descent with heavy-ball momentum (<see cref="ExperimentSettings.Momentum"/> &gt; 0).</summary>
    Momentum,

    /// <summary>Adam (Kingma and Ba), with PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8.</summary>
    Adam,

    /// <summary>
    /// AdamW (Loshchilov and Hutter): Adam with decoupled weight decay, PyTorch's defaults β1 = 0.9, β2 = 0.999,
    /// ε = 1e-8; <see cref="ExperimentSettings.WeightDecay"/> is the decoupled decay factor.
    /// </summary>
    AdamW,

    /// <summary>
    /// Full-batch L-BFGS (TorchSharp's <c>optim.LBFGS</c>, no line search): each epoch is one L-BFGS iteration on
    /// the whole training set, so <see cref="ExperimentSettings.BatchSize"/> is not used.
    /// </summary>
    Lbfgs,
}

/// <summary>What the model's <c>forward</c> applies to the linear layer's output.</summary>
public enum OutputActivation
{
    /// <summary>Return logits; the loss applies log-softmax itself. The right choice.</summary>
    None,

    /// <summary>
    /// Return softmax probabilities, as the blog post's text describes. CrossEntropyLoss then applies a second
    /// (log-)softmax, which flattens the gradients: kept to reproduce that pitfall.
    /// </summary>
    Softmax,
}

/// <summary>How the learning rate changes during training.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays <see cref="ExperimentSettings.LearningRate"/> throughout.</summary>
    Constant,

    /// <summary>
    /// Cosine annealing from <see cref="ExperimentSettings.LearningRate"/> to 0 over every mini-batch step of
    /// training (TorchSharp's <c>CosineAnnealingLR</c>, stepped once per mini-batch; per epoch for L-BFGS).
    /// </summary>
    Cosine,

    /// <summary>
    /// Multiply the learning rate by <see cref="ExperimentSettings.LrStepGamma"/> every
    /// <see cref="ExperimentSettings.LrStepEpochs"/> epochs (TorchSharp's <c>StepLR</c>).
    /// </summary>
    Step,

    /// <summary>
    /// The one-cycle policy (Smith and Topin; PyTorch's <c>OneCycleLR</c> with its defaults): the learning rate rises
    /// from <see cref="ExperimentSettings.LearningRate"/> / 25 to <see cref="ExperimentSettings.LearningRate"/> over
    /// the first 30% of the mini-batch steps, then anneals (cosine) to 1/10⁴ of its start, stepped once per mini-batch.
    /// </summary>
    OneCycle,
}

/// <summary>Where the model trains.</summary>
public enum ComputeDevice
{
    /// <summary>The CPU (TorchSharp-cpu, the package this repository references).</summary>
    Cpu,

    /// <summary>An NVIDIA GPU: needs TorchSharp's CUDA build (see the README); without it training fails with a clear error.</summary>
    Cuda,
}

/// <summary>How pixels become the model's inputs, after scaling to [0, 1].</summary>
public enum InputNormalization
{
    /// <summary>Pixels scaled to [0, 1] (as torchvision's <c>ToTensor</c>); nothing else.</summary>
    None,

    /// <summary>
    /// Each pixel minus its mean, divided by its standard deviation, both measured on the training images only (after
    /// augmentation, without the validation images); a pixel that never varies keeps a divisor of 1.
    /// </summary>
    Standardize,
}

/// <summary>Extra training images made from the training set (never from validation or test images).</summary>
public enum Augmentation
{
    /// <summary>The training images as they are.</summary>
    None,

    /// <summary>
    /// Each training image plus four copies shifted by one pixel (up, down, left, right; the vacated row or column is
    /// blank): five times the training images.
    /// </summary>
    Shifts,
}

/// <summary>The hyperparameters of one experiment, as typed values.</summary>
/// <remarks>
/// Every property added after the first three experiments has a default that keeps their behaviour: plain SGD at a
/// constant learning rate on [0, 1] pixels, every training image used for training, no early stopping.
/// <see cref="Validate"/> states the rules between settings; the trainer calls it before it trains.
/// </remarks>
public sealed record ExperimentSettings
{
    public required int InputSize { get; init; }

    public required int NumClasses { get; init; }

    public required int Epochs { get; init; }

    public required int BatchSize { get; init; }

    public required double LearningRate { get; init; }

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>The momentum factor <see cref="OptimizerKind.Momentum"/> uses unless <see cref="Momentum"/> is set, as in YAML.</summary>
    public const double DefaultMomentum = 0.9;

    private readonly double? momentum;

    /// <summary>
    /// Momentum factor of SGD, in [0, 1); 0 disables it. Unless set: <see cref="DefaultMomentum"/> with
    /// <see cref="OptimizerKind.Momentum"/>, else 0 (the generator's key table says the same for YAML files).
    /// </summary>
    public double Momentum
    {
        get => momentum ?? (Optimizer == OptimizerKind.Momentum ? DefaultMomentum : 0);
        init => momentum = value;
    }

    /// <summary>Seeds the initial weights, the validation split and the per-epoch shuffles.</summary>
    public long Seed { get; init; }

    public OutputActivation OutputActivation { get; init; } = OutputActivation.None;

    /// <summary>Nesterov momentum instead of heavy-ball (PyTorch's <c>SGD(nesterov=True)</c>); needs <see cref="Momentum"/> &gt; 0.</summary>
    public bool Nesterov { get; init; }

    /// <summary>
    /// L2 penalty factor, ≥ 0, on every parameter (weights and bias), as PyTorch's <c>weight_decay</c>: it adds
    /// <c>weightDecay · p</c> to each gradient. For L-BFGS it adds <c>weightDecay / 2 · Σ p²</c> to the objective,
    /// which has the same gradient. The reported losses never include it.
    /// </summary>
    public double WeightDecay { get; init; }

    public LearningRateSchedule LrSchedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>With <see cref="LearningRateSchedule.Step"/>: epochs between two reductions of the learning rate (≥ 1).</summary>
    public int LrStepEpochs { get; init; } = 10;

    /// <summary>With <see cref="LearningRateSchedule.Step"/>: the factor applied at each reduction, in (0, 1].</summary>
    public double LrStepGamma { get; init; } = 0.1;

    public InputNormalization Normalize { get; init; } = InputNormalization.None;

    /// <summary>
    /// Fraction of the training images, in [0, 1), held out as a validation set: drawn at random (from
    /// <see cref="Seed"/>) before any augmentation, never trained on, and measured after every epoch and at the end.
    /// </summary>
    public double ValidationSplit { get; init; }

    /// <summary>
    /// Stop when the validation loss has not improved for this many epochs, and keep the weights of the best epoch;
    /// 0 (the default) never stops early. Needs <see cref="ValidationSplit"/> &gt; 0.
    /// </summary>
    public int EarlyStoppingPatience { get; init; }

    public Augmentation Augment { get; init; } = Augmentation.None;

    /// <summary>
    /// Deskew every image (training, validation and test alike): shear it so that its second moments say its ink
    /// stands upright, centred on its centre of mass. See <see cref="Preprocessing.Deskew"/>.
    /// </summary>
    public bool Deskew { get; init; }

    /// <summary>Where the model and each mini-batch live while training and evaluating.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;

    /// <summary>
    /// The hyperparameters as name/value pairs in a fixed order, for result tables and JSON. Values are
    /// <see cref="int"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/> or <see cref="string"/>; the
    /// names are the YAML keys.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object>> ToNamedValues() =>
    [
        new("inputSize", InputSize),
        new("numClasses", NumClasses),
        new("epochs", Epochs),
        new("batchSize", BatchSize),
        new("learningRate", LearningRate),
        new("optimizer", Optimizer.ToString().ToLowerInvariant()),
        new("momentum", Momentum),
        new("seed", Seed),
        new("outputActivation", OutputActivation.ToString().ToLowerInvariant()),
        new("nesterov", Nesterov),
        new("weightDecay", WeightDecay),
        new("lrSchedule", LrSchedule.ToString().ToLowerInvariant()),
        new("lrStepEpochs", LrStepEpochs),
        new("lrStepGamma", LrStepGamma),
        new("normalize", Normalize.ToString().ToLowerInvariant()),
        new("validationSplit", ValidationSplit),
        new("earlyStoppingPatience", EarlyStoppingPatience),
        new("augment", Augment.ToString().ToLowerInvariant()),
        new("deskew", Deskew),
        new("device", Device.ToString().ToLowerInvariant()),
    ];

    /// <summary>
    /// Checks every setting's range and the rules between settings (the generator checks the same for YAML files);
    /// throws <see cref="ArgumentException"/> naming the YAML key.
    /// </summary>
    public void Validate()
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException(message);
            }
        }

        static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        Require(InputSize >= 1, $"inputSize must be at least 1, but is {InputSize}");
        Require(NumClasses >= 2, $"numClasses must be at least 2, but is {NumClasses}");
        Require(Epochs >= 1, $"epochs must be at least 1, but is {Epochs}");
        Require(BatchSize >= 1, $"batchSize must be at least 1, but is {BatchSize}");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, $"learningRate must be a positive number, but is {F(LearningRate)}");
        Require(Enum.IsDefined(Optimizer), $"optimizer {Optimizer} is not supported");
        Require(Momentum is >= 0 and < 1, $"momentum must be in [0, 1), but is {F(Momentum)}");
        Require(Optimizer != OptimizerKind.Momentum || Momentum > 0, "optimizer 'momentum' needs momentum > 0");
        Require(Momentum == 0 || Optimizer is OptimizerKind.Sgd or OptimizerKind.Momentum, $"momentum applies to 'sgd' and 'momentum' only, not '{Optimizer.ToString().ToLowerInvariant()}'");
        Require(Seed >= 0, $"seed must be at least 0, but is {Seed}");
        Require(!Nesterov || Momentum > 0, "nesterov needs momentum > 0");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, $"weightDecay must be a number ≥ 0, but is {F(WeightDecay)}");
        Require(Enum.IsDefined(LrSchedule), $"lrSchedule {LrSchedule} is not supported");
        Require(LrStepEpochs >= 1, $"lrStepEpochs must be at least 1, but is {LrStepEpochs}");
        Require(LrStepGamma is > 0 and <= 1, $"lrStepGamma must be in (0, 1], but is {F(LrStepGamma)}");
        Require(Enum.IsDefined(Normalize), $"normalize {Normalize} is not supported");
        Require(ValidationSplit is >= 0 and < 1, $"validationSplit must be in [0, 1), but is {F(ValidationSplit)}");
        Require(EarlyStoppingPatience >= 0, $"earlyStoppingPatience must be at least 0, but is {EarlyStoppingPatience}");
        Require(EarlyStoppingPatience == 0 || ValidationSplit > 0, "earlyStoppingPatience needs validationSplit > 0 (it watches the validation loss)");
        Require(Enum.IsDefined(Augment), $"augment {Augment} is not supported");
    }

    /// <summary>Equal when every hyperparameter is: a momentum left to its default equals the same momentum set.</summary>
    public bool Equals(ExperimentSettings? other) =>
        other is not null && ToNamedValues().Select(p => p.Value).SequenceEqual(other.ToNamedValues().Select(p => p.Value));

    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var (_, value) in ToNamedValues())
        {
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <summary>Formats a hyperparameter value the same way on every machine (invariant culture).</summary>
    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
