using Experiments.Training;
using TorchSharp;

namespace Experiments.Bench;

/// <summary>
/// An experiment defined in code, shaped like the generated ones (one <c>nn.Linear</c> returning logits), so the
/// bench and the search can train recipes that have no YAML file (yet).
/// </summary>
internal sealed class LinearExperiment(string name, ExperimentSettings settings, string dataset = "mnist") : IExperiment
{
    public string Name => name;

    public string Description => name;

    public string SourceFile => "(bench)";

    public string? ConfigurationSha256 => null;

    public IReadOnlyList<ExperimentFile> BuiltFiles => [];

    public string Dataset => dataset;

    public ExperimentSettings Settings => settings;

    public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(settings.InputSize, settings.NumClasses);

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
}
