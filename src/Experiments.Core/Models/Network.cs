namespace Experiments.Models;

/// <summary>
/// A declared model's forward pass as data: every step <c>forward</c> takes, in order, with everything it computes
/// and the name its tensors have in <c>state_dict()</c>. The source generator emits it beside each model class it
/// writes from YAML (linear, <c>mlp</c>, <c>layers</c>), a checkpoint's <c>config.json</c> keeps it, and the ONNX
/// exporter builds its graph from it, so an export needs neither the YAML nor the generated class. A user module
/// (<c>model: {class: ...}</c>) has none.
/// </summary>
/// <param name="InputShape">The shape of one example as the dataset gives it (MNIST: 1, 28, 28).</param>
/// <param name="Layers">
/// The steps in forward order. The model receives each example flattened, [batch, product of
/// <paramref name="InputShape"/>]; a <see cref="ReshapeLayer"/> first makes images of them when the layers need them.
/// </param>
/// <param name="OutputSoftmax">
/// Whether <c>forward</c> ends with a softmax over the classes (<c>outputActivation: softmax</c>): then the model
/// returns probabilities, else logits.
/// </param>
public sealed record Network(IReadOnlyList<int> InputShape, IReadOnlyList<NetworkLayer> Layers, bool OutputSoftmax)
{
    /// <summary>Values per example: the product of <see cref="InputShape"/>.</summary>
    public int Features => InputShape.Aggregate(1, (a, b) => a * b);
}

/// <summary>One step of a <see cref="Network"/>.</summary>
/// <param name="Name">
/// The layer's field in the model and so the prefix of its tensors in <c>state_dict()</c> (<c>conv1</c> for
/// <c>conv1.weight</c>), or for a step without state the name of the step (<c>relu1</c>, <c>pool1</c>).
/// </param>
public abstract record NetworkLayer(string Name);

/// <summary><c>input.reshape(-1, shape...)</c>: the flat rows the model receives, as images.</summary>
public sealed record ReshapeLayer(string Name, IReadOnlyList<int> Shape) : NetworkLayer(Name);

/// <summary><c>nn.Linear</c>: <c>x W^T + b</c>, with <c>NAME.weight</c> [out, in] and, with a bias, <c>NAME.bias</c> [out].</summary>
public sealed record LinearLayer(string Name, int InFeatures, int OutFeatures, bool Bias) : NetworkLayer(Name);

/// <summary>
/// <c>nn.Conv2d</c> with a square kernel, the same stride and zero padding on both axes: <c>NAME.weight</c>
/// [out, in, kernel, kernel] and, with a bias, <c>NAME.bias</c> [out].
/// </summary>
public sealed record Conv2dLayer(string Name, int InChannels, int OutChannels, int Kernel, int Stride, int Padding, bool Bias) : NetworkLayer(Name);

/// <summary>How a <see cref="Pool2dLayer"/> summarises its window.</summary>
public enum PoolKind
{
    /// <summary><c>max_pool2d</c>: the largest value (padding never wins).</summary>
    Max,

    /// <summary><c>avg_pool2d</c>: the mean, padding counted as zeros (PyTorch's <c>count_include_pad=True</c>).</summary>
    Average,
}

/// <summary><c>max_pool2d</c> or <c>avg_pool2d</c> with a square window (floor mode, as PyTorch's default).</summary>
public sealed record Pool2dLayer(string Name, PoolKind Kind, int Kernel, int Stride, int Padding) : NetworkLayer(Name);

/// <summary>
/// <see cref="BatchNorm1d"/> over the features of rows or <see cref="BatchNorm2d"/> over the channels of images. In
/// evaluation mode <c>(x - NAME.running_mean) / sqrt(NAME.running_var + Epsilon) * NAME.weight + NAME.bias</c>;
/// <see cref="Momentum"/> only matters in training.
/// </summary>
public sealed record BatchNormLayer(string Name, int Features, bool IsImage, double Epsilon, double Momentum) : NetworkLayer(Name);

/// <summary>The element-wise functions an <see cref="ActivationLayer"/> applies.</summary>
public enum ActivationKind
{
    /// <summary>max(0, x).</summary>
    Relu,

    /// <summary>The exact GELU, x * Φ(x) = 0.5 x (1 + erf(x / √2)) (PyTorch's default, not the tanh approximation).</summary>
    Gelu,

    /// <summary>The hyperbolic tangent.</summary>
    Tanh,

    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
}

/// <summary>An element-wise activation function.</summary>
public sealed record ActivationLayer(string Name, ActivationKind Function) : NetworkLayer(Name);

/// <summary>Dropout with probability <see cref="P"/> in training; the identity in evaluation mode, and so in an export.</summary>
public sealed record DropoutLayer(string Name, double P) : NetworkLayer(Name);

/// <summary><c>x.flatten(1)</c>: every dimension after the batch's into one.</summary>
public sealed record FlattenLayer(string Name) : NetworkLayer(Name);
