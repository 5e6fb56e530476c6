using Experiments.Training;
using Spectre.Console.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Runner.Tests;

/// <summary>On a terminal the progress bar moves within an epoch; a log keeps one line per epoch.</summary>
public sealed class BatchProgressRunTests
{
    /// <summary>One linear layer that sleeps in each training step, so that an epoch lasts (as a CNN's does).</summary>
    private sealed class SlowLinear : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc1 = nn.Linear(784, 10);

        public SlowLinear()
            : base(nameof(SlowLinear)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            if (training)
            {
                Thread.Sleep(150);
            }

            return nn.functional.relu(fc1.forward(input)); // not affine: the autograd path, where batches are reported
        }
    }

    private sealed class SlowExperiment : IExperiment
    {
        public string Name => "slow-module";

        public string Description => "slow";

        public string SourceFile => "test";

        public string Dataset => "mnist";

        // 60,000 images in 10 batches of 6,000, 150 ms each: about 1.5 s, reported at most every 100 ms.
        public ExperimentSettings Settings { get; } = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 6000, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam };

        public nn.Module<Tensor, Tensor> CreateModel() => new SlowLinear();

        public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
    }

    [Fact]
    public void A_terminal_sees_batches_images_per_second_and_time_left_within_the_epoch()
    {
        using var results = new TemporaryDirectory();
        var console = new TestConsole().Width(250).Interactive();

        var exitCode = TestHost.Run(["run", "slow-module", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, [new SlowExperiment()]);

        Assert.True(exitCode == 0, console.Output);
        Assert.Matches(@"slow-module  epoch 1/1  batch \d+/10  \d+ img/s  \d+:\d\d left", console.Output);
    }

    [Fact]
    public void A_log_keeps_one_line_per_epoch()
    {
        using var results = new TemporaryDirectory();
        var console = new TestConsole().Width(250);

        var exitCode = TestHost.Run(["run", "slow-module", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, [new SlowExperiment()]);

        Assert.True(exitCode == 0, console.Output);
        Assert.DoesNotContain("img/s", console.Output, StringComparison.Ordinal);
        Assert.Single(console.Output.Split('\n'), line => line.Contains("epoch 1/1", StringComparison.Ordinal));
    }
}
