using Experiments.Data;
using Experiments.Models;
using Experiments.Training;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The trainer while another thread collects garbage all the time (<see cref="GcPressure"/>): tiny experiments of
/// each kind of model, trained again and again for a few seconds each. Any Scalar that the library or TorchSharp
/// lets the finalizer free while libtorch reads it fails a run within seconds (see Experiments.Torch.Scalars):
/// libtorch then reads a freed value ("For integral input tensors, argument alpha must not be a floating point
/// number", a failed check in an optimizer step, or a crash).
/// </summary>
/// <remarks>
/// The models and optimizers are the trainer's own choice (NetworkModel's layers, OptimizerFactory's optimizers), so
/// the Adam, AdamW and batch-norm kinds test whatever those create. With the library's code as it was, the fused SGD
/// kind failed here within a second (AffineSgd's add_ alphas, the evaluation's confusion counts) on a machine busy
/// with other work, as CI's is; on an idle one the collecting thread starves the training so much that few calls
/// happen under pressure, and such a failure may take longer than this test runs.
/// </remarks>
[Collection(AloneWithTorchSharp.Name)]
public sealed class GcPressureTrainingTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    /// <summary>How long each kind trains under pressure (after a first run without): 5 kinds, about 20 s in all.</summary>
    private static readonly TimeSpan PerKind = TimeSpan.FromSeconds(3);

    private static readonly ExperimentSettings Tiny = TestExperiment.BlogRecipe with { Epochs = 2, BatchSize = 10, Seed = 3 };

    /// <summary>An MLP as the generator declares one: linear, relu, dropout, linear.</summary>
    private static readonly Network Mlp = new(
        [1, 28, 28],
        [
            new LinearLayer("fc1", InFeatures: 784, OutFeatures: 32, Bias: true),
            new ActivationLayer("relu1", ActivationKind.Relu),
            new DropoutLayer("dropout1", P: 0.2),
            new LinearLayer("fc2", InFeatures: 32, OutFeatures: 10, Bias: true),
        ],
        OutputSoftmax: false);

    /// <summary>A CNN as the generator declares one: convolution, batch norm, relu, max pooling, linear.</summary>
    private static readonly Network Cnn = new(
        [1, 28, 28],
        [
            new ReshapeLayer("reshape", [1, 28, 28]),
            new Conv2dLayer("conv1", InChannels: 1, OutChannels: 4, Kernel: 3, Stride: 2, Padding: 1, Bias: true),
            new BatchNormLayer("bn1", Features: 4, IsImage: true, Epsilon: 1e-5, Momentum: 0.1),
            new ActivationLayer("relu1", ActivationKind.Relu),
            new Pool2dLayer("pool1", PoolKind.Max, Kernel: 2, Stride: 2, Padding: 0),
            new FlattenLayer("flatten1"),
            new LinearLayer("fc1", InFeatures: 4 * 7 * 7, OutFeatures: 10, Bias: true),
        ],
        OutputSoftmax: false);

    public static TheoryData<string> Kinds => new(ByKind.Keys);

    /// <summary>
    /// Each way the trainer trains: the affine fast path's fused SGD step (with momentum, Nesterov, weight decay,
    /// standardized and deskewed inputs, a validation split), full-batch L-BFGS on the affine path and through
    /// autograd, and the managed optimizers through autograd, with dropout and with batch normalization.
    /// </summary>
    private static readonly Dictionary<string, IExperiment> ByKind = new()
    {
        ["linear, fused SGD"] = new TestExperiment(Tiny with
        {
            LearningRate = 0.1,
            Optimizer = OptimizerKind.Momentum,
            Momentum = 0.9,
            Nesterov = true,
            WeightDecay = 1e-4,
            LrSchedule = LearningRateSchedule.Cosine,
            Normalize = InputNormalization.Standardize,
            Deskew = true,
            ValidationSplit = 0.1,
        }),
        ["linear, L-BFGS"] = new TestExperiment(Tiny with { LearningRate = 1, Optimizer = OptimizerKind.Lbfgs, WeightDecay = 1e-4, Epochs = 4 }),
        ["mlp with dropout, L-BFGS"] = new ModuleExperiment(Tiny with { LearningRate = 1, Optimizer = OptimizerKind.Lbfgs, WeightDecay = 1e-4, Epochs = 4 }, () => new NetworkModel(Mlp)),
        ["mlp with dropout, Adam"] = new ModuleExperiment(Tiny with { LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, WeightDecay = 1e-4 }, () => new NetworkModel(Mlp)),
        ["cnn with batch norm, AdamW"] = new ModuleExperiment(Tiny with { LearningRate = 3e-3, Optimizer = OptimizerKind.AdamW, WeightDecay = 1e-4 }, () => new NetworkModel(Cnn)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Training_completes_while_another_thread_collects_garbage(string kind)
    {
        var experiment = ByKind[kind];
        using var data = Slice(mnist.Subset, train: 400, test: 200);
        // A first run without pressure: the reference (and the JIT's and libtorch's warm-up, outside the timed runs).
        var expected = experiment.Run(new ExperimentContext(data));
        Assert.Equal(ExperimentStatus.Completed, expected.Status);
        Assert.InRange(expected.Test!.Accuracy, 20, 100); // it learned something: better than guessing one of 10 classes

        // The collecting thread starves this one, sometimes a thousandfold (a run of 20 ms can take 20 s): so the
        // pressure stops when the time is up, and the run then in progress finishes without it.
        using var pressure = new GcPressure();
        using var timeUp = new Timer(_ => pressure.Dispose(), null, PerKind, Timeout.InfiniteTimeSpan);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < PerKind)
        {
            var result = experiment.Run(new ExperimentContext(data));
            Assert.Equal(ExperimentStatus.Completed, result.Status);
            // Seeded: every run computes the same numbers, so a Scalar read after it was freed shows here too.
            Assert.Equal(expected.Test.Accuracy, result.Test!.Accuracy);
            Assert.Equal(expected.Test.Loss, result.Test.Loss);
        }

        Assert.True(pressure.Collections > 0, "the pressure thread forced no garbage collection");
    }

    private static Dataset Slice(Dataset data, int train, int test) => new(
        data.Description,
        new DataSplit(data.Train.Inputs.narrow(0, 0, train).clone(), data.Train.Labels.narrow(0, 0, train).clone()),
        new DataSplit(data.Test.Inputs.narrow(0, 0, test).clone(), data.Test.Labels.narrow(0, 0, test).clone()),
        data.ContentKey);
}
