using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Spelling;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Model;

/// <summary>
/// Turns an experiment's <c>model</c> value (after <c>extends</c> and the sweep's substitutions) into a typed
/// <see cref="ModelSpec"/>, inferring every layer's input from the shape before it, starting from the dataset's
/// input shape. Every mistake is a diagnostic at the key or layer at fault, with the shapes in the message.
/// </summary>
internal sealed class ModelParser
{
    public const string ModelKey = "model";
    public const string Mlp = "mlp";
    public const string Layers = "layers";
    public const string Class = "class";
    public const string Args = "args";

    /// <summary>The most layers a stack may hold, and the most hidden layers of an MLP.</summary>
    public const int MaxLayers = 1_000;

    /// <summary>
    /// The most trainable parameters a declared model may have: 250 million (1 GB of float32 weights, the largest
    /// value the run history's SQLite store keeps in one piece).
    /// </summary>
    public const long MaxParameters = 250_000_000;

    /// <summary>The most features one example may have after <c>flatten</c>.</summary>
    public const long MaxFeatures = 100_000_000;

    /// <summary>The keys of the <c>model</c> mapping.</summary>
    public static readonly ImmutableArray<string> ModelKeys = ImmutableArray.Create(Mlp, Layers, Class, Args);

    /// <summary>The keys of <c>model.mlp</c>.</summary>
    public static readonly ImmutableArray<ArgumentDefinition> MlpArguments = ImmutableArray.Create(
        new ArgumentDefinition("hidden", ArgumentKind.IntegerList, null, "The width of each hidden layer, input side first, e.g. [256, 128]."),
        new ArgumentDefinition("activation", ArgumentKind.Activation, "relu", "The function after each hidden layer: relu, gelu, tanh or sigmoid."),
        new ArgumentDefinition("dropout", ArgumentKind.Probability, "0", "Dropout after each hidden activation (0 for none)."),
        new ArgumentDefinition("batchNorm", ArgumentKind.Boolean, "false", "Batch normalization between each hidden linear layer and its activation."));

    private readonly Action<DiagnosticDescriptor, SourceLocation, string[]> report;
    private readonly int numClasses;
    private bool failed;

    private ModelParser(Action<DiagnosticDescriptor, SourceLocation, string[]> report, int numClasses)
    {
        this.report = report;
        this.numClasses = numClasses;
    }

    /// <summary>
    /// The model of an experiment, or null after reporting why there is none. <paramref name="model"/> is the
    /// <c>model</c> value, or null when the file sets none (one linear layer from <paramref name="inputSize"/>).
    /// </summary>
    public static ModelSpec? Parse(
        YamlValue? model,
        EquatableArray<int> inputShape,
        int inputSize,
        int numClasses,
        bool softmax,
        Action<DiagnosticDescriptor, SourceLocation, string[]> report)
    {
        if (model is null)
        {
            return new LinearModelSpec(inputSize, numClasses, inputShape) { Softmax = softmax };
        }

        var parser = new ModelParser(report, numClasses);
        var spec = parser.ParseModel(model, inputShape);
        if (spec is ModuleModelSpec module && softmax)
        {
            // A module's forward decides what it returns; the key would change the hash and nothing else.
            var at = module.Model.Find(Class)?.Value.Location ?? module.Model.Location;
            report(DiagnosticDescriptors.InvalidModel, at, new[] { "outputActivation: softmax applies to the models the generator writes; your module's forward decides what it returns (return logits, and remove outputActivation)" });
            return null;
        }

        return parser.failed || spec is null ? null : spec with { Softmax = softmax };
    }

    private ModelSpec? ParseModel(YamlValue model, EquatableArray<int> input)
    {
        if (model is not YamlMap map)
        {
            Fail(DiagnosticDescriptors.InvalidModel, model.Location, $"model must be a mapping that holds one of 'mlp', 'layers' or 'class' (for example 'model: {{ mlp: {{ hidden: [128] }} }}'), but is {model.Describe()}");
            return null;
        }

        YamlEntry? kind = null;
        foreach (var entry in map.Entries)
        {
            if (!ModelKeys.Contains(entry.Key))
            {
                UnknownKey(entry, "model." + entry.Key, ModelKeys);
                continue;
            }

            if (entry.Key == Args)
            {
                continue;
            }

            if (kind is not null)
            {
                Fail(DiagnosticDescriptors.InvalidModel, entry.KeyLocation, $"model holds both '{kind.Key}' and '{entry.Key}'; a model is described by one of 'mlp', 'layers' or 'class'");
                return null;
            }

            kind = entry;
        }

        if (kind is null)
        {
            Fail(DiagnosticDescriptors.InvalidModel, map.Location, "model must hold one of 'mlp' (a multi-layer perceptron), 'layers' (a list of layers) or 'class' (your own module)");
            return null;
        }

        if (map.Find(Args) is { } args && kind.Key != Class)
        {
            Fail(DiagnosticDescriptors.InvalidModel, args.KeyLocation, $"'args' are the constructor arguments of a 'class'; the arguments of '{kind.Key}' go under it");
        }

        return kind.Key switch
        {
            Mlp => ParseMlp(kind, input),
            Layers => ParseLayers(kind, input),
            _ => ParseModule(map, kind, input),
        };
    }

    private ModelSpec? ParseModule(YamlMap map, YamlEntry @class, EquatableArray<int> input)
    {
        if (@class.Value is not YamlScalar { IsNull: false } name || name.Text.Trim().Length == 0)
        {
            Fail(DiagnosticDescriptors.InvalidValue, @class.Value.Location, "model.class", "the name of your module's class, e.g. 'MyNet' or 'MyProject.Models.MyNet'", @class.Value.Describe());
            return null;
        }

        return new ModuleModelSpec(map, name.Text.Trim(), input, YamlText.Canonical(map));
    }

    private ModelSpec? ParseMlp(YamlEntry entry, EquatableArray<int> input)
    {
        var owner = "model.mlp";
        if (entry.Value is not YamlMap map)
        {
            Fail(DiagnosticDescriptors.InvalidModel, entry.Value.Location, $"mlp must be a mapping such as 'mlp: {{ hidden: [256, 128], activation: relu, dropout: 0.2 }}', but is {entry.Value.Describe()}");
            return null;
        }

        var values = ReadArguments(map, owner, MlpArguments, entry.KeyLocation, primary: null);
        if (values is null)
        {
            return null;
        }

        var hidden = (ImmutableArray<int>)values["hidden"].Value!;
        var activation = (ActivationFunction)values["activation"].Value!;
        var dropout = (double)values["dropout"].Value!;
        var batchNorm = (bool)values["batchNorm"].Value!;
        if (hidden.Length > MaxLayers)
        {
            Fail(DiagnosticDescriptors.InvalidValue, values["hidden"].Location, "hidden of model.mlp", $"a list of at most {MaxLayers.ToString(CultureInfo.InvariantCulture)} widths", $"a list of {hidden.Length.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        // An MLP is a stack the generator writes out: flatten, then per hidden width linear, [batch norm],
        // activation, [dropout], then the output layer.
        var layers = new List<(LayerSpec Layer, SourceLocation Location)>();
        var hiddenLocation = values["hidden"].Location;
        if (input.Count > 1)
        {
            layers.Add((new FlattenLayerSpec(), entry.KeyLocation));
        }

        foreach (var width in hidden)
        {
            layers.Add((new LinearLayerSpec(0, width, true), hiddenLocation));
            if (batchNorm)
            {
                layers.Add((new BatchNormLayerSpec(0, false), values["batchNorm"].Location));
            }

            layers.Add((new ActivationLayerSpec(activation), values["activation"].Location));
            if (dropout > 0)
            {
                layers.Add((new DropoutLayerSpec(dropout), values["dropout"].Location));
            }
        }

        layers.Add((new LinearLayerSpec(0, numClasses, true), entry.KeyLocation));
        if (InferShapes(layers, input) is not { } shaped)
        {
            return null;
        }

        var widths = new[] { Product(input) }.Concat(hidden).Concat(new[] { numClasses });
        var description = "mlp " + string.Join("-", widths.Select(I)) + " " + Name(activation)
            + (batchNorm ? " batchnorm" : string.Empty)
            + (dropout > 0 ? " dropout " + dropout.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
        return Checked(new LayerStackSpec(true, input, shaped, description), entry.KeyLocation);
    }

    private ModelSpec? ParseLayers(YamlEntry entry, EquatableArray<int> input)
    {
        if (entry.Value is not YamlList list || list.Items.Count == 0)
        {
            Fail(DiagnosticDescriptors.InvalidModel, entry.Value.Location, $"layers must be a list of layers such as '- conv2d: {{ channels: 32, kernel: 3 }}' or '- relu', ending with '- linear: {I(numClasses)}', but is {(entry.Value is YamlList ? "an empty list" : entry.Value.Describe())}");
            return null;
        }

        if (list.Items.Count > MaxLayers)
        {
            Fail(DiagnosticDescriptors.InvalidModel, entry.Value.Location, $"layers holds {list.Items.Count.ToString(CultureInfo.InvariantCulture)} layers, more than the {MaxLayers.ToString(CultureInfo.InvariantCulture)} a model may have");
            return null;
        }

        var layers = new List<(LayerSpec Layer, SourceLocation Location)>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (ParseLayer(list.Items[i], i + 1) is { } layer)
            {
                layers.Add(layer);
            }
        }

        if (failed)
        {
            return null;
        }

        if (InferShapes(layers, input) is not { } shaped)
        {
            return null;
        }

        var description = string.Join("-", shaped.Where(l => l is not (ActivationLayerSpec or FlattenLayerSpec or DropoutLayerSpec or BatchNormLayerSpec)).Select(Short));
        return Checked(new LayerStackSpec(false, input, shaped, description), entry.KeyLocation);
    }

    private (LayerSpec Layer, SourceLocation Location)? ParseLayer(YamlValue item, int number)
    {
        string type;
        SourceLocation typeLocation;
        YamlValue? arguments = null;
        if (item is YamlScalar { IsPlain: true, IsNull: false } scalar)
        {
            type = scalar.Text;
            typeLocation = scalar.Location;
        }
        else if (item is YamlMap { Entries.Count: 1 } single)
        {
            type = single.Entries[0].Key;
            typeLocation = single.Entries[0].KeyLocation;
            arguments = single.Entries[0].Value;
        }
        else if (item is YamlMap { Entries.Count: > 1 } several)
        {
            // The usual slip: the arguments at the indentation of the type, so they become keys of the item.
            var first = several.Entries[0];
            var second = several.Entries[1];
            var hint = first.Value is YamlScalar { IsNull: true } && LayerTypes.Find(first.Key) is not null
                ? $"; indent '{second.Key}' under '{first.Key}', or write '- {first.Key}: {{ {second.Key}: ... }}'"
                : ", its type, with the arguments under it, as in '- conv2d: { channels: 32, kernel: 3 }'";
            Fail(DiagnosticDescriptors.InvalidModel, second.KeyLocation, $"Layer {I(number)} holds the keys '{first.Key}' and '{second.Key}', but a layer is one key{hint}");
            return null;
        }
        else
        {
            Fail(DiagnosticDescriptors.InvalidModel, item.Location, $"Layer {I(number)} must be a layer type such as 'relu' or a mapping such as 'conv2d: {{ channels: 32, kernel: 3 }}', but is {item.Describe()}");
            return null;
        }

        var definition = LayerTypes.Find(type);
        if (definition is null)
        {
            var suggestion = EditDistance.Closest(type, LayerTypes.All.Select(t => t.Name));
            Fail(DiagnosticDescriptors.UnknownLayer, typeLocation, type, suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)", string.Join(", ", LayerTypes.All.Select(t => t.Name)));
            return null;
        }

        var owner = $"layer {I(number)} ({type})";
        Dictionary<string, ArgumentValue>? values;
        if (arguments is null or YamlScalar { IsNull: true })
        {
            values = ReadArguments(new YamlMap(EquatableArray<YamlEntry>.Empty, typeLocation), owner, definition.Arguments, typeLocation, definition.Primary);
        }
        else if (arguments is YamlMap argumentMap)
        {
            values = ReadArguments(argumentMap, owner, definition.Arguments, typeLocation, definition.Primary);
        }
        else if (definition.Primary is { } primary)
        {
            var shorthand = new YamlMap(ImmutableArray.Create(new YamlEntry(primary, arguments.Location, arguments)).ToEquatableArray(), arguments.Location);
            values = ReadArguments(shorthand, owner, definition.Arguments, typeLocation, definition.Primary);
        }
        else
        {
            var expected = definition.Arguments.IsEmpty
                ? $"'{type}' takes no arguments: write '- {type}'"
                : $"the arguments of '{type}' are a mapping such as '{type}: {{ {string.Join(", ", definition.Arguments.Where(a => a.Default is null).Select(a => a.Name + ": ..."))} }}'";
            Fail(DiagnosticDescriptors.InvalidModel, arguments.Location, $"Layer {I(number)}: {expected}, not {arguments.Describe()}");
            return null;
        }

        if (values is null)
        {
            return null;
        }

        int Int(string name) => (int)values[name].Value!;
        LayerSpec layer = definition.Name switch
        {
            "linear" => new LinearLayerSpec(0, Int("features"), (bool)values["bias"].Value!),
            "conv2d" => new Conv2dLayerSpec(0, Int("channels"), Int("kernel"), Int("stride"), Int("padding"), (bool)values["bias"].Value!),
            "maxpool2d" or "avgpool2d" => new Pool2dLayerSpec(definition.Name == "maxpool2d", Int("kernel"), values["stride"].Value is int stride ? stride : Int("kernel"), Int("padding")),
            "flatten" => new FlattenLayerSpec(),
            "dropout" => new DropoutLayerSpec((double)values["p"].Value!),
            "batchnorm1d" => new BatchNormLayerSpec(0, false),
            "batchnorm2d" => new BatchNormLayerSpec(0, true),
            _ => new ActivationLayerSpec((ActivationFunction)Enum.Parse(typeof(ActivationFunction), definition.Name, ignoreCase: true)),
        };

        // Shape errors point at the argument at fault where there is one (a kernel too large), else at the type.
        var location = definition.Name switch
        {
            "conv2d" or "maxpool2d" or "avgpool2d" => values["kernel"].Location,
            "linear" => values["features"].Location,
            _ => typeLocation,
        };
        return (layer, location);
    }

    /// <summary>
    /// Fills in each layer's input size from the shape before it and computes its output shape; names the layers by
    /// family (<c>conv1</c>, <c>fc2</c>, <c>relu3</c>). Null after reporting the first layer that does not fit.
    /// </summary>
    private EquatableArray<LayerSpec>? InferShapes(List<(LayerSpec Layer, SourceLocation Location)> layers, EquatableArray<int> input)
    {
        var shape = input.ToArray();
        var parameters = 0L;
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<LayerSpec>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            var (layer, location) = layers[i];
            var number = i + 1;
            var inputText = ShapeText(shape) + (i == 0 ? " (the dataset's images)" : $" (the output of {result[i - 1].Name})");
            string Problem(string what) => $"{what}; its input is {inputText}";
            LayerSpec? shaped = null;
            int[]? output = null;
            switch (layer)
            {
                case LinearLayerSpec linear:
                    if (shape.Length != 1)
                    {
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, Problem("needs a flat input [features]") + ": add '- flatten' before it");
                        return null;
                    }

                    shaped = linear with { InFeatures = shape[0] };
                    output = new[] { linear.OutFeatures };
                    break;

                case Conv2dLayerSpec conv:
                    if (shape.Length != 3)
                    {
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, Problem("needs an image [channels, height, width]") + "; put convolutions before '- flatten'");
                        return null;
                    }

                    if (!Window(shape, conv.Kernel, conv.Stride, conv.Padding, number, layer, location, inputText, out var convHeight, out var convWidth))
                    {
                        return null;
                    }

                    shaped = conv with { InChannels = shape[0] };
                    output = new[] { conv.OutChannels, convHeight, convWidth };
                    break;

                case Pool2dLayerSpec pool:
                    if (shape.Length != 3)
                    {
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, Problem("needs an image [channels, height, width]") + "; put pooling before '- flatten'");
                        return null;
                    }

                    if (pool.Padding * 2 > pool.Kernel)
                    {
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, $"has padding {I(pool.Padding)}, but pooling allows at most half its kernel ({I(pool.Kernel / 2)})");
                        return null;
                    }

                    if (!Window(shape, pool.Kernel, pool.Stride, pool.Padding, number, layer, location, inputText, out var poolHeight, out var poolWidth))
                    {
                        return null;
                    }

                    shaped = pool;
                    output = new[] { shape[0], poolHeight, poolWidth };
                    break;

                case FlattenLayerSpec:
                    var features = shape.Aggregate(1L, (product, size) => product * size);
                    if (features > MaxFeatures)
                    {
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, Problem($"flattens it to {features.ToString("N0", CultureInfo.InvariantCulture)} features, more than the {MaxFeatures.ToString("N0", CultureInfo.InvariantCulture)} a layer may take"));
                        return null;
                    }

                    shaped = layer;
                    output = new[] { (int)features };
                    break;

                case BatchNormLayerSpec norm:
                    if (norm.IsImage ? shape.Length != 3 : shape.Length != 1)
                    {
                        var fix = norm.IsImage ? "use batchnorm1d on a flat input" : "use batchnorm2d on an image";
                        Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, Problem(norm.IsImage ? "needs an image [channels, height, width]" : "needs a flat input [features]") + "; " + fix);
                        return null;
                    }

                    shaped = norm with { Features = shape[0] };
                    output = shape;
                    break;

                default:
                    shaped = layer;
                    output = shape;
                    break;
            }

            // Stop at the layer that takes the model past the cap, before any sum can overflow.
            parameters += shaped!.Parameters;
            if (parameters > MaxParameters)
            {
                Fail(DiagnosticDescriptors.InvalidModel, location, $"Layer {I(number)} ({layer.Display}) takes the model to {parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters, more than the {MaxParameters.ToString("N0", CultureInfo.InvariantCulture)} a declared model may have");
                return null;
            }

            var family = Family(shaped!);
            counters.TryGetValue(family, out var count);
            counters[family] = ++count;
            result.Add(shaped! with { Name = family + I(count), OutputShape = output!.ToEquatableArray() });
            shape = output!;
        }

        if (!(shape.Length == 1 && shape[0] == numClasses))
        {
            var last = layers[layers.Count - 1];
            var fix = shape.Length != 1
                ? $"end the layers with '- flatten' and '- linear: {I(numClasses)}'"
                : last.Layer is LinearLayerSpec
                    ? $"the last layer, {result[result.Count - 1].Name}, must have {I(numClasses)} features"
                    : $"end the layers with '- linear: {I(numClasses)}'";
            Fail(DiagnosticDescriptors.WrongOutputShape, last.Location, ShapeText(shape), I(numClasses), fix);
            return null;
        }

        return result.ToImmutable().ToEquatableArray();
    }

    /// <summary>The output size of a kernel sliding over the input's height and width; false after reporting a size below 1.</summary>
    private bool Window(int[] shape, int kernel, int stride, int padding, int number, LayerSpec layer, SourceLocation location, string inputText, out int height, out int width)
    {
        height = ((shape[1] + (2 * padding) - kernel) / stride) + 1;
        width = ((shape[2] + (2 * padding) - kernel) / stride) + 1;
        var paddedHeight = shape[1] + (2 * padding);
        var paddedWidth = shape[2] + (2 * padding);
        if (kernel > paddedHeight || kernel > paddedWidth)
        {
            var padded = padding == 0 ? string.Empty : $" padded by {I(padding)} to {I(paddedHeight)}x{I(paddedWidth)}";
            Fail(DiagnosticDescriptors.ShapeMismatch, location, I(number), layer.Display, $"has a {I(kernel)}x{I(kernel)} kernel, larger than its input {inputText}{padded}");
            return false;
        }

        return true;
    }

    /// <summary>The spec, unless its parameter count is beyond what a declared model may have.</summary>
    private ModelSpec? Checked(LayerStackSpec spec, SourceLocation location)
    {
        if (spec.ParameterCount > MaxParameters)
        {
            Fail(DiagnosticDescriptors.InvalidModel, location, $"The model has {spec.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters, more than the {MaxParameters.ToString("N0", CultureInfo.InvariantCulture)} a declared model may have");
            return null;
        }

        return spec;
    }

    /// <summary>Reads the arguments of a layer (or of <c>mlp</c>) against their definitions; null after reporting any problem.</summary>
    private Dictionary<string, ArgumentValue>? ReadArguments(YamlMap map, string owner, ImmutableArray<ArgumentDefinition> definitions, SourceLocation ownerLocation, string? primary)
    {
        var values = new Dictionary<string, ArgumentValue>(StringComparer.Ordinal);
        var ok = true;

        // A bad value is not also a missing key, and after an unknown (often misspelt) key no key is reported missing.
        var present = new HashSet<string>(StringComparer.Ordinal);
        var unknown = false;
        foreach (var entry in map.Entries)
        {
            present.Add(entry.Key);
            var definition = definitions.FirstOrDefault(d => d.Name == entry.Key);
            if (definition is null)
            {
                UnknownKey(entry, entry.Key + " of " + owner, definitions.Select(d => d.Name).ToImmutableArray());
                ok = false;
                unknown = true;
                continue;
            }

            var value = ReadArgument(definition, entry.Value, owner);
            if (value is null)
            {
                ok = false;
                continue;
            }

            values[entry.Key] = new ArgumentValue(value, entry.Value.Location);
        }

        foreach (var definition in definitions)
        {
            if (values.ContainsKey(definition.Name) || present.Contains(definition.Name))
            {
                continue;
            }

            if (definition.Default is null)
            {
                if (definition.Name == "stride")
                {
                    values[definition.Name] = new ArgumentValue(null, ownerLocation);
                    continue;
                }

                if (unknown)
                {
                    ok = false;
                    continue;
                }

                var example = primary == definition.Name ? $"e.g. '{owner.Split('(', ')')[1]}: ...' or " : string.Empty;
                Fail(DiagnosticDescriptors.MissingKey, ownerLocation, definition.Name + " of " + owner, example + definition.Summary);
                ok = false;
                continue;
            }

            values[definition.Name] = new ArgumentValue(ReadArgument(definition, new YamlScalar(definition.Default, true, ownerLocation), owner), ownerLocation);
        }

        return ok && !failed ? values : null;
    }

    private object? ReadArgument(ArgumentDefinition definition, YamlValue node, string owner)
    {
        var name = definition.Name + " of " + owner;
        switch (definition.Kind)
        {
            case ArgumentKind.IntegerList:
                if (node is not YamlList list)
                {
                    return Invalid(name, definition.Kind, node, node is YamlScalar { IsPlain: true } ? $" (write a list, e.g. '[{((YamlScalar)node).Text}]')" : null);
                }

                var widths = ImmutableArray.CreateBuilder<int>(list.Items.Count);
                foreach (var item in list.Items)
                {
                    if (ParseInteger(item, 1, 1_000_000) is not { } width)
                    {
                        return Invalid(name, definition.Kind, item, null);
                    }

                    widths.Add(width);
                }

                if (widths.Count == 0)
                {
                    return Invalid(name, definition.Kind, node, " (an empty list; use no 'model' key for logistic regression)");
                }

                return widths.ToImmutable();

            case ArgumentKind.Boolean:
                return node is YamlScalar { IsPlain: true } flag && flag.Text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
                    ? flag.Text.Equals("true", StringComparison.OrdinalIgnoreCase)
                    : Invalid(name, definition.Kind, node, null);

            case ArgumentKind.Activation:
                if (node is YamlScalar { IsPlain: true } word && Enum.GetNames(typeof(ActivationFunction)).FirstOrDefault(n => n.ToLowerInvariant() == word.Text) is { } function)
                {
                    return Enum.Parse(typeof(ActivationFunction), function);
                }

                var suggestion = node is YamlScalar text ? EditDistance.Closest(text.Text, Enum.GetNames(typeof(ActivationFunction)).Select(n => n.ToLowerInvariant())) : null;
                return Invalid(name, definition.Kind, node, suggestion is null ? null : $" (did you mean '{suggestion}'?)");

            case ArgumentKind.Probability:
                return node is YamlScalar { IsPlain: true } number
                    && double.TryParse(number.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p)
                    && p >= 0 && p < 1
                    ? (p == 0 ? 0.0 : p)
                    : Invalid(name, definition.Kind, node, null);

            default:
                var (minimum, maximum) = definition.Kind switch
                {
                    ArgumentKind.Size => (1, 1_000_000),
                    ArgumentKind.Kernel => (1, 1_000),
                    _ => (0, 1_000),
                };
                return ParseInteger(node, minimum, maximum) is { } integer ? integer : Invalid(name, definition.Kind, node, null);
        }
    }

    private static int? ParseInteger(YamlValue node, int minimum, int maximum) =>
        node is YamlScalar { IsPlain: true } scalar
        && long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
        && value >= minimum && value <= maximum
            ? (int)value
            : null;

    private object? Invalid(string name, ArgumentKind kind, YamlValue node, string? hint)
    {
        var expectation = kind switch
        {
            ArgumentKind.IntegerList => "a list of positive whole numbers, e.g. [256, 128]",
            ArgumentKind.Boolean => "true or false",
            ArgumentKind.Activation => "one of " + string.Join(", ", Enum.GetNames(typeof(ActivationFunction)).Select(n => "'" + n.ToLowerInvariant() + "'")),
            ArgumentKind.Probability => "a number from 0 to 1 (exclusive)",
            ArgumentKind.Size => "a whole number from 1 to 1000000",
            ArgumentKind.Kernel => "a whole number from 1 to 1000",
            _ => "a whole number from 0 to 1000",
        };
        Fail(DiagnosticDescriptors.InvalidValue, node.Location, name, expectation, node.Describe() + hint);
        return null;
    }

    private void UnknownKey(YamlEntry entry, string name, ImmutableArray<string> valid)
    {
        var suggestion = EditDistance.Closest(entry.Key, valid);
        Fail(DiagnosticDescriptors.UnknownKey, entry.KeyLocation, name, suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)", string.Join(", ", valid));
    }

    private void Fail(DiagnosticDescriptor descriptor, SourceLocation location, params string[] arguments)
    {
        failed = true;
        report(descriptor, location, arguments);
    }

    private static string Family(LayerSpec layer) => layer switch
    {
        LinearLayerSpec => "fc",
        Conv2dLayerSpec => "conv",
        Pool2dLayerSpec => "pool",
        BatchNormLayerSpec => "bn",
        DropoutLayerSpec => "dropout",
        FlattenLayerSpec => "flatten",
        ActivationLayerSpec activation => Name(activation.Function),
        _ => "layer",
    };

    private static string Short(LayerSpec layer) => layer switch
    {
        LinearLayerSpec linear => "fc" + I(linear.OutFeatures),
        Conv2dLayerSpec conv => "conv" + I(conv.OutChannels),
        Pool2dLayerSpec pool => pool.IsMax ? "pool" : "avgpool",
        _ => layer.Display,
    };

    private static string Name(ActivationFunction function) => function.ToString().ToLowerInvariant();

    public static string ShapeText(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape.Select(I)) + "]";

    private static int Product(IEnumerable<int> shape) => shape.Aggregate(1, (product, size) => product * size);

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record ArgumentValue(object? Value, SourceLocation Location);
}

/// <summary>What a layer argument holds.</summary>
internal enum ArgumentKind
{
    /// <summary>A count of features or channels: 1 to 1,000,000.</summary>
    Size,

    /// <summary>A kernel or stride: 1 to 1,000.</summary>
    Kernel,

    /// <summary>Padding: 0 to 1,000.</summary>
    Padding,

    /// <summary>A dropout probability in [0, 1).</summary>
    Probability,

    Boolean,

    Activation,

    /// <summary>A list of sizes (an MLP's hidden widths).</summary>
    IntegerList,
}

/// <summary>One argument of a layer type; a null <paramref name="Default"/> means required (stride defaults to the kernel).</summary>
internal sealed record ArgumentDefinition(string Name, ArgumentKind Kind, string? Default, string Summary);

/// <summary>One layer type of <c>model.layers</c>.</summary>
/// <param name="Name">The type as written in YAML.</param>
/// <param name="Primary">The argument a scalar value sets (<c>- linear: 10</c>), or null.</param>
/// <param name="Arguments">The arguments it takes.</param>
/// <param name="Summary">What it does, and its shape rule.</param>
internal sealed record LayerType(string Name, string? Primary, ImmutableArray<ArgumentDefinition> Arguments, string Summary);

/// <summary>The layer types: the parser, the JSON schema and the README's layer reference read this table.</summary>
internal static class LayerTypes
{
    private static readonly ArgumentDefinition Bias = new("bias", ArgumentKind.Boolean, "true", "Whether the layer adds a learned bias.");

    public static readonly ImmutableArray<LayerType> All = ImmutableArray.Create(
        new LayerType("linear", "features", ImmutableArray.Create(new ArgumentDefinition("features", ArgumentKind.Size, null, "The number of outputs."), Bias), "A fully connected layer: [features in] -> [features]. Needs a flat input (flatten first)."),
        new LayerType("conv2d", null, ImmutableArray.Create(
            new ArgumentDefinition("channels", ArgumentKind.Size, null, "The number of output channels (filters)."),
            new ArgumentDefinition("kernel", ArgumentKind.Kernel, null, "The square kernel's side."),
            new ArgumentDefinition("stride", ArgumentKind.Kernel, "1", "The step between two applications of the kernel."),
            new ArgumentDefinition("padding", ArgumentKind.Padding, "0", "Zeros added on every side of the input."),
            Bias), "A 2-D convolution: [C, H, W] -> [channels, (H + 2 padding - kernel) / stride + 1, same for W]."),
        new LayerType("maxpool2d", "kernel", PoolArguments(), "Max pooling: [C, H, W] -> [C, (H + 2 padding - kernel) / stride + 1, same for W]; stride defaults to the kernel."),
        new LayerType("avgpool2d", "kernel", PoolArguments(), "Average pooling; the same shape rule as maxpool2d."),
        new LayerType("flatten", null, ImmutableArray<ArgumentDefinition>.Empty, "[C, H, W] -> [C x H x W]; nothing on a flat input."),
        new LayerType("relu", null, ImmutableArray<ArgumentDefinition>.Empty, "max(0, x); keeps the shape."),
        new LayerType("gelu", null, ImmutableArray<ArgumentDefinition>.Empty, "The Gaussian error linear unit; keeps the shape."),
        new LayerType("tanh", null, ImmutableArray<ArgumentDefinition>.Empty, "The hyperbolic tangent; keeps the shape."),
        new LayerType("sigmoid", null, ImmutableArray<ArgumentDefinition>.Empty, "The logistic function; keeps the shape."),
        new LayerType("dropout", "p", ImmutableArray.Create(new ArgumentDefinition("p", ArgumentKind.Probability, null, "The probability of zeroing each element while training.")), "Zeroes each element with probability p while training (scaling the rest by 1 / (1 - p)); nothing in evaluation. Keeps the shape."),
        new LayerType("batchnorm1d", null, ImmutableArray<ArgumentDefinition>.Empty, "Batch normalization of a flat input [features]; keeps the shape."),
        new LayerType("batchnorm2d", null, ImmutableArray<ArgumentDefinition>.Empty, "Batch normalization of each channel of an image [C, H, W]; keeps the shape."));

    public static LayerType? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    private static ImmutableArray<ArgumentDefinition> PoolArguments() => ImmutableArray.Create(
        new ArgumentDefinition("kernel", ArgumentKind.Kernel, null, "The square window's side."),
        new ArgumentDefinition("stride", ArgumentKind.Kernel, null, "The step between two windows (default: the kernel)."),
        new ArgumentDefinition("padding", ArgumentKind.Padding, "0", "Padding on every side, at most half the kernel."));
}
