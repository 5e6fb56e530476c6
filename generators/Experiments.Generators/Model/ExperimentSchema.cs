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

/// <summary>
/// The keys of an experiment file. The parser validates against this table, its messages quote it, the emitter
/// writes one constant per key from it, and the JSON schema is checked against it: the rules live in one place.
/// </summary>
internal static class ExperimentSchema
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";
    public const string Sgd = "sgd";
    public const string MomentumOptimizer = "momentum";

    /// <summary>The momentum factor <c>optimizer: momentum</c> uses when the file does not set <c>momentum</c>.</summary>
    public const double DefaultMomentum = 0.9;

    /// <summary>The most experiments one file may expand to unless it sets <c>sweepLimit</c>.</summary>
    public const int DefaultSweepLimit = 256;

    private const string Runtime = "global::Experiments.";

    private static readonly ImmutableArray<string> None = ImmutableArray<string>.Empty;

    public static readonly KeyDefinition Extends = new("extends", ValueKind.Text, false, null, null, false, null, false, None, "Another experiment file (a path relative to this one) whose keys this file starts from; keys set here override it.")
    {
        Role = KeyRole.Directive,
    };

    public static readonly KeyDefinition SweepLimit = new("sweepLimit", ValueKind.Integer, false, "256", 1, false, 100_000, false, None, "The most experiments the lists (sweeps) of this file may expand to; a safety net against typing one value too many.")
    {
        Role = KeyRole.Directive,
    };

    public static readonly KeyDefinition Description = new("description", ValueKind.Text, false, "", null, false, null, false, None, "Free text shown by `list` and in results.")
    {
        Role = KeyRole.Property,
    };

    public static readonly KeyDefinition Dataset = new("dataset", ValueKind.Choice, false, Mnist, null, false, null, false, ImmutableArray.Create(Mnist, FashionMnist), "The dataset to train and evaluate on.")
    {
        Role = KeyRole.Property,
    };

    public static readonly KeyDefinition InputSize = new("inputSize", ValueKind.Integer, true, null, 1, false, 1_000_000, false, None, "Inputs of the linear layer: the number of pixels per image (784 for 28x28).");
    public static readonly KeyDefinition NumClasses = new("numClasses", ValueKind.Integer, true, null, 2, false, 100_000, false, None, "Outputs of the linear layer: the number of classes.");
    public static readonly KeyDefinition Epochs = new("epochs", ValueKind.Integer, true, null, 1, false, 100_000, false, None, "Passes over the training set.");
    public static readonly KeyDefinition BatchSize = new("batchSize", ValueKind.Integer, true, null, 1, false, 1_000_000, false, None, "Images per mini-batch (the last batch of an epoch may be smaller).");
    public static readonly KeyDefinition LearningRate = new("learningRate", ValueKind.Number, true, null, 0, true, null, false, None, "Step size of the optimizer.");

    public static readonly KeyDefinition Optimizer = new("optimizer", ValueKind.Choice, false, Sgd, null, false, null, false, ImmutableArray.Create(Sgd, MomentumOptimizer), "The optimizer: 'sgd' (stochastic gradient descent) or 'momentum' (SGD with momentum).")
    {
        EnumType = Runtime + "OptimizerKind",
    };

    public static readonly KeyDefinition Momentum = new("momentum", ValueKind.Number, false, "0", 0, false, 1, true, None, "Momentum factor of SGD (heavy ball): default 0 with 'sgd', 0.9 with 'momentum'.");

    public static readonly KeyDefinition Seed = new("seed", ValueKind.Integer, false, "0", 0, false, null, false, None, "Seeds the initial weights and the shuffles, so a run can be repeated exactly.")
    {
        IntegerType = "long",
    };

    public static readonly KeyDefinition OutputActivation = new("outputActivation", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "softmax"), "What forward applies to the logits: 'none' (right for CrossEntropyLoss) or 'softmax' (the blog post's pitfall).")
    {
        EnumType = Runtime + "OutputActivation",
    };

    /// <summary>Every key, in the order documentation and generated code list them.</summary>
    public static readonly ImmutableArray<KeyDefinition> Keys = ImmutableArray.Create(
        Description, Dataset, InputSize, NumClasses, Epochs, BatchSize, LearningRate, Optimizer, Momentum, Seed, OutputActivation, Extends, SweepLimit);

    /// <summary>The keys that become generated constants (every key but the directives), in order.</summary>
    public static readonly ImmutableArray<KeyDefinition> EmittedKeys = Keys.Where(k => k.Role != KeyRole.Directive).ToImmutableArray();

    /// <summary>Pixels per image and classes of each dataset the framework knows.</summary>
    public static (int Inputs, int Classes) DatasetShape(string dataset) => dataset switch
    {
        Mnist or FashionMnist => (784, 10),
        _ => (0, 0),
    };

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
