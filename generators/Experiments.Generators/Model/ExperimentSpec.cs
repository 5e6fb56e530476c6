namespace Experiments.Generators.Model;

/// <summary>
/// Everything the emitter needs to write one experiment, as plain values: produced from a file after
/// <c>extends</c> is followed and sweeps are expanded. Value equality lets the incremental pipeline skip
/// re-emitting an experiment whose inputs did not change.
/// </summary>
internal sealed record ExperimentSpec
{
    /// <summary>
    /// The name on the command line and in results: the file name without extension, followed for a sweep by the
    /// swept values, e.g. <c>lr-sweep/learningRate=0.01,batchSize=100</c>.
    /// </summary>
    public required string Name { get; init; }

    /// <summary>The C# identifier every generated type of this experiment starts with, e.g. <c>SeedRecipe</c>.</summary>
    public required string TypePrefix { get; init; }

    /// <summary>The C# prefix of the file that declares the experiment (of the sweep, for a member of one).</summary>
    public required string FileTypePrefix { get; init; }

    /// <summary>The YAML file, relative to the folder that holds the experiments folder, with '/' separators.</summary>
    public required string SourceFile { get; init; }

    /// <summary>For a member of a sweep, the name of the file that declares it (the sweep's name); otherwise null.</summary>
    public string? Sweep { get; init; }

    /// <summary>The files this one extends, nearest first, relative like <see cref="SourceFile"/>.</summary>
    public required EquatableArray<string> BaseFiles { get; init; }

    /// <summary>
    /// The description file of its dataset, as <see cref="DatasetSpec.SourceFile"/> names it (<c>datasets/mnist.yaml</c>):
    /// one of the files the build read for it (<c>IExperiment.BuiltFiles</c>).
    /// </summary>
    public required string DatasetFile { get; init; }

    /// <summary>The value of every emitted key (<see cref="ExperimentSchema.EmittedKeys"/>), canonical, in that order.</summary>
    public required EquatableArray<string> Values { get; init; }

    /// <summary>SHA-256 of the resolved configuration in canonical form (<see cref="ConfigurationHash.CanonicalForm"/>).</summary>
    public required string ConfigurationSha256 { get; init; }

    /// <summary>The model, with every shape inferred (a user module: as named, bound to its constructor later).</summary>
    public required ModelSpec Model { get; init; }

    /// <summary>
    /// The name of the generated model class, e.g. <c>CnnModel</c>: one class per distinct model of a file, so the
    /// members of a sweep that differ only in training keys share it. Null for a user module (its own class).
    /// </summary>
    public string? ModelType { get; init; }

    /// <summary>
    /// For a member of a sweep, the indexes (into <see cref="ExperimentSchema.EmittedKeys"/>) of the keys whose values
    /// are its own (the swept ones, and defaults that depend on them): only these are emitted per member, the rest
    /// once for the sweep (<see cref="SweepSpec"/>). Empty for an experiment that is not part of a sweep.
    /// </summary>
    public EquatableArray<int> MemberKeys { get; init; } = EquatableArray<int>.Empty;

    /// <summary>For a member of a sweep: whether its model differs from another member's (it then names its own).</summary>
    public bool OwnModel { get; init; }

    /// <summary>The canonical value of <paramref name="key"/>.</summary>
    public string Get(KeyDefinition key) => Values[ExperimentSchema.EmittedKeys.IndexOf(key)];
}
