using System.Globalization;
using System.Linq;
using Experiments.Generators.Model;

namespace Experiments.Generators.Emitting;

/// <summary>
/// Writes model classes: fields named by layer, <c>RegisterComponents()</c>, and a <c>forward</c> written out as
/// straight-line code with each tensor's shape in a comment, which is what a user steps through in the debugger.
/// </summary>
internal static class ModelEmitter
{
    /// <summary>The generator's build: its assembly's version and module id (a content hash, the build being deterministic).</summary>
    public static readonly string GeneratorBuild =
        typeof(ModelEmitter).Assembly.GetName().Version!.ToString() + "+" + typeof(ModelEmitter).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    public static void Write(SourceWriter writer, ModelClassSpec model)
    {
        switch (model.Model)
        {
            case LinearModelSpec linear:
                WriteLinear(writer, model, linear);
                break;
            case LayerStackSpec stack:
                WriteStack(writer, model, stack);
                break;
        }
    }

    /// <summary>The short names of the types a model's class names (the aliases its file declares).</summary>
    public static System.Collections.Generic.HashSet<string> UsedTypes(ModelSpec model)
    {
        var used = new System.Collections.Generic.HashSet<string>(System.StringComparer.Ordinal) { "LayerSummary", "ModelKind", "ModelSummary", "Network", "NetworkLayer", "Tensor" };
        if (model is LinearModelSpec)
        {
            used.Add("Linear");
            used.Add("LinearLayer");
        }
        else if (model is LayerStackSpec stack)
        {
            used.UnionWith(stack.Layers.Where(l => l.IsField).Select(FieldType));
            used.UnionWith(NetworkSteps(stack).SelectMany(s => NetworkTypes(s.Layer)));
        }

        return used;
    }

    /// <summary>What <c>IExperiment.Architecture</c> returns.</summary>
    public static string SummaryExpression(ExperimentSpec spec) => spec.Model switch
    {
        ModuleModelSpec module => $"new global::Experiments.Models.ModelSummary(global::Experiments.Models.ModelKind.Module, {ExperimentEmitter.Literal(module.Architecture)}, {IntArray(module.InputShape)}, global::System.Array.Empty<global::Experiments.Models.LayerSummary>(), -1)",
        _ => spec.ModelType + ".Summary",
    };

    /// <summary>What <c>IExperiment.Network</c> returns: the model class's <c>Network</c>, or null for a user module.</summary>
    public static string NetworkExpression(ExperimentSpec spec) => spec.Model is ModuleModelSpec ? "null" : spec.ModelType + ".Network";

    /// <summary>What <c>IExperiment.CodeFingerprint</c> returns.</summary>
    public static string FingerprintExpression(ExperimentSpec spec) => spec.Model is ModuleModelSpec { Bound: { } bound }
        ? $"{GeneratorFingerprint} + \";model-source-sha256={bound.SourceSha256}\""
        : GeneratorFingerprint;

    /// <summary>The code fingerprint of a generated model: the build of the generator that wrote it.</summary>
    public const string GeneratorFingerprint = "\"generator=\" + ExperimentCatalog.GeneratorBuild";

    /// <summary>What <c>IExperiment.CreateModel</c> returns.</summary>
    public static string CreateExpression(ExperimentSpec spec) => spec.Model is ModuleModelSpec { Bound: { } bound }
        ? bound.CreationExpression
        : $"new {spec.ModelType}()";

    private static void WriteDocumentation(SourceWriter writer, ModelClassSpec model, string what)
    {
        writer.WriteLine("/// <summary>");
        writer.WriteLine($"/// {what}");
        var users = model.Users == 1 ? $"experiment <c>{ExperimentEmitter.Xml(model.UsedBy)}</c>" : $"the {Invariant(model.Users)} experiments of sweep <c>{ExperimentEmitter.Xml(model.UsedBy)}</c> that share it";
        writer.WriteLine($"/// The model of {users}, from <c>{ExperimentEmitter.Xml(model.SourceFile)}</c>.");
        writer.WriteLine("/// </summary>");
    }

    private static void WriteLinear(SourceWriter writer, ModelClassSpec model, LinearModelSpec linear)
    {
        WriteDocumentation(writer, model, $"Multinomial logistic regression: one linear layer from {Invariant(linear.Inputs)} inputs to {Invariant(linear.Classes)} classes.");
        using (writer.Block($"public sealed class {model.TypeName} : nn.Module<Tensor, Tensor>"))
        {
            WriteSummary(writer, linear, new[] { $"new LayerSummary(\"linear\", \"linear {Invariant(linear.Classes)}\", new[] {{ {Invariant(linear.Classes)} }}, {Long(linear.ParameterCount)})" }, linear.ParameterCount);
            WriteNetwork(writer, linear, new[] { $"new LinearLayer(\"linear\", InFeatures: {Invariant(linear.Inputs)}, OutFeatures: {Invariant(linear.Classes)}, Bias: true)" });
            writer.WriteLine("private readonly Linear linear;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the model with freshly initialised weights (seed torch first for repeatable runs).</summary>");
            writer.WriteLine($"public {model.TypeName}()");
            writer.WriteLine($"    : base(nameof({model.TypeName}))");
            using (writer.Block())
            {
                writer.WriteLine($"linear = nn.Linear({Invariant(linear.Inputs)}, {Invariant(linear.Classes)});");
                writer.WriteLine("RegisterComponents();");
            }

            writer.WriteLine();
            if (linear.Softmax)
            {
                writer.WriteLine("/// <summary>");
                writer.WriteLine($"/// Returns softmax probabilities [batch, {Invariant(linear.Classes)}], because the file sets <c>outputActivation: softmax</c>.");
                writer.WriteLine("/// The loss applies log-softmax again, so this model trains badly: it reproduces the blog post's text.");
                writer.WriteLine("/// </summary>");
                writer.WriteLine("public override Tensor forward(Tensor input)");
                using (writer.Block())
                {
                    writer.WriteLine("using var logits = linear.forward(input);");
                    writer.WriteLine("return nn.functional.softmax(logits, 1);");
                }
            }
            else
            {
                writer.WriteLine($"/// <summary>Returns logits [batch, {Invariant(linear.Classes)}]; CrossEntropyLoss applies log-softmax itself.</summary>");
                writer.WriteLine("public override Tensor forward(Tensor input) => linear.forward(input);");
            }

            WriteDispose(writer, new[] { "linear" });
        }
    }

    private static void WriteStack(SourceWriter writer, ModelClassSpec model, LayerStackSpec stack)
    {
        var classes = stack.Layers[stack.Layers.Count - 1].OutputShape[0];
        WriteDocumentation(writer, model, $"{ExperimentEmitter.Xml(stack.Description)}: {Invariant(stack.Layers.Count)} layers, {stack.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters.");
        using (writer.Block($"public sealed class {model.TypeName} : nn.Module<Tensor, Tensor>"))
        {
            var rows = stack.Layers.Select(l => $"new LayerSummary({ExperimentEmitter.Literal(l.Name)}, {ExperimentEmitter.Literal(l.Display)}, {IntArray(l.OutputShape)}, {Long(l.Parameters)})").ToArray();
            WriteSummary(writer, stack, rows, stack.ParameterCount);
            WriteNetwork(writer, stack, NetworkSteps(stack).Select(s => NetworkLayer(s.Layer, s.Reshape)).ToArray());
            var fields = stack.Layers.Where(l => l.IsField).ToList();
            foreach (var layer in fields)
            {
                writer.WriteLine($"private readonly {FieldType(layer)} {layer.Name};");
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the model with freshly initialised weights (seed torch first for repeatable runs).</summary>");
            writer.WriteLine($"public {model.TypeName}()");
            writer.WriteLine($"    : base(nameof({model.TypeName}))");
            using (writer.Block())
            {
                foreach (var layer in fields)
                {
                    writer.WriteLine($"{layer.Name} = {Factory(layer)};");
                }

                writer.WriteLine("RegisterComponents();");
            }

            writer.WriteLine();
            var input = stack.InputShape;
            var flat = input.Aggregate(1, (p, d) => p * d);
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Takes images as flat rows [batch, {Invariant(flat)}] and returns {(stack.Softmax ? "softmax probabilities" : "logits")} [batch, {Invariant(classes)}]{(stack.Softmax ? " (outputActivation: softmax)" : "; CrossEntropyLoss applies log-softmax itself")}.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("public override Tensor forward(Tensor input)");
            using (writer.Block())
            {
                var lines = new System.Collections.Generic.List<(string Code, string Shape)>();
                var first = stack.Layers[0];
                if (input.Count > 1 && first is not FlattenLayerSpec)
                {
                    lines.Add(($"var x = input.reshape(-1, {string.Join(", ", input.Select(Invariant))});", Shape(input)));
                }
                else
                {
                    lines.Add(("var x = input;", Shape(new[] { flat })));
                }

                foreach (var layer in stack.Layers)
                {
                    if (layer is FlattenLayerSpec && lines.Count == 1 && input.Count > 1)
                    {
                        // The rows are already flat: flatten first is the identity.
                        lines[0] = ("var x = input;", Shape(layer.OutputShape));
                        continue;
                    }

                    lines.Add(($"x = {Call(layer)};", Shape(layer.OutputShape)));
                }

                if (stack.Softmax)
                {
                    lines.Add(("x = nn.functional.softmax(x, 1);", Shape(new[] { classes })));
                }

                var width = lines.Max(l => l.Code.Length);
                foreach (var (code, shape) in lines)
                {
                    writer.WriteLine(code.PadRight(width) + " // " + shape);
                }

                writer.WriteLine("return x;");
            }

            WriteDispose(writer, fields.Select(f => f.Name).ToArray());
        }
    }

    private static void WriteSummary(SourceWriter writer, ModelSpec model, string[] rows, long parameters)
    {
        writer.WriteLine("/// <summary>Trainable parameters, computed by the generator from the layers' shapes (TorchSharp counts the same).</summary>");
        writer.WriteLine($"public const long ParameterCount = {Long(parameters)};");
        writer.WriteLine();
        writer.WriteLine("/// <summary>The layers, the shape of one example after each, and their parameters, as the generator computed them.</summary>");
        writer.WriteLine("public static ModelSummary Summary { get; } = new(");
        writer.WriteLine($"    ModelKind.{model.Kind},");
        writer.WriteLine($"    {ExperimentEmitter.Literal(model.Architecture)},");
        writer.WriteLine($"    {IntArray(model.InputShape)},");
        writer.WriteLine("    new[]");
        writer.WriteLine("    {");
        foreach (var row in rows)
        {
            writer.WriteLine("        " + row + ",");
        }

        writer.WriteLine("    },");
        writer.WriteLine("    ParameterCount);");
        writer.WriteLine();
    }

    /// <summary>
    /// The <c>Network</c> property: the steps <c>forward</c> takes as data (what a checkpoint's config.json keeps and
    /// the ONNX export reads), from the same spec as the code of <c>forward</c>.
    /// </summary>
    private static void WriteNetwork(SourceWriter writer, ModelSpec model, string[] layers)
    {
        writer.WriteLine("/// <summary>What <see cref=\"forward\"/> computes, step by step, as data: what a checkpoint keeps and the ONNX export reads.</summary>");
        writer.WriteLine("public static Network Network { get; } = new(");
        writer.WriteLine($"    {IntArray(model.InputShape)},");
        writer.WriteLine("    new NetworkLayer[]");
        writer.WriteLine("    {");
        foreach (var layer in layers)
        {
            writer.WriteLine("        " + layer + ",");
        }

        writer.WriteLine("    },");
        writer.WriteLine($"    OutputSoftmax: {(model.Softmax ? "true" : "false")});");
        writer.WriteLine();
    }

    /// <summary>
    /// The steps of <c>forward</c> in order, as <see cref="WriteStack"/> writes them: a reshape of the flat rows into
    /// images first unless the first layer flattens (which is then skipped: the rows are flat already), then each layer.
    /// </summary>
    private static System.Collections.Generic.IEnumerable<(LayerSpec? Layer, EquatableArray<int> Reshape)> NetworkSteps(LayerStackSpec stack)
    {
        var input = stack.InputShape;
        var first = stack.Layers[0];
        if (input.Count > 1 && first is not FlattenLayerSpec)
        {
            yield return (null, input);
        }

        for (var i = 0; i < stack.Layers.Count; i++)
        {
            if (i == 0 && first is FlattenLayerSpec && input.Count > 1)
            {
                continue;
            }

            yield return (stack.Layers[i], EquatableArray<int>.Empty);
        }
    }

    /// <summary>The constructor call of one step's record (<c>Experiments.Models.LinearLayer</c>, ...).</summary>
    private static string NetworkLayer(LayerSpec? layer, EquatableArray<int> reshape) => layer switch
    {
        null => $"new ReshapeLayer(\"reshape\", {IntArray(reshape)})",
        LinearLayerSpec linear => $"new LinearLayer({ExperimentEmitter.Literal(linear.Name)}, InFeatures: {Invariant(linear.InFeatures)}, OutFeatures: {Invariant(linear.OutFeatures)}, Bias: {Bool(linear.Bias)})",
        Conv2dLayerSpec conv => $"new Conv2dLayer({ExperimentEmitter.Literal(conv.Name)}, InChannels: {Invariant(conv.InChannels)}, OutChannels: {Invariant(conv.OutChannels)}, Kernel: {Invariant(conv.Kernel)}, Stride: {Invariant(conv.Stride)}, Padding: {Invariant(conv.Padding)}, Bias: {Bool(conv.Bias)})",
        Pool2dLayerSpec pool => $"new Pool2dLayer({ExperimentEmitter.Literal(pool.Name)}, PoolKind.{(pool.IsMax ? "Max" : "Average")}, Kernel: {Invariant(pool.Kernel)}, Stride: {Invariant(pool.Stride)}, Padding: {Invariant(pool.Padding)})",
        BatchNormLayerSpec norm => $"new BatchNormLayer({ExperimentEmitter.Literal(norm.Name)}, Features: {Invariant(norm.Features)}, IsImage: {Bool(norm.IsImage)}, Epsilon: {ExperimentEmitter.Number(BatchNormLayerSpec.Epsilon)}, Momentum: {ExperimentEmitter.Number(BatchNormLayerSpec.Momentum)})",
        ActivationLayerSpec activation => $"new ActivationLayer({ExperimentEmitter.Literal(activation.Name)}, ActivationKind.{activation.Function})",
        DropoutLayerSpec dropout => $"new DropoutLayer({ExperimentEmitter.Literal(dropout.Name)}, P: {ExperimentEmitter.Number(dropout.P)})",
        FlattenLayerSpec flatten => $"new FlattenLayer({ExperimentEmitter.Literal(flatten.Name)})",
        _ => throw new System.ArgumentOutOfRangeException(nameof(layer), layer.GetType().Name, "a layer the network description does not know"),
    };

    /// <summary>The runtime types a step's record names (for the file's aliases).</summary>
    private static string[] NetworkTypes(LayerSpec? layer) => layer switch
    {
        null => new[] { "ReshapeLayer" },
        LinearLayerSpec => new[] { "LinearLayer" },
        Conv2dLayerSpec => new[] { "Conv2dLayer" },
        Pool2dLayerSpec => new[] { "Pool2dLayer", "PoolKind" },
        BatchNormLayerSpec => new[] { "BatchNormLayer" },
        ActivationLayerSpec => new[] { "ActivationLayer", "ActivationKind" },
        DropoutLayerSpec => new[] { "DropoutLayer" },
        _ => new[] { "FlattenLayer" },
    };

    private static string Bool(bool value) => value ? "true" : "false";

    private static void WriteDispose(SourceWriter writer, string[] fields)
    {
        writer.WriteLine();
        writer.WriteLine("/// <inheritdoc/>");
        writer.WriteLine("protected override void Dispose(bool disposing)");
        using (writer.Block())
        {
            writer.WriteLine("if (disposing)");
            using (writer.Block())
            {
                foreach (var field in fields)
                {
                    writer.WriteLine($"{field}.Dispose();");
                }
            }

            writer.WriteLine();
            writer.WriteLine("base.Dispose(disposing);");
        }
    }

    private static string FieldType(LayerSpec layer) => layer switch
    {
        LinearLayerSpec => "Linear",
        Conv2dLayerSpec => "Conv2d",
        BatchNormLayerSpec { IsImage: true } => "BatchNorm2d",
        BatchNormLayerSpec => "BatchNorm1d",
        DropoutLayerSpec => "Dropout",
        _ => "nn.Module<Tensor, Tensor>",
    };

    private static string Factory(LayerSpec layer) => layer switch
    {
        LinearLayerSpec linear => $"nn.Linear({Invariant(linear.InFeatures)}, {Invariant(linear.OutFeatures)}{(linear.Bias ? string.Empty : ", hasBias: false")})",
        Conv2dLayerSpec conv => $"nn.Conv2d({Invariant(conv.InChannels)}, {Invariant(conv.OutChannels)}, {Invariant(conv.Kernel)}"
            + (conv.Stride == 1 ? string.Empty : $", stride: {Invariant(conv.Stride)}")
            + (conv.Padding == 0 ? string.Empty : $", padding: {Invariant(conv.Padding)}")
            + (conv.Bias ? string.Empty : ", bias: false") + ")",
        BatchNormLayerSpec norm => $"new {FieldType(norm)}({Invariant(norm.Features)}, eps: {ExperimentEmitter.Number(BatchNormLayerSpec.Epsilon)}, momentum: {ExperimentEmitter.Number(BatchNormLayerSpec.Momentum)})",
        DropoutLayerSpec dropout => $"new Dropout({ExperimentEmitter.Number(dropout.P)})",
        _ => "null!",
    };

    private static string Call(LayerSpec layer) => layer switch
    {
        FlattenLayerSpec => "x.flatten(1)",
        ActivationLayerSpec activation => $"nn.functional.{activation.Function.ToString().ToLowerInvariant()}(x)",
        Pool2dLayerSpec pool => $"nn.functional.{(pool.IsMax ? "max_pool2d" : "avg_pool2d")}(x, {Invariant(pool.Kernel)}, stride: {Invariant(pool.Stride)}"
            + (pool.Padding == 0 ? string.Empty : $", padding: {Invariant(pool.Padding)}") + ")",
        _ => $"{layer.Name}.forward(x)",
    };

    private static string Shape(System.Collections.Generic.IEnumerable<int> shape) => "[batch, " + string.Join(", ", shape.Select(Invariant)) + "]";

    private static string IntArray(System.Collections.Generic.IEnumerable<int> values) => "new[] { " + string.Join(", ", values.Select(Invariant)) + " }";

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
