using Experiments.Core.Tests.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// Training as the shipped models train, once with TorchSharp's batch norm and optimizer and once with the
/// framework's (Experiments.Models.BatchNorm1d/2d, Experiments.Training.Optimizers): the same weights, statistics and
/// outputs, bit for bit, so the shipped accuracies (cnn's 99.14%, ...) do not move.
/// </summary>
[Collection(AloneWithTorchSharp.Name)]
public sealed class KeptScalarTrainingTests
{
    [Theory]
    [InlineData("cnn", "adamw weight decay")]
    [InlineData("mlp", "adam")]
    [InlineData("mlp", "nesterov weight decay")]
    public void A_batch_normalized_network_trains_to_the_bits_of_TorchSharps_modules_and_optimizer(string model, string optimizer)
    {
        var (expectedState, expectedOutput) = Train(model, optimizer, torchSharps: true);
        var (actualState, actualOutput) = Train(model, optimizer, torchSharps: false);

        Assert.Equal(expectedState.Keys, actualState.Keys);
        Assert.All(expectedState.Keys, key => Assert.True(TensorBits.Same(expectedState[key], actualState[key]), $"{key} differs"));
        Assert.True(TensorBits.Same(expectedOutput, actualOutput), "the evaluation outputs differ");
        Assert.Equal(12L, actualState[model == "cnn" ? "bn2.num_batches_tracked" : "bn1.num_batches_tracked"].item<long>());
    }

    /// <summary>12 steps on random images with a rate and β1 or momentum that change every step; the state and an evaluation output.</summary>
    private static (Dictionary<string, Tensor> State, Tensor Output) Train(string kind, string options, bool torchSharps)
    {
        nn.Module<Tensor, Tensor> model;
        lock (Experiments.Training.Trainer.SeedLock)
        {
            random.manual_seed(4);
            model = kind == "cnn" ? new CheckpointModels.CnnModel(torchSharps) : new Mlp(torchSharps);
        }

        using (model)
        {
            var (theirs, ours) = KeptScalarOptimizerTests.Options[options];
            var parameters = model.parameters().ToList();
            using var optimizer = torchSharps ? theirs(parameters) : ours(parameters);
            using var generator = new Generator(8);
            for (var step = 0; step < 12; step++)
            {
                using var scope = NewDisposeScope();
                var images = rand([32, 784], generator: generator);
                var labels = randint(0, 10, [32], generator: generator);
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = group.InitialLearningRate * (1 + Math.Sin(step));
                    switch (group)
                    {
                        case optim.IBetas betas:
                            betas.Betas = (0.9 - (0.005 * step), betas.Betas.Item2);
                            break;
                        case optim.IMomentum sgd:
                            sgd.Momentum = 0.9 - (0.005 * step);
                            break;
                    }
                }

                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(images), labels).backward();
                optimizer.step();
            }

            model.eval();
            using var noGrad = no_grad();
            var output = model.call(rand([8, 784], generator: generator)).DetachFromDisposeScope();
            return (model.state_dict().ToDictionary(e => e.Key, e => e.Value.detach().clone().DetachFromDisposeScope()), output);
        }
    }

    /// <summary>An MLP with batch norm over its hidden features, with either batch norm.</summary>
    private sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc1;
        private readonly nn.Module<Tensor, Tensor> bn1;
        private readonly Linear fc2;

        public Mlp(bool torchSharps)
            : base(nameof(Mlp))
        {
            fc1 = nn.Linear(784, 32);
            bn1 = torchSharps ? nn.BatchNorm1d(32) : new Experiments.Models.BatchNorm1d(32);
            fc2 = nn.Linear(32, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc2.forward(nn.functional.relu(bn1.forward(fc1.forward(input))));
    }
}
