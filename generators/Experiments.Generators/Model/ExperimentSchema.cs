using System.Collections.Immutable;
using System.Linq;

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

    private static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The keys of an experiment file. The parser validates against this table and its messages quote it, so that
/// the rules live in one place.
/// </summary>
internal static class ExperimentSchema
{
    public const string Mnist = "mnist";
    public const string FashionMnist = "fashion-mnist";

    public static readonly KeyDefinition Description = new("description", ValueKind.Text, false, "", null, false, null, false, ImmutableArray<string>.Empty, "Free text shown by `list` and in results.");
    public static readonly KeyDefinition Dataset = new("dataset", ValueKind.Choice, false, Mnist, null, false, null, false, ImmutableArray.Create(Mnist, FashionMnist), "The dataset to train and evaluate on.");
    public static readonly KeyDefinition InputSize = new("inputSize", ValueKind.Integer, true, null, 1, false, 1_000_000, false, ImmutableArray<string>.Empty, "Inputs of the linear layer: the number of pixels per image (784 for 28x28).");
    public static readonly KeyDefinition NumClasses = new("numClasses", ValueKind.Integer, true, null, 2, false, 100_000, false, ImmutableArray<string>.Empty, "Outputs of the linear layer: the number of classes.");
    public static readonly KeyDefinition Epochs = new("epochs", ValueKind.Integer, true, null, 1, false, 100_000, false, ImmutableArray<string>.Empty, "Passes over the training set.");
    public static readonly KeyDefinition BatchSize = new("batchSize", ValueKind.Integer, true, null, 1, false, 1_000_000, false, ImmutableArray<string>.Empty, "Images per mini-batch (the last batch of an epoch may be smaller).");
    public static readonly KeyDefinition LearningRate = new("learningRate", ValueKind.Number, true, null, 0, true, null, false, ImmutableArray<string>.Empty, "Step size of the optimizer.");
    public const string Sgd = "sgd";
    public const string MomentumOptimizer = "momentum";

    /// <summary>The momentum factor <c>optimizer: momentum</c> uses when the file does not set <c>momentum</c>.</summary>
    public const double DefaultMomentum = 0.9;

    public static readonly KeyDefinition Optimizer = new("optimizer", ValueKind.Choice, false, Sgd, null, false, null, false, ImmutableArray.Create(Sgd, MomentumOptimizer), "The optimizer: 'sgd' (stochastic gradient descent) or 'momentum' (SGD with momentum).");
    public static readonly KeyDefinition Momentum = new("momentum", ValueKind.Number, false, "0", 0, false, 1, true, ImmutableArray<string>.Empty, "Momentum factor of SGD (heavy ball): default 0 with 'sgd', 0.9 with 'momentum'.");
    public static readonly KeyDefinition Seed = new("seed", ValueKind.Integer, false, "0", 0, false, null, false, ImmutableArray<string>.Empty, "Seeds the initial weights and the shuffles, so a run can be repeated exactly.");
    public static readonly KeyDefinition OutputActivation = new("outputActivation", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "softmax"), "What forward applies to the logits: 'none' (right for CrossEntropyLoss) or 'softmax' (the blog post's pitfall).");

    /// <summary>Every key, in the order documentation and generated code list them.</summary>
    public static readonly ImmutableArray<KeyDefinition> Keys = ImmutableArray.Create(
        Description, Dataset, InputSize, NumClasses, Epochs, BatchSize, LearningRate, Optimizer, Momentum, Seed, OutputActivation);

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
