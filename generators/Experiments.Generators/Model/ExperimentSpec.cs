namespace Experiments.Generators.Model;

/// <summary>
/// Everything the emitter needs to write one experiment, as plain values. Produced by the parser from one YAML
/// file; value equality lets the incremental pipeline skip re-emitting an experiment whose file did not change.
/// </summary>
internal sealed record ExperimentSpec
{
    /// <summary>The name on the command line and in results: the file name without extension.</summary>
    public required string Name { get; init; }

    /// <summary>The C# identifier every generated type of this experiment starts with, e.g. <c>SeedRecipe</c>.</summary>
    public required string TypePrefix { get; init; }

    /// <summary>The YAML file, relative to the folder that holds the experiments folder, with '/' separators.</summary>
    public required string SourceFile { get; init; }

    public required string Description { get; init; }

    public required string Dataset { get; init; }

    public required int InputSize { get; init; }

    public required int NumClasses { get; init; }

    public required int Epochs { get; init; }

    public required int BatchSize { get; init; }

    public required double LearningRate { get; init; }

    public required string Optimizer { get; init; }

    public required double Momentum { get; init; }

    public required long Seed { get; init; }

    public required string OutputActivation { get; init; }
}
