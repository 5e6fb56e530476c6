using System;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Experiments.Generators.Parsing;

namespace Experiments.Generators.Model;

/// <summary>The kind of value a key holds.</summary>
internal enum ValueKind
{
    /// <summary>A whole number.</summary>
    Integer,

    /// <summary>A finite real number.</summary>
    Number,

    /// <summary>Free text.</summary>
    Text,

    /// <summary>One of a fixed list of words.</summary>
    Choice,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,
}

/// <summary>What a key does, which decides where the emitter puts it.</summary>
internal enum KeyRole
{
    /// <summary>A hyperparameter: a constant and a property of <c>ExperimentSettings</c>.</summary>
    Setting,

    /// <summary>Describes the experiment (a constant and a property of <c>IExperiment</c>), not how it trains.</summary>
    Property,

    /// <summary>Tells the generator how to read the files (<c>extends</c>, <c>sweepLimit</c>); not emitted.</summary>
    Directive,
}

/// <summary>One key an experiment file may set.</summary>
internal sealed record KeyDefinition(
    string Name,
    ValueKind Kind,
    bool Required,
    string? Default,
    double? Minimum,
    bool MinimumExclusive,
    double? Maximum,
    bool MaximumExclusive,
    ImmutableArray<string> Choices,
    string Summary)
{
    /// <summary>Where the emitter puts the key.</summary>
    public KeyRole Role { get; init; } = KeyRole.Setting;

    /// <summary>Whether a list of values sweeps the key (one experiment per value).</summary>
    public bool Sweepable => Role != KeyRole.Directive && Name != "description";

    /// <summary>For a choice mapped to a runtime enum: its fully qualified name; its members are the PascalCase choices.</summary>
    public string? EnumType { get; init; }

    /// <summary>Whether the key's default is the dataset's (<c>inputSize</c>, <c>numClasses</c>): it has no default of its own.</summary>
    public bool DefaultFromDataset { get; init; }

    /// <summary>The C# type of an integer key: <c>int</c> (the default) or <c>long</c>.</summary>
    public string IntegerType { get; init; } = "int";

    /// <summary>The PascalCase name of the generated constant and settings property, e.g. <c>LearningRate</c>.</summary>
    public string PropertyName => Naming.ToTypePrefix(Name)!;

    /// <summary>The C# type of the generated constant.</summary>
    public string CSharpType => Kind switch
    {
        ValueKind.Integer => IntegerType,
        ValueKind.Number => "double",
        ValueKind.Boolean => "bool",
        ValueKind.Choice when EnumType is not null => EnumType,
        _ => "string",
    };

    /// <summary>What a valid value looks like, completing "{key} must be ...".</summary>
    public string Expectation
    {
        get
        {
            switch (Kind)
            {
                case ValueKind.Choice:
                    return "one of " + string.Join(", ", Choices.Select(c => "'" + c + "'"));
                case ValueKind.Text:
                    return "text";
                case ValueKind.Boolean:
                    return "true or false";
            }

            var noun = Kind == ValueKind.Integer ? "whole number" : "number";
            if (Minimum is { } min && Maximum is { } max)
            {
                return $"a {noun} from {Format(min)}{(MinimumExclusive ? " (exclusive)" : string.Empty)} to {Format(max)}{(MaximumExclusive ? " (exclusive)" : string.Empty)}";
            }

            if (Minimum is { } lower)
            {
                return lower switch
                {
                    0 when MinimumExclusive => $"a positive {noun}",
                    0 => $"a non-negative {noun}",
                    1 when !MinimumExclusive && Kind == ValueKind.Integer => $"a positive {noun}",
                    _ => $"a {noun} {(MinimumExclusive ? "greater than" : "of at least")} {Format(lower)}",
                };
            }

            return "a " + noun;
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A default that depends on another key: <paramref name="Key"/> is <paramref name="Value"/> when <paramref name="When"/> is <paramref name="WhenValue"/>.</summary>
internal sealed record ConditionalDefault(KeyDefinition Key, KeyDefinition When, string WhenValue, string Value);

/// <summary>A rule between keys, on canonical values.</summary>
/// <param name="Key">The key a broken rule is reported on.</param>
/// <param name="Keys">Every key the rule reads (what a test must vary to exercise it).</param>
/// <param name="Holds">Whether the resolved values keep the rule.</param>
/// <param name="Expectation">Completes "{key} must be ..." in the message.</param>
internal sealed record KeyRule(
    KeyDefinition Key,
    ImmutableArray<KeyDefinition> Keys,
    Func<Func<KeyDefinition, string>, bool> Holds,
    Func<Func<KeyDefinition, string>, string> Expectation);

/// <summary>
/// The keys of an experiment file. The parser validates against this table, its messages quote it, the emitter
/// writes one constant per key from it, and the JSON schema is checked against it: the rules live in one place.
/// </summary>
internal static class ExperimentSchema
{
    /// <summary>The dataset of an experiment that names none: it must be described (<c>datasets/mnist.yaml</c>).</summary>
    public const string DefaultDataset = "mnist";
    public const string Sgd = "sgd";
    public const string MomentumOptimizer = "momentum";
    public const string Adam = "adam";
    public const string AdamW = "adamw";
    public const string Lbfgs = "lbfgs";

    /// <summary>The key of the sweep block: each of its keys lists the values to try, one experiment per combination.</summary>
    public const string SweepKey = "sweep";

    /// <summary>The momentum factor <c>optimizer: momentum</c> uses when the file does not set <c>momentum</c>.</summary>
    public const double DefaultMomentum = 0.9;

    /// <summary>The most experiments one file may expand to unless it sets <c>sweepLimit</c>.</summary>
    public const int DefaultSweepLimit = 256;

    /// <summary>The most values one list may hold, and the highest <c>sweepLimit</c>: checked before the values are read.</summary>
    public const int MaxSweepValues = 10_000;

    private const string Runtime = "global::Experiments.";

    private static readonly ImmutableArray<string> None = ImmutableArray<string>.Empty;

    public static readonly KeyDefinition Extends = new("extends", ValueKind.Text, false, null, null, false, null, false, None, "Another experiment file (a path relative to this one) whose keys this file starts from; keys set here override it.")
    {
        Role = KeyRole.Directive,
    };

    public static readonly KeyDefinition SweepLimit = new("sweepLimit", ValueKind.Integer, false, "256", 1, false, MaxSweepValues, false, None, "The most experiments the lists (sweeps) of this file may expand to; a safety net against typing one value too many.")
    {
        Role = KeyRole.Directive,
    };

    public static readonly KeyDefinition Description = new("description", ValueKind.Text, false, "", null, false, null, false, None, "Free text shown by `list` and in results.")
    {
        Role = KeyRole.Property,
    };

    public static readonly KeyDefinition Dataset = new("dataset", ValueKind.Text, false, DefaultDataset, null, false, null, false, None, "The dataset to train and evaluate on: the name of a dataset file, datasets/<name>.yaml (mnist, fashion-mnist, digits-csv and digits-images are shipped).")
    {
        Role = KeyRole.Property,
    };

    public static readonly KeyDefinition InputSize = new("inputSize", ValueKind.Integer, false, null, 1, false, 1_000_000, false, None, "Inputs of the linear layer: the number of values per example (784 for 28x28 pixels); defaults to the dataset's (the product of its shape), and must equal it.")
    {
        DefaultFromDataset = true,
    };

    public static readonly KeyDefinition NumClasses = new("numClasses", ValueKind.Integer, false, null, 2, false, 100_000, false, None, "Outputs of the linear layer: the number of classes; defaults to the dataset's, and must equal it.")
    {
        DefaultFromDataset = true,
    };

    public static readonly KeyDefinition Epochs = new("epochs", ValueKind.Integer, true, null, 1, false, 100_000, false, None, "Passes over the training set.");
    public static readonly KeyDefinition BatchSize = new("batchSize", ValueKind.Integer, true, null, 1, false, 1_000_000, false, None, "Images per mini-batch (the last batch of an epoch may be smaller).");
    public static readonly KeyDefinition LearningRate = new("learningRate", ValueKind.Number, true, null, 0, true, null, false, None, "Step size of the optimizer.");

    public static readonly KeyDefinition Optimizer = new("optimizer", ValueKind.Choice, false, Sgd, null, false, null, false, ImmutableArray.Create(Sgd, MomentumOptimizer, Adam, AdamW, Lbfgs), "The optimizer: 'sgd' (stochastic gradient descent), 'momentum' (SGD with momentum), 'adam', 'adamw' (Adam with decoupled weight decay), or 'lbfgs' (full-batch L-BFGS: each epoch is one iteration over the whole training set, batchSize is not used).")
    {
        EnumType = Runtime + "OptimizerKind",
    };

    public static readonly KeyDefinition Momentum = new("momentum", ValueKind.Number, false, "0", 0, false, 1, true, None, "Momentum factor of SGD (heavy ball): default 0 with 'sgd', 0.9 with 'momentum'; 'adam', 'adamw' and 'lbfgs' take none.");

    public static readonly KeyDefinition Seed = new("seed", ValueKind.Integer, false, "0", 0, false, null, false, None, "Seeds the initial weights and the shuffles, so a run can be repeated exactly.")
    {
        IntegerType = "long",
    };

    public static readonly KeyDefinition OutputActivation = new("outputActivation", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "softmax"), "What forward applies to the logits: 'none' (right for CrossEntropyLoss) or 'softmax' (the blog post's pitfall).")
    {
        EnumType = Runtime + "OutputActivation",
    };

    public static readonly KeyDefinition Nesterov = new("nesterov", ValueKind.Boolean, false, "false", null, false, null, false, None, "Nesterov momentum (PyTorch's SGD nesterov=True); needs a momentum greater than 0.");

    public static readonly KeyDefinition WeightDecay = new("weightDecay", ValueKind.Number, false, "0", 0, false, null, false, None, "L2 penalty on every parameter (PyTorch's weight_decay): adds weightDecay times the parameter to its gradient.");

    public static readonly KeyDefinition LrSchedule = new("lrSchedule", ValueKind.Choice, false, "constant", null, false, null, false, ImmutableArray.Create("constant", "cosine", "step", "onecycle"), "How the learning rate changes: 'constant'; 'cosine' (annealed to 0 over all steps); 'step' (times lrStepGamma every lrStepEpochs epochs); 'onecycle' (PyTorch's OneCycleLR: up to learningRate over the first 30% of the steps, then annealed).")
    {
        EnumType = Runtime + "LearningRateSchedule",
    };

    public static readonly KeyDefinition LrStepEpochs = new("lrStepEpochs", ValueKind.Integer, false, "10", 1, false, 100_000, false, None, "With lrSchedule 'step': epochs between two reductions of the learning rate.");
    public static readonly KeyDefinition LrStepGamma = new("lrStepGamma", ValueKind.Number, false, "0.1", 0, true, 1, false, None, "With lrSchedule 'step': the factor applied to the learning rate at each reduction.");

    public static readonly KeyDefinition Normalize = new("normalize", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "standardize"), "Input normalization: 'none' (pixels in [0, 1]) or 'standardize' (each pixel minus its training mean, over its training standard deviation; the same transform for validation and test images).")
    {
        EnumType = Runtime + "InputNormalization",
    };

    public static readonly KeyDefinition ValidationSplit = new("validationSplit", ValueKind.Number, false, "0", 0, false, 1, true, None, "Fraction of the training images held out for validation (never trained on); validation metrics are reported beside the test metrics.");
    public static readonly KeyDefinition EarlyStoppingPatience = new("earlyStoppingPatience", ValueKind.Integer, false, "0", 0, false, 100_000, false, None, "Stop when the validation loss has not improved for this many epochs and keep the best epoch's weights; 0 never stops early. Needs validationSplit.");

    public static readonly KeyDefinition Augment = new("augment", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "shifts"), "Training-set augmentation: 'none' or 'shifts' (adds copies of each training image shifted by one pixel up, down, left and right).")
    {
        EnumType = Runtime + "Augmentation",
    };

    public static readonly KeyDefinition Deskew = new("deskew", ValueKind.Boolean, false, "false", null, false, null, false, None, "Shear every image (training, validation and test) upright by its second moments: a fixed preprocessing that keeps the model linear.");

    public static readonly KeyDefinition Device = new("device", ValueKind.Choice, false, "cpu", null, false, null, false, ImmutableArray.Create("cpu", "cuda"), "Where the model trains: 'cpu', or 'cuda' (an NVIDIA GPU; needs TorchSharp's CUDA build, see the README).")
    {
        EnumType = Runtime + "ComputeDevice",
    };

    /// <summary>Every key, in the order documentation and generated code list them.</summary>
    public static readonly ImmutableArray<KeyDefinition> Keys = ImmutableArray.Create(
        Description, Dataset, InputSize, NumClasses, Epochs, BatchSize, LearningRate, Optimizer, Momentum, Seed, OutputActivation,
        Nesterov, WeightDecay, LrSchedule, LrStepEpochs, LrStepGamma, Normalize, ValidationSplit, EarlyStoppingPatience, Augment, Deskew,
        Device, Extends, SweepLimit);

    /// <summary>The keys that become generated constants (every key but the directives), in order.</summary>
    public static readonly ImmutableArray<KeyDefinition> EmittedKeys = Keys.Where(k => k.Role != KeyRole.Directive).ToImmutableArray();

    /// <summary>
    /// Defaults that depend on another key: <c>momentum</c> is 0.9 with <c>optimizer: momentum</c>. The resolver fills
    /// them in (so generated code holds the value), and <c>ExperimentSettings</c> defaults the same way (a test checks).
    /// </summary>
    public static readonly ImmutableArray<ConditionalDefault> ConditionalDefaults = ImmutableArray.Create(
        new ConditionalDefault(Momentum, Optimizer, MomentumOptimizer, DefaultMomentum.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>
    /// The rules between keys, checked on the resolved values (defaults filled in, bases merged); a broken rule is an
    /// EXP0003 on its key. <c>ExperimentSettings.Validate</c> accepts exactly what these accept (a test checks).
    /// </summary>
    public static readonly ImmutableArray<KeyRule> Rules = ImmutableArray.Create(
        new KeyRule(
            Momentum,
            ImmutableArray.Create(Optimizer, Momentum),
            value => value(Optimizer) != MomentumOptimizer || Number(value(Momentum)) > 0,
            _ => "greater than 0 with optimizer 'momentum' (use 'optimizer: sgd' for plain SGD)"),
        new KeyRule(
            Momentum,
            ImmutableArray.Create(Optimizer, Momentum),
            value => value(Optimizer) is not (Adam or AdamW or Lbfgs) || Number(value(Momentum)) == 0,
            value => $"0 with optimizer '{value(Optimizer)}' (momentum applies to 'sgd' and 'momentum' only)"),
        new KeyRule(
            Nesterov,
            ImmutableArray.Create(Nesterov, Optimizer, Momentum),
            value => value(Nesterov) != "true" || Number(value(Momentum)) > 0,
            _ => "false unless momentum is greater than 0 (use 'optimizer: momentum')"),
        new KeyRule(
            EarlyStoppingPatience,
            ImmutableArray.Create(EarlyStoppingPatience, ValidationSplit),
            value => value(EarlyStoppingPatience) == "0" || Number(value(ValidationSplit)) > 0,
            _ => "0 unless validationSplit is set (early stopping watches the validation loss)"));

    /// <summary>The value of <paramref name="key"/> when no file sets it, given the values of the others.</summary>
    public static string DefaultOf(KeyDefinition key, Func<KeyDefinition, string> value)
    {
        foreach (var conditional in ConditionalDefaults)
        {
            if (conditional.Key == key && value(conditional.When) == conditional.WhenValue)
            {
                return conditional.Value;
            }
        }

        return key.Default!;
    }

    /// <summary>The runtime enum member a choice maps to: its PascalCase form, except where the runtime spells it otherwise.</summary>
    public static string EnumMember(string choice) => choice switch
    {
        AdamW => "AdamW",
        "onecycle" => "OneCycle",
        _ => Naming.ToTypePrefix(choice)!,
    };

    private static double Number(string canonical) => double.Parse(canonical, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static KeyDefinition? Find(string name)
    {
        foreach (var key in Keys)
        {
            if (key.Name == name)
            {
                return key;
            }
        }

        return null;
    }
}
