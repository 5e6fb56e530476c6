using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>
    /// Measures <paramref name="model"/>: its named children in registration order (which is forward order for the
    /// generated models and most hand-written ones) with their type names, trainable parameters and, from one forward
    /// pass of a zero example shaped [1, product of <paramref name="inputShape"/>] (flat, as the trainer feeds the model)
    /// with forward hooks on the children, the shape each child's output has without the batch dimension (null for a
    /// child that did not run, or whose output is not a tensor). The pass runs in evaluation mode under
    /// <c>no_grad</c>, so batch norm's running statistics do not move; the model's mode is restored. The parameter
    /// count is that of the whole model (parameters registered on the model itself included).
    /// </summary>
    public static ModelSummary Measure(nn.Module<Tensor, Tensor> model, IReadOnlyList<int> inputShape, ModelKind kind = ModelKind.Module, string? architecture = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        var children = model.named_children().ToList();
        var shapes = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        var removers = new List<Action>();
        var wasTraining = model.training;
        try
        {
            foreach (var (name, child) in children)
            {
                if (child is nn.Module<Tensor, Tensor> tensorModule)
                {
                    var childName = name;
                    var remover = tensorModule.register_forward_hook((_, _, output) =>
                    {
                        // The first call wins (a child used twice keeps its first output's shape).
                        if (output is not null && !shapes.ContainsKey(childName))
                        {
                            shapes[childName] = output.shape.Skip(1).Select(d => (int)d).ToArray();
                        }

                        return output!;
                    });
                    removers.Add(remover.remove);
                }
            }

            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = model.parameters().FirstOrDefault()?.device;
            var size = inputShape.Aggregate(1L, (product, d) => product * d);
            var probe = zeros(1, size, device: device);
            try
            {
                model.forward(probe);
            }
            catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException)
            {
                // A model that cannot run on a zero example (it wants another shape): no shapes, counts still right.
                shapes.Clear();
            }
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }

            if (wasTraining)
            {
                model.train();
            }
        }

        var layers = children
            .Select(c => new LayerSummary(c.name, c.module.GetType().Name, shapes.GetValueOrDefault(c.name), c.module.parameters().Sum(p => p.numel())))
            .ToList();
        var total = model.parameters().Sum(p => p.numel());
        var line = architecture ?? model.GetType().Name + " (" + string.Join("-", layers.Select(l => l.Name)) + ")";
        return new ModelSummary(kind, line, inputShape.ToArray(), layers, total);
    }
}
