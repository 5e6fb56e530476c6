using Experiments.Training;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>An experiment written in code (one <c>nn.Linear(784, 10)</c> on MNIST), for runs the shipped YAML files do not cover.</summary>
internal sealed class LinearTestExperiment(string name, ExperimentSettings settings) : IExperiment
{
    public string Name => name;

    public string Description => name;

    public string SourceFile => "test";

    public string Dataset => "mnist";

    public ExperimentSettings Settings => settings;

    public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(784, 10);

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
}
