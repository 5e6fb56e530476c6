using System.Globalization;
using System.Text.Json;
using Experiments.Checkpoints;
using Experiments.Models;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Export;

/// <summary>Why a model cannot be exported: the message names the experiment or tensor and what is wrong.</summary>
public sealed class ModelExportException(string message) : Exception(message);

/// <summary>What the exported model's metadata says about where it came from.</summary>
/// <param name="Experiment">The experiment's name: the graph's name.</param>
/// <param name="ClassNames">The class names in class-index order: output column i is the score of class i.</param>
public sealed record OnnxModelInfo(string Experiment, IReadOnlyList<string> ClassNames)
{
    public string Description { get; init; } = "";

    public string SourceFile { get; init; } = "";

    public string Dataset { get; init; } = "";

    public string? ConfigurationSha256 { get; init; }

    public double? TestAccuracy { get; init; }

    /// <summary>
    /// How a new image becomes one example (<c>prepare</c> of the dataset: <c>mnist-digit</c>, <c>fashion-mnist</c>,
    /// <c>uci-digits</c>, <c>decode</c> or <c>none</c>), as <c>predict</c> prepares it; empty when not known.
    /// </summary>
    public string Prepare { get; init; } = "";
}

/// <summary>
/// Turns a declared architecture (<see cref="Network"/>), its trained tensors and the experiment's input transform
/// into an ONNX model (opset <see cref="Opset"/>) that computes what the model does in evaluation mode.
/// </summary>
/// <remarks>
/// The input contract: <see cref="InputName"/> is float32 [batch, features], each row one example's raw values as the
/// dataset stores them, flattened row-major (MNIST: 784 pixels 0 to 255, white ink on black). The graph divides by
/// the dataset's divisor and standardizes with the training statistics itself, as the trainer did, so a caller needs
/// no numbers from the experiment. Deskewing (<c>deskew: true</c>) cannot be written as a few ONNX operators: such a
/// model is exported all the same, its metadata says <c>deskew = true</c>, and the caller must deskew the images
/// first (<see cref="Preprocessing.Deskew"/>). The outputs: <see cref="LogitsName"/> [batch, classes] (what the
/// layers compute, before any softmax) and <see cref="ProbabilitiesName"/> [batch, classes] (their softmax; for a
/// model declared with <c>outputActivation: softmax</c> that is what its <c>forward</c> returns). Dropout is the
/// identity, batch norm uses the running statistics. The class names, the experiment and this contract are in the
/// model's metadata_props and doc_string.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graph uses: 13, with IR version 7 (every node's semantics are those of opset 13).</summary>
    public const int Opset = 13;

    /// <summary>The IR version that goes with <see cref="Opset"/>.</summary>
    public const long IrVersion = 7;

    public const string InputName = "input";

    public const string LogitsName = "logits";

    public const string ProbabilitiesName = "probabilities";

    /// <summary>The model of a checkpoint: its config.json's network and inputs, the tensors of its model.safetensors.</summary>
    public static ModelProto Export(ExperimentConfig config, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Network is not { } network)
        {
            var model = config.Architecture.Kind == ModelKind.Module
                ? $"its model is the user module {config.Architecture.Architecture} (model: {{class: ...}})"
                : $"its model ({config.Architecture.Architecture}) was written in code, not declared in YAML";
            throw new ModelExportException(
                $"'{config.Experiment}' cannot be exported: {model}, and ONNX export needs an architecture declared in the YAML file (no model key, "
                + "model: {mlp: ...} or model: {layers: [...]}), whose every layer the exporter knows. Its weights are in model.safetensors under "
                + "PyTorch's names, for PyTorch's torch.onnx.export");
        }

        return Export(network, config.Inputs, tensors, new OnnxModelInfo(config.Experiment, config.ClassNames)
        {
            Description = config.Description,
            SourceFile = config.SourceFile,
            Dataset = config.Dataset.Name,
            ConfigurationSha256 = config.ConfigurationSha256,
            TestAccuracy = config.TestAccuracy,
            Prepare = DatasetDescriptionJson.PrepareName(config.Dataset.Prepare),
        });
    }

    /// <summary>
    /// The ONNX model of <paramref name="network"/> with <paramref name="tensors"/> (its <c>state_dict()</c>, e.g. from
    /// <see cref="ModelCheckpoint.ReadTensors"/>); throws <see cref="ModelExportException"/> when a tensor is missing,
    /// has another shape, or is left over, or when the network does not fit the inputs or the classes.
    /// </summary>
    public static ModelProto Export(Network network, InputTransform inputs, IReadOnlyDictionary<string, Tensor> tensors, OnnxModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(info);
        var what = $"'{info.Experiment}'";
        if (inputs.Features != network.Features)
        {
            throw new ModelExportException(string.Create(CultureInfo.InvariantCulture, $"{what} cannot be exported: its network takes {network.Features} values per example, but its inputs have {inputs.Features} ([{string.Join(", ", inputs.ExampleShape)}])"));
        }

        var weights = new WeightReader(tensors, what);
        var graph = new OnnxGraphBuilder(info.Experiment);
        graph.AddInput(OnnxGraphBuilder.Rows(InputName, inputs.Features, InputDoc(inputs)));
        var x = Preprocess(graph, inputs);
        foreach (var layer in network.Layers)
        {
            x = AddLayer(graph, weights, layer, x);
        }

        weights.RequireAllUsed();
        var classes = info.ClassNames.Count;
        graph.Node("Identity", LogitsName, [x]);
        graph.Node("Softmax", ProbabilitiesName, [LogitsName], OnnxGraphBuilder.Int("axis", 1));
        graph.AddOutput(OnnxGraphBuilder.Rows(LogitsName, classes, network.OutputSoftmax
            ? "The scores before the softmax that the model's forward ends with (outputActivation: softmax)."
            : "The model's output: one score per class, in the order of the metadata's classes."));
        graph.AddOutput(OnnxGraphBuilder.Rows(ProbabilitiesName, classes, network.OutputSoftmax
            ? "The softmax of the logits: what the model's forward returns."
            : "The softmax of the logits: the probability of each class."));

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "experiments",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            ModelVersion = 1,
            DocString = DocString(info, inputs, network),
            Graph = graph.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata(info, inputs, network))
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically (<see cref="Results.AtomicFile"/>); throws <see cref="IOException"/> naming the path.</summary>
    public static void Write(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        Results.AtomicFile.Write(path, model.ToByteArray());
    }

    /// <summary>The metadata_props: what a program that only has the .onnx file needs to use it.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Metadata(OnnxModelInfo info, InputTransform inputs, Network network)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(network);
        var entries = new List<KeyValuePair<string, string>>
        {
            new("experiment", info.Experiment),
            new("description", info.Description),
            new("sourceFile", info.SourceFile),
            new("dataset", info.Dataset),
            new("classes", JsonSerializer.Serialize(info.ClassNames)),
            new("inputShape", string.Join(",", inputs.ExampleShape.Select(d => d.ToString(CultureInfo.InvariantCulture)))),
            new("inputDivisor", inputs.Divisor.ToString("R", CultureInfo.InvariantCulture)),
            new("standardized", inputs.Mean is not null ? "true" : "false"),
            new("deskew", inputs.Deskew ? "true" : "false"),
            new("input", InputDoc(inputs)),
            new("outputSoftmax", network.OutputSoftmax ? "true" : "false"),
        };
        if (info.Prepare.Length > 0)
        {
            entries.Add(new("prepare", info.Prepare));
        }

        if (info.ConfigurationSha256 is { } sha)
        {
            entries.Add(new("configurationSha256", sha));
        }

        if (info.TestAccuracy is { } accuracy)
        {
            entries.Add(new("testAccuracy", accuracy.ToString("R", CultureInfo.InvariantCulture)));
        }

        return entries;
    }

    private static string InputDoc(InputTransform inputs)
    {
        var shape = string.Join("x", inputs.ExampleShape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var text = string.Create(CultureInfo.InvariantCulture, $"float32 [batch, {inputs.Features}]: each row one example's raw values as the dataset stores them ({shape}, flattened row-major; the graph divides by {inputs.Divisor:R}");
        text += inputs.Mean is not null ? " and standardizes with the training statistics itself)" : " itself)";
        return inputs.Deskew ? text + "; the images must be deskewed first (deskew: true), as the experiment's were" : text;
    }

    private static string DocString(OnnxModelInfo info, InputTransform inputs, Network network)
    {
        var accuracy = info.TestAccuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $" Test accuracy {a:0.##}%.") : "";
        return $"Experiment '{info.Experiment}'{(info.Description.Length > 0 ? ": " + info.Description : "")} ({info.SourceFile}), trained on '{info.Dataset}'.{accuracy} "
            + $"Input '{InputName}': {InputDoc(inputs)}. Outputs '{LogitsName}' and '{ProbabilitiesName}' [batch, {info.ClassNames.Count}], "
            + $"one column per class of the metadata's 'classes' ({string.Join(", ", info.ClassNames)}){(network.OutputSoftmax ? "; the model's forward returns the probabilities" : "")}.";
    }

    /// <summary>The trainer's preprocessing as nodes: divide by the divisor, then subtract the mean and divide by the std, as float32 like the trainer.</summary>
    private static string Preprocess(OnnxGraphBuilder graph, InputTransform inputs)
    {
        var x = InputName;
        if (inputs.Divisor != 1)
        {
            var divisor = graph.Floats("input_divisor", [], [(float)inputs.Divisor]);
            x = graph.Node("Div", "input_scaled", [x, divisor]);
        }

        if (inputs.Mean is { } mean && inputs.Std is { } std)
        {
            var features = inputs.Features;
            if (mean.Length != features || std.Length != features)
            {
                throw new ModelExportException(string.Create(CultureInfo.InvariantCulture, $"the input statistics have {mean.Length} means and {std.Length} stds, but an example has {features} values"));
            }

            var centred = graph.Node("Sub", "input_centred", [x, graph.Floats("input_mean", [features], mean)]);
            x = graph.Node("Div", "input_standardized", [centred, graph.Floats("input_std", [features], std)]);
        }

        return x;
    }

    private static string AddLayer(OnnxGraphBuilder graph, WeightReader weights, NetworkLayer layer, string x)
    {
        var output = graph.Fresh(layer.Name);
        switch (layer)
        {
            case ReshapeLayer reshape:
                var shape = graph.Int64s(output + "_shape", [-1, .. reshape.Shape.Select(d => (long)d)]);
                return graph.Node("Reshape", output, [x, shape]);
            case LinearLayer linear:
                {
                    List<string> inputs = [x, weights.Take(linear.Name + ".weight", [linear.OutFeatures, linear.InFeatures], graph)];
                    if (linear.Bias)
                    {
                        inputs.Add(weights.Take(linear.Name + ".bias", [linear.OutFeatures], graph));
                    }

                    return graph.Node("Gemm", output, inputs, OnnxGraphBuilder.Int("transB", 1));
                }

            case Conv2dLayer conv:
                {
                    List<string> inputs = [x, weights.Take(conv.Name + ".weight", [conv.OutChannels, conv.InChannels, conv.Kernel, conv.Kernel], graph)];
                    if (conv.Bias)
                    {
                        inputs.Add(weights.Take(conv.Name + ".bias", [conv.OutChannels], graph));
                    }

                    return graph.Node(
                        "Conv",
                        output,
                        inputs,
                        OnnxGraphBuilder.Ints("kernel_shape", conv.Kernel, conv.Kernel),
                        OnnxGraphBuilder.Ints("strides", conv.Stride, conv.Stride),
                        OnnxGraphBuilder.Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding));
                }

            case Pool2dLayer pool:
                {
                    AttributeProto[] attributes =
                    [
                        OnnxGraphBuilder.Ints("kernel_shape", pool.Kernel, pool.Kernel),
                        OnnxGraphBuilder.Ints("strides", pool.Stride, pool.Stride),
                        OnnxGraphBuilder.Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding),
                    ];

                    // PyTorch's avg_pool2d counts the zero padding in the mean (count_include_pad=True); ONNX's default does not.
                    return pool.Kind == PoolKind.Max
                        ? graph.Node("MaxPool", output, [x], attributes)
                        : graph.Node("AveragePool", output, [x], [.. attributes, OnnxGraphBuilder.Int("count_include_pad", 1)]);
                }

            case BatchNormLayer norm:
                {
                    long[] features = [norm.Features];
                    weights.Skip(norm.Name + ".num_batches_tracked");
                    return graph.Node(
                        "BatchNormalization",
                        output,
                        [
                            x,
                            weights.Take(norm.Name + ".weight", features, graph),
                            weights.Take(norm.Name + ".bias", features, graph),
                            weights.Take(norm.Name + ".running_mean", features, graph),
                            weights.Take(norm.Name + ".running_var", features, graph),
                        ],
                        OnnxGraphBuilder.Float("epsilon", (float)norm.Epsilon),
                        OnnxGraphBuilder.Float("momentum", (float)(1 - norm.Momentum))); // ONNX weighs the running value, PyTorch the batch's
                }

            case ActivationLayer activation:
                return activation.Function switch
                {
                    ActivationKind.Relu => graph.Node("Relu", output, [x]),
                    ActivationKind.Tanh => graph.Node("Tanh", output, [x]),
                    ActivationKind.Sigmoid => graph.Node("Sigmoid", output, [x]),
                    ActivationKind.Gelu => Gelu(graph, output, x),
                    _ => throw new ModelExportException($"layer '{layer.Name}' is the activation {activation.Function}, which the exporter does not know"),
                };
            case DropoutLayer:
                return x; // the identity in evaluation mode
            case FlattenLayer:
                return graph.Node("Flatten", output, [x], OnnxGraphBuilder.Int("axis", 1));
            default:
                throw new ModelExportException($"layer '{layer.Name}' is a {layer.GetType().Name}, which the exporter does not know");
        }
    }

    /// <summary>
    /// The exact GELU as PyTorch computes it, <c>x * 0.5 * (1 + erf(x * M_SQRT1_2))</c>, from opset-13 operators
    /// (ONNX has a Gelu operator only from opset 20, which fewer runtimes support).
    /// </summary>
    private static string Gelu(OnnxGraphBuilder graph, string output, string x)
    {
        var scaled = graph.Node("Mul", output + "_scaled", [x, graph.Floats(output + "_sqrt1_2", [], [(float)(1 / Math.Sqrt(2))])]);
        var erf = graph.Node("Erf", output + "_erf", [scaled]);
        var plusOne = graph.Node("Add", output + "_plus_one", [erf, graph.Floats(output + "_one", [], [1f])]);
        var half = graph.Node("Mul", output + "_half_x", [x, graph.Floats(output + "_half", [], [0.5f])]);
        return graph.Node("Mul", output, [half, plusOne]);
    }

    /// <summary>Hands out the state_dict's tensors as graph constants, checking each name and shape, and what is left over.</summary>
    private sealed class WeightReader(IReadOnlyDictionary<string, Tensor> tensors, string what)
    {
        private readonly HashSet<string> used = new(StringComparer.Ordinal);

        public string Take(string name, long[] shape, OnnxGraphBuilder graph)
        {
            if (!tensors.TryGetValue(name, out var tensor))
            {
                throw new ModelExportException($"{what} cannot be exported: its weights have no tensor '{name}', which its architecture needs (the checkpoint was saved from another model?)");
            }

            if (!tensor.shape.SequenceEqual(shape))
            {
                throw new ModelExportException(string.Create(CultureInfo.InvariantCulture, $"{what} cannot be exported: its tensor '{name}' has shape [{string.Join(", ", tensor.shape)}], but its architecture needs [{string.Join(", ", shape)}]"));
            }

            used.Add(name);

            // Each step of the chain makes a tensor handle; the scope disposes them all, not only the last.
            using var scope = NewDisposeScope();
            var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            return graph.Floats(name, shape, values.data<float>().ToArray());
        }

        /// <summary>A tensor the graph does not need (batch norm's step counter), if it is there.</summary>
        public void Skip(string name) => used.Add(name);

        public void RequireAllUsed()
        {
            if (tensors.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault() is { } extra)
            {
                throw new ModelExportException($"{what} cannot be exported: its weights have a tensor '{extra}' that no layer of its architecture uses (the checkpoint was saved from another model?)");
            }
        }
    }
}
