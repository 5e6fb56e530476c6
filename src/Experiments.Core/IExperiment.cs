using TorchSharp;

namespace Experiments;

/// <summary>
/// One experiment: a model, the data it trains on and how it trains. The source generator emits one
/// implementation per YAML file under <c>experiments/</c>; the runner only ever sees this interface.
/// </summary>
public interface IExperiment
{
    /// <summary>The name used on the command line and in results, e.g. <c>seed-recipe</c> (the file name).</summary>
    string Name { get; }

    /// <summary>Free text from the YAML file's <c>description</c> key, or an empty string.</summary>
    string Description { get; }

    /// <summary>The YAML file the experiment was generated from, relative to the project that generated it.</summary>
    string SourceFile { get; }

    /// <summary>
    /// For one combination of a sweep (a YAML file whose keys hold lists), the sweep's name (the file name);
    /// null for an experiment that is not part of a sweep. The runner selects and groups a sweep's members by it.
    /// </summary>
    string? Sweep => null;

    /// <summary>
    /// SHA-256 (lower-case hex) of the experiment's configuration as built: every key's canonical value after
    /// <c>extends</c> and sweeps are resolved, in the canonical form the README's "run history" section describes.
    /// A comment or whitespace edit keeps it, a changed value (in this file or a file it extends) changes it. The
    /// run history records it. Null (the default) for an experiment that was not generated from YAML.
    /// </summary>
    string? ConfigurationSha256 => null;

    /// <summary>
    /// The YAML files as the build read them: <see cref="SourceFile"/> first, then the files it extends, nearest
    /// first. Empty (the default) for an experiment that was not generated from YAML.
    /// </summary>
    IReadOnlyList<ExperimentFile> BuiltFiles => [];

    /// <summary>The dataset the experiment trains and evaluates on, e.g. <c>mnist</c>.</summary>
    string Dataset { get; }

    /// <summary>Everything that decides how the model is built and trained.</summary>
    ExperimentSettings Settings { get; }

    /// <summary>
    /// The model's architecture as the build knows it: layers, output shapes and parameter count for generated models
    /// (computed by the generator); for a user module only its kind, type and input shape (the trainer measures the
    /// rest). The default describes one linear layer from <see cref="ExperimentSettings.InputSize"/> inputs.
    /// </summary>
    Models.ModelSummary Architecture => Models.ModelSummary.Linear(Settings.InputSize, Settings.NumClasses);

    /// <summary>
    /// The forward pass as data (<see cref="Models.Network"/>) for a model declared in YAML (linear, <c>mlp</c>,
    /// <c>layers</c>): the generator emits it beside the model class, a checkpoint keeps it, and the ONNX export is
    /// built from it. Null (the default) for a user module or a hand-written experiment: such a model cannot be exported.
    /// </summary>
    Models.Network? Network => null;

    /// <summary>
    /// What a result depends on in code besides the runtime: the generator's build and, for a user module, the
    /// SHA-256 of the source files that declare it. The run cache compares it; null for an experiment not generated
    /// from YAML (never cached).
    /// </summary>
    string? CodeFingerprint => null;

    /// <summary>Creates a fresh, untrained model.</summary>
    torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel();

    /// <summary>Trains a fresh model on <see cref="ExperimentContext.Data"/> and evaluates it on the test split.</summary>
    ExperimentResult Run(ExperimentContext context);
}
