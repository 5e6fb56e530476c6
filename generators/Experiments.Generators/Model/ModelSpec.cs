using System.Globalization;
using System.Linq;

namespace Experiments.Generators.Model;

/// <summary>
/// An experiment's model as plain values, one record per kind: what the emitter writes a model class from. Equal
/// specs make one class, so the members of a sweep that differ only in training keys share their model.
/// </summary>
internal abstract record ModelSpec
{
    /// <summary>The runtime's <c>Experiments.Models.ModelKind</c> member: <c>Linear</c>, <c>Mlp</c>, <c>Layers</c> or <c>Module</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>One line for tables, e.g. <c>mlp 784-256-10 relu</c>.</summary>
    public abstract string Architecture { get; }

    /// <summary>The shape of one example as the dataset gives it, e.g. [1, 28, 28].</summary>
    public abstract EquatableArray<int> InputShape { get; }

    /// <summary>Whether <c>forward</c> ends with a softmax (<c>outputActivation: softmax</c>, the blog post's pitfall).</summary>
    public bool Softmax { get; init; }

    /// <summary>The canonical text the configuration hash and the sweep names use.</summary>
    public abstract string Canonical { get; }

    protected static string Shape(EquatableArray<int> shape) => "[" + string.Join(", ", shape.Select(Invariant)) + "]";

    protected static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A stack of layers with every shape inferred: a <c>model: {layers: [...]}</c> or <c>model: {mlp: {...}}</c>.</summary>
/// <param name="IsMlp">Whether the file declared it as <c>mlp</c> (the layers are then the generator's expansion).</param>
/// <param name="Input">The shape of one example as the dataset gives it.</param>
/// <param name="Layers">Every layer in forward order, with the shape it outputs.</param>
/// <param name="Description">The architecture line.</param>
internal sealed record LayerStackSpec(bool IsMlp, EquatableArray<int> Input, EquatableArray<LayerSpec> Layers, string Description) : ModelSpec
{
    public override string Kind => IsMlp ? "Mlp" : "Layers";

    public override string Architecture => Description;

    public override EquatableArray<int> InputShape => Input;

    /// <summary>Trainable parameters of the whole stack, as TorchSharp counts them.</summary>
    public long ParameterCount => Layers.Sum(l => l.Parameters);

    public override string Canonical =>
        (IsMlp ? "mlp" : "layers") + Shape(Input) + ":" + string.Join(";", Layers.Select(l => l.Canonical)) + (Softmax ? ";softmax" : string.Empty);
}

/// <summary>One linear layer from the inputs to the classes: the model of a file without a <c>model</c> key.</summary>
internal sealed record LinearModelSpec(int Inputs, int Classes, EquatableArray<int> Input) : ModelSpec
{
    public override string Kind => "Linear";

    public override string Architecture => "linear " + Invariant(Inputs) + "-" + Invariant(Classes);

    public override EquatableArray<int> InputShape => Input;

    public long ParameterCount => ((long)Inputs * Classes) + Classes;

    public override string Canonical => "linear" + Shape(Input) + ":" + Invariant(Inputs) + "-" + Invariant(Classes) + (Softmax ? ";softmax" : string.Empty);
}

/// <summary>
/// The user's own module, as the file names it (<c>model: {class: ..., args: {...}}</c>), before the compilation
/// is read: <see cref="Bound"/> is null until the binder has checked it against the type's constructors.
/// </summary>
/// <param name="Model">The <c>model</c> mapping as written (after <c>extends</c> and the sweep's substitutions).</param>
/// <param name="ClassName">The value of <c>class</c>, as written.</param>
/// <param name="Input">The shape of one example as the dataset gives it.</param>
/// <param name="Text">The canonical text of <paramref name="Model"/>.</param>
internal sealed record ModuleModelSpec(YamlMap Model, string ClassName, EquatableArray<int> Input, string Text) : ModelSpec
{
    public override string Kind => "Module";

    public override string Architecture => Bound is { } bound ? ShortName(bound.TypeName) : ClassName;

    public override EquatableArray<int> InputShape => Input;

    /// <summary>The class and arguments as bound (one spelling, whatever the file wrote), or as written before binding.</summary>
    public override string Canonical => "module" + Shape(Input) + ":" + (Bound?.Canonical ?? Text);

    /// <summary>The constructor call the binder checked; null before binding or when binding failed.</summary>
    public Modules.BoundModule? Bound { get; init; }

    private static string ShortName(string typeName) => typeName.Substring(typeName.LastIndexOf('.') + 1);
}

/// <summary>The functions an activation layer applies.</summary>
internal enum ActivationFunction
{
    Relu,
    Gelu,
    Tanh,
    Sigmoid,
}

/// <summary>One layer of a stack, with its field (or step) name and the shape one example has after it.</summary>
internal abstract record LayerSpec
{
    /// <summary>The name of the layer's field (<c>conv1</c>, <c>fc2</c>) or, for a layer without one, of its step (<c>relu1</c>).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The shape one example has after this layer.</summary>
    public EquatableArray<int> OutputShape { get; init; } = EquatableArray<int>.Empty;

    /// <summary>The layer's trainable parameters.</summary>
    public virtual long Parameters => 0;

    /// <summary>Whether the layer is a field of the model (it has parameters or state), not a function call.</summary>
    public virtual bool IsField => false;

    /// <summary>The layer as the layer table shows it: <c>conv2d 32 3x3</c>.</summary>
    public abstract string Display { get; }

    /// <summary>The canonical text of the layer's arguments, for hashing.</summary>
    public abstract string Canonical { get; }

    protected static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}

internal sealed record LinearLayerSpec(int InFeatures, int OutFeatures, bool Bias) : LayerSpec
{
    public override long Parameters => ((long)InFeatures * OutFeatures) + (Bias ? OutFeatures : 0);

    public override bool IsField => true;

    public override string Display => "linear " + I(OutFeatures) + (Bias ? string.Empty : " no bias");

    public override string Canonical => "linear(" + I(InFeatures) + "," + I(OutFeatures) + "," + (Bias ? "bias" : "nobias") + ")";
}

internal sealed record Conv2dLayerSpec(int InChannels, int OutChannels, int Kernel, int Stride, int Padding, bool Bias) : LayerSpec
{
    public override long Parameters => ((long)OutChannels * InChannels * Kernel * Kernel) + (Bias ? OutChannels : 0);

    public override bool IsField => true;

    public override string Display =>
        "conv2d " + I(OutChannels) + " " + I(Kernel) + "x" + I(Kernel)
        + (Stride == 1 ? string.Empty : " stride " + I(Stride))
        + (Padding == 0 ? string.Empty : " padding " + I(Padding))
        + (Bias ? string.Empty : " no bias");

    public override string Canonical => "conv2d(" + I(InChannels) + "," + I(OutChannels) + "," + I(Kernel) + "," + I(Stride) + "," + I(Padding) + "," + (Bias ? "bias" : "nobias") + ")";
}

internal sealed record Pool2dLayerSpec(bool IsMax, int Kernel, int Stride, int Padding) : LayerSpec
{
    public override string Display =>
        (IsMax ? "maxpool2d " : "avgpool2d ") + I(Kernel) + "x" + I(Kernel)
        + (Stride == Kernel ? string.Empty : " stride " + I(Stride))
        + (Padding == 0 ? string.Empty : " padding " + I(Padding));

    public override string Canonical => (IsMax ? "maxpool2d(" : "avgpool2d(") + I(Kernel) + "," + I(Stride) + "," + I(Padding) + ")";
}

internal sealed record FlattenLayerSpec : LayerSpec
{
    public override string Display => "flatten";

    public override string Canonical => "flatten";
}

internal sealed record ActivationLayerSpec(ActivationFunction Function) : LayerSpec
{
    public override string Display => Function.ToString().ToLowerInvariant();

    public override string Canonical => Display;
}

internal sealed record DropoutLayerSpec(double P) : LayerSpec
{
    public override bool IsField => true;

    public override string Display => "dropout " + P.ToString("R", CultureInfo.InvariantCulture);

    public override string Canonical => "dropout(" + P.ToString("R", CultureInfo.InvariantCulture) + ")";
}

/// <summary>Batch normalization over the features of a flat input (<c>batchnorm1d</c>) or the channels of an image (<c>batchnorm2d</c>).</summary>
internal sealed record BatchNormLayerSpec(int Features, bool IsImage) : LayerSpec
{
    /// <summary>The epsilon added to the variance (PyTorch's default): the generated <c>new BatchNorm1d/2d(...)</c> (<c>Experiments.Models</c>) and the model's <c>Network</c> both take it from here.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>The running statistics' momentum (PyTorch's default): the generated constructor call and the <c>Network</c> both take it from here.</summary>
    public const double Momentum = 0.1;

    /// <summary>The scale and shift of each feature (the running statistics are buffers, not parameters).</summary>
    public override long Parameters => 2L * Features;

    public override bool IsField => true;

    public override string Display => IsImage ? "batchnorm2d" : "batchnorm1d";

    public override string Canonical => Display + "(" + I(Features) + ")";
}
