using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Models;

/// <summary>
/// A TorchSharp module that runs a <see cref="Network"/>: the model a checkpoint's <c>config.json</c> describes,
/// built from that description alone, so a checkpoint is used as it was trained even when its YAML file changed or is
/// gone. Each layer with state is registered under its <see cref="NetworkLayer.Name"/>, so its <c>state_dict()</c>
/// has the generated class's names and shapes (<c>conv1.weight</c>, <c>bn1.running_mean</c>, ...) and
/// <see cref="Checkpoints.ModelCheckpoint.LoadWeights"/> fills it; <c>forward</c> takes the steps in the order the
/// generated <c>forward</c> does, with the same TorchSharp calls, as the ONNX exporter writes them as nodes.
/// </summary>
public sealed class NetworkModel : nn.Module<Tensor, Tensor>
{
    private readonly List<(NetworkLayer Layer, nn.Module<Tensor, Tensor>? Module)> steps = [];

    /// <summary>Creates the network's layers with freshly initialised weights.</summary>
    /// <exception cref="ArgumentException">A layer kind this build does not know, or two layers with state share a name.</exception>
    public NetworkModel(Network network)
        : base(nameof(NetworkModel))
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        foreach (var layer in network.Layers)
        {
            var module = Create(layer);
            if (module is not null)
            {
                if (steps.Any(s => s.Module is not null && s.Layer.Name == layer.Name))
                {
                    throw new ArgumentException($"two layers of the network are named '{layer.Name}'", nameof(network));
                }

                register_module(layer.Name, module);
            }

            steps.Add((layer, module));
        }
    }

    /// <summary>The network this module runs.</summary>
    public Network Network { get; }

    /// <summary>Takes flat rows [batch, <see cref="Network.Features"/>] and returns logits, or probabilities when <see cref="Network.OutputSoftmax"/>.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);

        // Every intermediate is disposed with the scope; only the result leaves it.
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (layer, module) in steps)
        {
            x = module?.forward(x) ?? Apply(layer, x);
        }

        if (Network.OutputSoftmax)
        {
            x = nn.functional.softmax(x, 1);
        }

        // The identity (a network of dropout alone, say) would hand back the caller's own tensor: return a new handle.
        return (ReferenceEquals(x, input) ? x.alias() : x).MoveToOuterDisposeScope();
    }

    /// <summary>The module of a layer with state or a training behaviour, as the generated constructor creates it; null for a plain function of its input.</summary>
    private static nn.Module<Tensor, Tensor>? Create(NetworkLayer layer) => layer switch
    {
        LinearLayer linear => nn.Linear(linear.InFeatures, linear.OutFeatures, hasBias: linear.Bias),
        Conv2dLayer conv => nn.Conv2d(conv.InChannels, conv.OutChannels, conv.Kernel, stride: conv.Stride, padding: conv.Padding, bias: conv.Bias),
        BatchNormLayer { IsImage: true } norm => new BatchNorm2d(norm.Features, eps: norm.Epsilon, momentum: norm.Momentum),
        BatchNormLayer norm => new BatchNorm1d(norm.Features, eps: norm.Epsilon, momentum: norm.Momentum),
        DropoutLayer dropout => new Dropout(dropout.P),
        ActivationLayer activation when !Enum.IsDefined(activation.Function) => throw new ArgumentException($"layer '{layer.Name}' is the activation {activation.Function}, which this build cannot run", nameof(layer)),
        Pool2dLayer pool when !Enum.IsDefined(pool.Kind) => throw new ArgumentException($"layer '{layer.Name}' is the pooling {pool.Kind}, which this build cannot run", nameof(layer)),
        ReshapeLayer or Pool2dLayer or ActivationLayer or FlattenLayer => null,
        _ => throw new ArgumentException($"layer '{layer.Name}' is a {layer.GetType().Name}, which this build cannot run", nameof(layer)),
    };

    /// <summary>A step without state, as the generated <c>forward</c> writes it.</summary>
    private static Tensor Apply(NetworkLayer layer, Tensor x) => layer switch
    {
        ReshapeLayer reshape => x.reshape([-1, .. reshape.Shape.Select(d => (long)d)]),
        Pool2dLayer { Kind: PoolKind.Max } pool => nn.functional.max_pool2d(x, pool.Kernel, stride: pool.Stride, padding: pool.Padding),
        Pool2dLayer pool => nn.functional.avg_pool2d(x, pool.Kernel, stride: pool.Stride, padding: pool.Padding),
        ActivationLayer { Function: ActivationKind.Relu } => nn.functional.relu(x),
        ActivationLayer { Function: ActivationKind.Gelu } => nn.functional.gelu(x),
        ActivationLayer { Function: ActivationKind.Tanh } => nn.functional.tanh(x),
        ActivationLayer { Function: ActivationKind.Sigmoid } => nn.functional.sigmoid(x),
        FlattenLayer => x.flatten(1),
        _ => throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"layer '{layer.Name}' ({layer.GetType().Name}) has no step")),
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, module) in steps)
            {
                module?.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
