using Experiments.Training;
using TorchSharp;

namespace Experiments.Core.Tests.Training;

/// <summary>A hand-written experiment, as the generator would write one, for tests of the runtime.</summary>
internal sealed class TestExperiment(ExperimentSettings settings, string dataset = "mnist", string name = "test", string? sweep = null) : IExperiment
{
    public static ExperimentSettings BlogRecipe { get; } = new()
    {
        InputSize = 784,
        NumClasses = 10,
        Epochs = 5,
        BatchSize = 100,
        LearningRate = 0.001,
    };

    public string Name => name;

    public string Description => "test";

    public string? Sweep => sweep;

    public string SourceFile => "test.yaml";

    public string? ConfigurationSha256 => null;

    public IReadOnlyList<ExperimentFile> BuiltFiles => [];

    public string Dataset => dataset;

    public ExperimentSettings Settings => settings;

    public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(settings.InputSize, settings.NumClasses);

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
}
