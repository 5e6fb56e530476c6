using Experiments.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Prediction;

/// <summary>
/// <see cref="NetworkModel"/>: its state_dict has the layers' names and shapes, forward takes the steps in order,
/// and a network it cannot run is refused with the layer named. (That it computes what each generated forward does is
/// NetworkExportTests', on random stacks, and OnnxExportTests', on the shipped checkpoints.)
/// </summary>
public sealed class NetworkModelTests
{
    private static readonly Network Small = new(
        [1, 4, 4],
        [
            new ReshapeLayer("reshape", [1, 4, 4]),
            new Conv2dLayer("conv1", 1, 2, Kernel: 3, Stride: 1, Padding: 1, Bias: true),
            new BatchNormLayer("bn1", 2, IsImage: true, Epsilon: 1e-3, Momentum: 0.2),
            new ActivationLayer("relu1", ActivationKind.Relu),
            new Pool2dLayer("pool1", PoolKind.Max, Kernel: 2, Stride: 2, Padding: 0),
            new FlattenLayer("flatten1"),
            new DropoutLayer("dropout1", 0.5),
            new LinearLayer("fc1", 8, 3, Bias: false),
        ],
        OutputSoftmax: true);

    [Fact]
    public void The_state_dict_has_the_layers_names_and_shapes_and_batch_norm_its_constants()
    {
        // TorchSharp lists the parameters, then the buffers, as for the generated classes.
        using var model = new NetworkModel(Small);

        Assert.Equal(
            ["conv1.weight [2,1,3,3]", "conv1.bias [2]", "bn1.weight [2]", "bn1.bias [2]", "fc1.weight [3,8]", "bn1.running_mean [2]", "bn1.running_var [2]", "bn1.num_batches_tracked []"],
            model.state_dict().Select(p => $"{p.Key} [{string.Join(",", p.Value.shape)}]"));
        var norm = Assert.IsType<BatchNorm2d>(model.named_modules().Single(m => m.name == "bn1").module);
        Assert.Equal((1e-3, 0.2), (norm.eps, norm.momentum!.Value));
        Assert.Single(Dropout.AllIn(model));
    }

    [Fact]
    public void Forward_takes_flat_rows_and_returns_probabilities_when_the_network_ends_with_a_softmax()
    {
        using var model = new NetworkModel(Small);
        model.eval();
        using var scope = NewDisposeScope();

        var output = model.forward(randn(5, 16));

        Assert.Equal([5L, 3L], output.shape);
        Assert.All(output.sum(1).data<float>().ToArray(), s => Assert.Equal(1, s, 5));
    }

    [Fact]
    public void A_network_it_cannot_run_is_refused_naming_the_layer()
    {
        var unknown = Assert.Throws<ArgumentException>(() => new NetworkModel(Small with { Layers = [new ActivationLayer("act1", (ActivationKind)42)] }));
        var twice = Assert.Throws<ArgumentException>(() => new NetworkModel(Small with { Layers = [new LinearLayer("fc", 16, 4, true), new LinearLayer("fc", 4, 3, true)] }));

        Assert.Contains("layer 'act1' is the activation 42", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("two layers of the network are named 'fc'", twice.Message, StringComparison.Ordinal);
    }
}
