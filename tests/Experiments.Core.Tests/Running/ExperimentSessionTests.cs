using Experiments.Core.Tests.Training;
using Experiments.Data;
using Experiments.Running;
using TorchSharp;

namespace Experiments.Core.Tests.Running;

public sealed class ExperimentSessionTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    [Fact]
    public void A_failing_experiment_becomes_a_failed_result_and_the_next_one_still_runs()
    {
        var session = new ExperimentSession(_ => mnist.Subset);
        var broken = session.Run(new ThrowingExperiment());
        var fine = session.Run(new TestExperiment(TestExperiment.BlogRecipe with { Epochs = 1 }));

        Assert.Equal(ExperimentStatus.Failed, broken.Status);
        Assert.Equal("broken", broken.Experiment);
        Assert.Contains("the model exploded", broken.Error, StringComparison.Ordinal);
        Assert.Equal(ExperimentStatus.Completed, fine.Status);
    }

    [Fact]
    public void A_dataset_that_cannot_be_loaded_fails_only_its_experiment_with_the_loader_message()
    {
        var session = new ExperimentSession(name => throw new DatasetNotFoundException(name, ["train-images-idx3-ubyte"], ["/nowhere"], $"dataset '{name}' not found in /nowhere"));
        var result = session.Run(new TestExperiment(TestExperiment.BlogRecipe));
        Assert.Equal(ExperimentStatus.Failed, result.Status);
        Assert.Equal("dataset 'mnist' not found in /nowhere", result.Error);
    }

    [Fact]
    public void Cancellation_is_not_swallowed()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var session = new ExperimentSession(_ => mnist.Subset);
        Assert.ThrowsAny<OperationCanceledException>(() => session.Run(new TestExperiment(TestExperiment.BlogRecipe), null, cancellation.Token));
    }

    private sealed class ThrowingExperiment : IExperiment
    {
        public string Name => "broken";

        public string Description => "";

        public string SourceFile => "broken.yaml";

        public string? ConfigurationSha256 => null;

        public IReadOnlyList<ExperimentFile> BuiltFiles => [];

        public string Dataset => "mnist";

        public ExperimentSettings Settings => TestExperiment.BlogRecipe;

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => throw new InvalidOperationException("the model exploded");

        public ExperimentResult Run(ExperimentContext context) => Experiments.Training.Trainer.Run(this, context);
    }
}
