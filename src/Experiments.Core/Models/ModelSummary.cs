namespace Experiments.Models;

/// <summary>How an experiment's model is described in its YAML file.</summary>
public enum ModelKind
{
    /// <summary>One linear layer from the inputs to the classes (multinomial logistic regression): no <c>model</c> key.</summary>
    Linear,

    /// <summary>A multi-layer perceptron: <c>model: {mlp: {hidden: [...], ...}}</c>.</summary>
    Mlp,

    /// <summary>A list of layers: <c>model: {layers: [...]}</c>.</summary>
    Layers,

    /// <summary>The user's own <c>nn.Module&lt;Tensor, Tensor&gt;</c>: <c>model: {class: ..., args: {...}}</c>.</summary>
    Module,
}

/// <summary>One layer of a model: what the layer table of <c>show</c> and the HTML report lists.</summary>
/// <param name="Name">The layer's field name in the model (<c>conv1</c>, <c>fc2</c>), or its module path for a user module.</param>
/// <param name="Type">The layer as written in YAML (<c>conv2d 32 3x3</c>, <c>relu</c>), or the module's type name.</param>
/// <param name="OutputShape">The shape one example has after the layer, without the batch dimension; null when unknown.</param>
/// <param name="Parameters">The layer's own trainable parameters.</param>
public sealed record LayerSummary(string Name, string Type, IReadOnlyList<int>? OutputShape, long Parameters);

/// <summary>
/// A model's architecture: for generated models computed by the source generator at build time (the shapes and the
/// parameter count are constants of the generated code), for a user module measured from the module at run time.
/// </summary>
/// <param name="Kind">How the YAML file describes the model.</param>
/// <param name="Architecture">One line for tables, e.g. <c>mlp 784-256-10 relu</c> or <c>conv(32)-pool-conv(64)-pool-fc(128)-fc(10)</c>.</param>
/// <param name="InputShape">The shape of one example as the dataset gives it (MNIST: 1, 28, 28). The model receives it flattened, [batch, product].</param>
/// <param name="Layers">The layers in forward order; empty when not known before the model exists (a user module).</param>
/// <param name="ParameterCount">Trainable parameters of the whole model; -1 when not known before the model exists.</param>
public sealed record ModelSummary(ModelKind Kind, string Architecture, IReadOnlyList<int> InputShape, IReadOnlyList<LayerSummary> Layers, long ParameterCount)
{
    /// <summary>The summary of one linear layer from <paramref name="inputs"/> to <paramref name="classes"/>.</summary>
    public static ModelSummary Linear(int inputs, int classes) => new(
        ModelKind.Linear,
        FormattableString.Invariant($"linear {inputs}-{classes}"),
        [inputs],
        [new LayerSummary("linear", FormattableString.Invariant($"linear {classes}"), [classes], ((long)inputs * classes) + classes)],
        ((long)inputs * classes) + classes);
}
