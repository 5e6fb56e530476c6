using System.Globalization;

namespace Experiments;

/// <summary>The optimizer that updates the model's parameters.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent; <see cref="ExperimentSettings.Momentum"/> may add heavy-ball momentum.</summary>
    Sgd,

    /// <summary>Stochastic gradient descent with heavy-ball momentum (<see cref="ExperimentSettings.Momentum"/> &gt; 0).</summary>
    Momentum,
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

/// <summary>The hyperparameters of one experiment, as typed values.</summary>
public sealed record ExperimentSettings
{
    public required int InputSize { get; init; }

    public required int NumClasses { get; init; }

    public required int Epochs { get; init; }

    public required int BatchSize { get; init; }

    public required double LearningRate { get; init; }

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>Momentum factor of SGD, in [0, 1); 0 disables it.</summary>
    public double Momentum { get; init; }

    /// <summary>Seeds the initial weights and the per-epoch shuffles.</summary>
    public long Seed { get; init; }

    public OutputActivation OutputActivation { get; init; } = OutputActivation.None;

    /// <summary>
    /// The hyperparameters as name/value pairs in a fixed order, for result tables and JSON. Values are
    /// <see cref="int"/>, <see cref="long"/>, <see cref="double"/> or <see cref="string"/>.
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
    ];

    /// <summary>Formats a hyperparameter value the same way on every machine (invariant culture).</summary>
    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
