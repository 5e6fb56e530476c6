using System.Globalization;
using System.Reflection;
using Experiments.Generators.Model;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Generators.Tests;

/// <summary>
/// The <c>model</c> key: every mistake is one diagnostic at the key, layer or argument at fault, with the shapes in
/// the message; a valid stack compiles to a model class whose shapes and parameter count are what TorchSharp computes;
/// and a file gets one model class per distinct model.
/// </summary>
public sealed class ModelTests
{
    /// <summary>The line of the file the first layer is on: the valid keys (7 lines), then <c>model:</c> and <c>layers:</c>.</summary>
    private const int FirstLayerLine = 10;

    private const string LayerTypeList = "linear, conv2d, maxpool2d, avgpool2d, flatten, relu, gelu, tanh, sigmoid, dropout, batchnorm1d, batchnorm2d";

    public static TheoryData<string[], string, int, int, string> LayerMistakes => new()
    {
        {
            ["- conv2: { channels: 32, kernel: 3 }", "- flatten", "- linear: 10"], "EXP0023", 10, 7,
            $"Unknown layer type 'conv2' (did you mean 'conv2d'?); layer types are: {LayerTypeList}"
        },
        {
            ["- flatten", "- lineer: 10"], "EXP0023", 11, 7,
            $"Unknown layer type 'lineer' (did you mean 'linear'?); layer types are: {LayerTypeList}"
        },
        {
            ["- conv2d: { chanels: 32, kernel: 3 }", "- flatten", "- linear: 10"], "EXP0002", 10, 17,
            "Unknown key 'chanels of layer 1 (conv2d)' (did you mean 'channels'?); valid keys are: channels, kernel, stride, padding, bias"
        },
        {
            ["- conv2d: { channels: many, kernel: 3 }", "- flatten", "- linear: 10"], "EXP0003", 10, 27,
            "channels of layer 1 (conv2d) must be a whole number from 1 to 1000000, but is 'many'"
        },
        {
            ["- flatten", "- linear: { features: 10, bias: yes }"], "EXP0003", 11, 37,
            "bias of layer 2 (linear) must be true or false, but is 'yes'"
        },
        {
            ["- flatten", "- dropout: 1", "- linear: 10"], "EXP0003", 11, 16,
            "p of layer 2 (dropout) must be a number from 0 to 1 (exclusive), but is '1'"
        },
        {
            ["- flatten", "- dropout: { p: -0.1 }", "- linear: 10"], "EXP0003", 11, 21,
            "p of layer 2 (dropout) must be a number from 0 to 1 (exclusive), but is '-0.1'"
        },
        {
            ["- conv2d: { channels: 8, kernel: 32 }", "- flatten", "- linear: 10"], "EXP0024", 10, 38,
            "Layer 1 (conv2d 8 32x32) has a 32x32 kernel, larger than its input [1, 28, 28] (the dataset's images)"
        },
        {
            ["- conv2d: { channels: 8, kernel: 3 }", "- maxpool2d: 2", "- conv2d: { channels: 8, kernel: 16, padding: 1 }", "- flatten", "- linear: 10"], "EXP0024", 12, 38,
            "Layer 3 (conv2d 8 16x16 padding 1) has a 16x16 kernel, larger than its input [8, 13, 13] (the output of pool1) padded by 1 to 15x15"
        },
        {
            ["- maxpool2d: 4", "- maxpool2d: 4", "- maxpool2d: 2", "- flatten", "- linear: 10"], "EXP0024", 12, 18,
            "Layer 3 (maxpool2d 2x2) has a 2x2 kernel, larger than its input [1, 1, 1] (the output of pool2)"
        },
        {
            ["- conv2d: { channels: 8, kernel: 3 }", "- linear: 10"], "EXP0024", 11, 15,
            "Layer 2 (linear 10) needs a flat input [features]; its input is [8, 26, 26] (the output of conv1): add '- flatten' before it"
        },
        {
            ["- flatten", "- conv2d: { channels: 8, kernel: 3 }", "- linear: 10"], "EXP0024", 11, 38,
            "Layer 2 (conv2d 8 3x3) needs an image [channels, height, width]; its input is [784] (the output of flatten1); put convolutions before '- flatten'"
        },
        {
            ["- flatten", "- batchnorm2d", "- linear: 10"], "EXP0024", 11, 7,
            "Layer 2 (batchnorm2d) needs an image [channels, height, width]; its input is [784] (the output of flatten1); use batchnorm1d on a flat input"
        },
        {
            ["- maxpool2d: { kernel: 2, padding: 2 }", "- flatten", "- linear: 10"], "EXP0024", 10, 28,
            "Layer 1 (maxpool2d 2x2 padding 2) has padding 2, but pooling allows at most half its kernel (1)"
        },
        {
            ["- flatten", "- linear: 12"], "EXP0025", 11, 15,
            "The model outputs [12] per example, but must output [10] (numClasses: one logit per class); the last layer, fc1, must have 10 features"
        },
        {
            ["- conv2d: { channels: 8, kernel: 3 }", "- relu"], "EXP0025", 11, 7,
            "The model outputs [8, 26, 26] per example, but must output [10] (numClasses: one logit per class); end the layers with '- flatten' and '- linear: 10'"
        },
        {
            ["- flatten", "- linear: 64", "- relu"], "EXP0025", 12, 7,
            "The model outputs [64] per example, but must output [10] (numClasses: one logit per class); end the layers with '- linear: 10'"
        },
        {
            ["- conv2d:", "  channels: 32", "  kernel: 3", "- flatten", "- linear: 10"], "EXP0022", 11, 7,
            "Layer 1 holds the keys 'conv2d' and 'channels', but a layer is one key; indent 'channels' under 'conv2d', or write '- conv2d: { channels: ... }'"
        },
        {
            ["- relu: 3", "- flatten", "- linear: 10"], "EXP0022", 10, 13,
            "Layer 1: 'relu' takes no arguments: write '- relu', not '3'"
        },
        {
            ["- conv2d: 32", "- flatten", "- linear: 10"], "EXP0022", 10, 15,
            "Layer 1: the arguments of 'conv2d' are a mapping such as 'conv2d: { channels: ..., kernel: ... }', not '32'"
        },
    };

    public static TheoryData<string, string, int, int, string> ModelMistakes => new()
    {
        {
            "model:\n  mlp:\n    hidden: 128\n", "EXP0003", 10, 13,
            "hidden of model.mlp must be a list of positive whole numbers, e.g. [256, 128], but is '128' (write a list, e.g. '[128]')"
        },
        {
            "model:\n  mlp:\n    hidden: []\n", "EXP0003", 10, 13,
            "hidden of model.mlp must be a list of positive whole numbers, e.g. [256, 128], but is a list (an empty list; use no 'model' key for logistic regression)"
        },
        {
            "model:\n  mlp:\n    hidden: [128, 0]\n", "EXP0003", 10, 19,
            "hidden of model.mlp must be a list of positive whole numbers, e.g. [256, 128], but is '0'"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\n    activation: relu6\n", "EXP0003", 11, 17,
            "activation of model.mlp must be one of 'relu', 'gelu', 'tanh', 'sigmoid', but is 'relu6' (did you mean 'relu'?)"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\n    activaton: relu\n", "EXP0002", 11, 5,
            "Unknown key 'activaton of model.mlp' (did you mean 'activation'?); valid keys are: hidden, activation, dropout, batchNorm"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\n    dropout: 1.5\n", "EXP0003", 11, 14,
            "dropout of model.mlp must be a number from 0 to 1 (exclusive), but is '1.5'"
        },
        {
            "model:\n  mlp:\n    activation: relu\n", "EXP0004", 9, 3,
            "Required key 'hidden of model.mlp' is missing (The width of each hidden layer, input side first, e.g. [256, 128].)"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\n  layers: [flatten, {linear: 10}]\n", "EXP0022", 11, 3,
            "model holds both 'mlp' and 'layers'; a model is described by one of 'mlp', 'layers' or 'class'"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\n  args: {a: 1}\n", "EXP0022", 11, 3,
            "'args' are the constructor arguments of a 'class'; the arguments of 'mlp' go under it"
        },
        {
            "model: {}\n", "EXP0022", 8, 8,
            "model must hold one of 'mlp' (a multi-layer perceptron), 'layers' (a list of layers) or 'class' (your own module)"
        },
        {
            "model: mlp\n", "EXP0022", 8, 8,
            "model must be a mapping that holds one of 'mlp', 'layers' or 'class' (for example 'model: { mlp: { hidden: [128] } }'), but is 'mlp'"
        },
        {
            "model:\n  mlp: {hidden: [128]}\n  sise: 3\n", "EXP0002", 10, 3,
            "Unknown key 'model.sise'; valid keys are: mlp, layers, class, args"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\nsweep:\n  model.mlp.hiddn.x: [1, 2]\n", "EXP0026", 12, 3,
            "sweep key 'model.mlp.hiddn.x' does not lead into the model: model.mlp has no key 'hiddn' (did you mean 'hidden'?)"
        },
        {
            "model:\n  mlp:\n    hidden: [128]\nsweep:\n  model.layers.0.conv2d.channels: [1, 2]\n", "EXP0026", 12, 3,
            "sweep key 'model.layers.0.conv2d.channels' does not lead into the model: model has no key 'layers'"
        },
        {
            "model:\n  layers: [{conv2d: {channels: 8, kernel: 3}}, flatten, {linear: 10}]\nsweep:\n  model.layers.3.linear: [10, 20]\n", "EXP0026", 11, 3,
            "sweep key 'model.layers.3.linear' does not lead into the model: model.layers is a list of 3, so the step after it must be an index from 0 to 2, not '3'"
        },
        {
            "model:\n  layers: [{conv2d: {channels: 8, kernel: 3}}, relu, flatten, {linear: 10}]\nsweep:\n  model.layers.1.conv2d.channels: [4, 8]\n", "EXP0026", 11, 3,
            "sweep key 'model.layers.1.conv2d.channels' does not lead into the model: model.layers.1 is 'relu', which holds no 'conv2d'"
        },
        {
            // A last step that is not in the model adds that key (to sweep an argument left at its default), so a
            // misspelt one is an unknown argument: reported once, at the sweep's key, not once per value.
            "model:\n  mlp:\n    hidden: [128]\nsweep:\n  model.mlp.hiden: [[64], [128]]\n", "EXP0002", 12, 3,
            "Unknown key 'hiden of model.mlp' (did you mean 'hidden'?); valid keys are: hidden, activation, dropout, batchNorm"
        },
        {
            "sweep:\n  model.mlp.hidden: [[1], [2]]\n", "EXP0026", 9, 3,
            "sweep key 'model.mlp.hidden' is a path into the model, but this experiment sets no 'model' (it is one linear layer)"
        },
        {
            // A swept value is checked once put in: the kernel of 40 is reported at the value that brings it.
            "model:\n  layers: [{conv2d: {channels: 8, kernel: 3}}, flatten, {linear: 10}]\nsweep:\n  model.layers.0.conv2d.kernel: [3, 40]\n", "EXP0024", 11, 37,
            "Layer 1 (conv2d 8 40x40) has a 40x40 kernel, larger than its input [1, 28, 28] (the dataset's images)"
        },
    };

    [Theory]
    [MemberData(nameof(LayerMistakes))]
    public void A_bad_layer_is_one_diagnostic_at_the_layer_or_argument_at_fault(string[] layers, string id, int line, int column, string message)
    {
        var text = GeneratorHarness.ValidYaml + "model:\n  layers:\n" + string.Concat(layers.Select(l => "    " + l + "\n"));
        Assert.Equal(FirstLayerLine, text.Split('\n').ToList().FindIndex(l => l.StartsWith("    - ", StringComparison.Ordinal)) + 1);

        AssertSingle(text, id, line, column, message);
    }

    [Theory]
    [MemberData(nameof(ModelMistakes))]
    public void A_bad_model_or_model_sweep_is_one_diagnostic_at_the_key_at_fault(string model, string id, int line, int column, string message)
    {
        // Only the member of a sweep that breaks a rule is left out; the member with a kernel of 3 is generated.
        string[] generated = model.Contains("[3, 40]", StringComparison.Ordinal)
            ? [GeneratorHarness.CatalogHintName, "M.Sweep.g.cs", "MModel.g.cs", "M_Kernel3.Experiment.g.cs"]
            : [GeneratorHarness.CatalogHintName];
        AssertSingle(GeneratorHarness.ValidYaml + model, id, line, column, message, generated);
    }

    [Fact]
    public void A_layer_without_its_required_arguments_names_each_one()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("m.yaml", GeneratorHarness.ValidYaml + "model:\n  layers:\n    - conv2d\n    - flatten\n    - linear: 10\n"));

        var diagnostics = run.AssertGeneratorDidNotThrow();
        Assert.Equal(
            [
                "Required key 'channels of layer 1 (conv2d)' is missing (The number of output channels (filters).)",
                "Required key 'kernel of layer 1 (conv2d)' is missing (The square kernel's side.)",
            ],
            diagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
        Assert.All(diagnostics, d => DiagnosticTests.AssertAt(d, "m.yaml", line: 10, column: 7));
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Fact]
    public void The_shipped_shapes_of_the_seed_examples_are_inferred_from_the_datasets_image()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("cnn.yaml", GeneratorHarness.ValidYaml + "model:\n  layers:\n    - conv2d: { channels: 32, kernel: 3, stride: 1, padding: 1 }\n    - relu\n    - maxpool2d: 2\n    - flatten\n    - dropout: 0.25\n    - linear: 10\n"));
        run.AssertCompilesClean();

        var spec = Assert.IsType<LayerStackSpec>(Assert.Single(Models(run)).Model);
        Assert.Equal(
            ["conv1 [32, 28, 28]", "relu1 [32, 28, 28]", "pool1 [32, 14, 14]", "flatten1 [6272]", "dropout1 [6272]", "fc1 [10]"],
            spec.Layers.Select(l => l.Name + " " + ModelParser.ShapeText(l.OutputShape.AsImmutableArray())));
        Assert.Equal((32 * 9) + 32 + (6272 * 10) + 10, spec.ParameterCount);
        Assert.Contains("public const long ParameterCount = 63050L;", run.Source("CnnModel.g.cs"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Batch norm layers are the framework's own modules (whose training forward keeps its numbers alive for libtorch),
    /// written as the other layers are, with PyTorch's state_dict names.
    /// </summary>
    [Fact]
    public void Batch_norm_layers_are_the_frameworks_modules_with_PyTorchs_state()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("bn.yaml", GeneratorHarness.ValidYaml + "model:\n  layers:\n    - conv2d: {channels: 4, kernel: 3, padding: 1}\n    - batchnorm2d\n    - flatten\n    - linear: 8\n    - batchnorm1d\n    - linear: 10\n"));
        var compilation = run.AssertCompilesClean();
        var source = run.Source("BnModel.g.cs");

        Assert.Contains("using BatchNorm1d = global::Experiments.Models.BatchNorm1d;", source, StringComparison.Ordinal);
        Assert.Contains("using BatchNorm2d = global::Experiments.Models.BatchNorm2d;", source, StringComparison.Ordinal);
        Assert.Contains("    private readonly BatchNorm2d bn1;\n", source, StringComparison.Ordinal);
        Assert.Contains("    private readonly BatchNorm1d bn2;\n", source, StringComparison.Ordinal);
        Assert.Contains("        bn1 = new BatchNorm2d(4, eps: 1E-05, momentum: 0.1);\n", source, StringComparison.Ordinal);
        Assert.Contains("        bn2 = new BatchNorm1d(8, eps: 1E-05, momentum: 0.1);\n", source, StringComparison.Ordinal);
        Assert.DoesNotContain("TorchSharp.Modules.BatchNorm", source, StringComparison.Ordinal);

        using var model = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(Load(compilation).GetType("Experiments.Generated.BnModel")!)!;
        var norms = model.named_children().Where(c => c.name.StartsWith("bn", StringComparison.Ordinal)).ToList();
        Assert.Equal([typeof(Experiments.Models.BatchNorm2d), typeof(Experiments.Models.BatchNorm1d)], norms.Select(c => c.module.GetType()));
        Assert.Equal(
            ["bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"],
            model.state_dict().Keys.Where(k => k.StartsWith("bn1.", StringComparison.Ordinal)));
        Assert.Equal(ScalarType.Int64, model.state_dict()["bn2.num_batches_tracked"].dtype);
        using var output = model.call(torch.randn(4, 784));
        Assert.Equal(1L, model.state_dict()["bn2.num_batches_tracked"].item<long>()); // a training forward counted the batch
    }

    /// <summary>
    /// For many random valid stacks (seeded, so a failure repeats), the generated model classes compile together, and
    /// each class's ParameterCount and each layer's output shape and parameters are what TorchSharp gives when the same
    /// layers run a dummy batch [2, 784]; the compiled class itself, loaded and run, agrees too.
    /// </summary>
    [Fact]
    public void Random_valid_stacks_compile_and_their_shapes_and_parameters_are_what_TorchSharp_computes()
    {
        const int Stacks = 40;
        var files = Enumerable.Range(0, Stacks)
            .Select(i => GeneratorHarness.File($"stack{i}.yaml", GeneratorHarness.ValidYaml + RandomStack(new Random(1000 + i))))
            .ToArray();
        var run = GeneratorHarness.Run(files);
        var compilation = run.AssertCompilesClean();

        var models = Models(run).ToDictionary(m => m.TypeName);
        Assert.Equal(Stacks, models.Count);
        var assembly = Load(compilation);
        torch.manual_seed(0);
        using var scope = torch.NewDisposeScope();
        foreach (var (typeName, model) in models)
        {
            var spec = Assert.IsType<LayerStackSpec>(model.Model);
            var context = $"{typeName}: {spec.Description} ({string.Join("; ", spec.Layers.Select(l => l.Canonical))})";

            // The same layers, built from the spec and run one by one.
            var x = torch.zeros(2, 784).reshape(2, 1, 28, 28);
            long total = 0;
            foreach (var layer in spec.Layers)
            {
                using var module = Recreate(layer);
                module.eval();
                x = module.call(x);
                var parameters = module.parameters().Sum(p => p.numel());
                total += parameters;
                Assert.True(x.shape.Skip(1).SequenceEqual(layer.OutputShape.Select(s => (long)s)), $"{context}: {layer.Name} outputs [{string.Join(", ", x.shape)}], the spec says {ModelParser.ShapeText(layer.OutputShape.AsImmutableArray())}");
                Assert.True(parameters == layer.Parameters, $"{context}: {layer.Name} has {parameters} parameters, the spec says {layer.Parameters}");
            }

            Assert.Equal(spec.ParameterCount, total);
            Assert.Equal([2L, 10L], x.shape);

            // The generated class: its constant, its parameters and its output.
            var type = assembly.GetType("Experiments.Generated." + typeName)!;
            Assert.Equal(spec.ParameterCount, (long)type.GetField("ParameterCount")!.GetValue(null)!);
            using var generated = (nn.Module<Tensor, Tensor>)Activator.CreateInstance(type)!;
            generated.eval();
            Assert.Equal(spec.ParameterCount, generated.parameters().Sum(p => p.numel()));
            Assert.Equal([2L, 10L], generated.call(torch.zeros(2, 784)).shape);
        }
    }

    [Fact]
    public void Members_that_differ_only_in_training_keys_share_one_model_class()
    {
        var text = Without("learningRate") + "model: {mlp: {hidden: [64]}}\nsweep:\n  learningRate: [0.1, 0.2]\n  seed: [1, 2]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("s.yaml", text));
        run.AssertCompilesClean();

        var model = Assert.Single(Models(run));
        Assert.Equal(("SModel", 4, "s"), (model.TypeName, model.Users, model.UsedBy));
        Assert.Single(run.HintNames, h => h.EndsWith("Model.g.cs", StringComparison.Ordinal));
        Assert.All(Experiments(run), e => Assert.Equal("SModel", e.ModelType));
    }

    [Fact]
    public void A_sweep_over_hidden_sizes_gives_one_model_class_per_size_shared_by_the_other_keys()
    {
        var text = Without("learningRate") + "model: {mlp: {hidden: [64]}}\nsweep:\n  model.mlp.hidden: [[32], [64, 32]]\n  learningRate: [0.1, 0.2]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("s.yaml", text));
        run.AssertCompilesClean();

        Assert.Equal(
            [("s/hidden=32,learningRate=0.1", "SModel1"), ("s/hidden=32,learningRate=0.2", "SModel1"), ("s/hidden=64x32,learningRate=0.1", "SModel2"), ("s/hidden=64x32,learningRate=0.2", "SModel2")],
            Experiments(run).Select(e => (e.Name, e.ModelType!)));
        Assert.Equal(["SModel1", "SModel2"], Models(run).Select(m => m.TypeName));
        Assert.Contains("nn.Linear(784, 32)", run.Source("SModel1.g.cs"), StringComparison.Ordinal);
        Assert.Contains("nn.Linear(32, 10)", run.Source("SModel1.g.cs"), StringComparison.Ordinal);
        Assert.Contains("nn.Linear(64, 32)", run.Source("SModel2.g.cs"), StringComparison.Ordinal);
        Assert.Contains("SModel2", run.Source("S_Hidden64x32_LearningRate0p2.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_over_arguments_that_no_constructor_takes_still_splits_the_model_classes()
    {
        // An activation and a pooling kernel are not fields of the model, but they change its forward, so each value
        // is a class of its own; a layer list's path names the member by its shortest unique tail.
        var text = GeneratorHarness.ValidYaml + "model:\n  layers: [{conv2d: {channels: 4, kernel: 3}}, relu, {maxpool2d: {kernel: 2}}, flatten, {linear: 10}]\nsweep:\n  model.layers.1: [relu, tanh]\n  model.layers.2.maxpool2d.kernel: [2, 13]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("p.yaml", text));
        run.AssertCompilesClean();

        Assert.Equal(4, Models(run).Count);
        Assert.Equal(4, Models(run).Select(m => m.Model).Distinct().Count());
        Assert.Equal(
            ["p/layers.1=relu,kernel=2", "p/layers.1=relu,kernel=13", "p/layers.1=tanh,kernel=2", "p/layers.1=tanh,kernel=13"],
            Experiments(run).Select(e => e.Name));
        Assert.Contains("nn.functional.tanh(x)", run.Source("PModel3.g.cs"), StringComparison.Ordinal);
        Assert.DoesNotContain("tanh", run.Source("PModel1.g.cs"), StringComparison.Ordinal);
        Assert.Contains("max_pool2d(x, 13", run.Source("PModel2.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_with_a_model_replaces_the_bases_model_and_its_model_sweeps()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("base.yaml", GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64]}}\nsweep: {model.mlp.hidden: [[32], [64]]}\n"),
            GeneratorHarness.File("child.yaml", "extends: base.yaml\nmodel: {layers: [flatten, {linear: 10}]}\n"));
        run.AssertCompilesClean();

        var child = Assert.Single(Experiments(run), e => e.Name.StartsWith("child", StringComparison.Ordinal));
        Assert.Equal("child", child.Name);
        Assert.Equal("layers[1, 28, 28]:flatten;linear(784,10,bias)", child.Model.Canonical);
        Assert.Equal(2, Experiments(run).Count(e => e.Name.StartsWith("base/hidden=", StringComparison.Ordinal)));
    }

    private static void AssertSingle(string text, string id, int line, int column, string message, string[]? generated = null)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("m.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal((id, message), (diagnostic.Id, diagnostic.GetMessage(CultureInfo.InvariantCulture)));
        DiagnosticTests.AssertAt(diagnostic, "m.yaml", line, column);
        Assert.Equal(generated ?? [GeneratorHarness.CatalogHintName], run.HintNames.Order(StringComparer.Ordinal));
    }

    private static string Without(string key) =>
        string.Join("\n", GeneratorHarness.ValidLines.Where(l => !l.StartsWith(key + ":", StringComparison.Ordinal))) + "\n";

    internal static List<ModelClassSpec> Models(GeneratorRun run) =>
        run.Result.TrackedSteps[ExperimentGenerator.TrackingNames.Models].SelectMany(s => s.Outputs).Select(o => (ModelClassSpec)o.Value).ToList();

    private static List<ExperimentSpec> Experiments(GeneratorRun run) =>
        run.Result.TrackedSteps[ExperimentGenerator.TrackingNames.Experiments].SelectMany(s => s.Outputs).Select(o => (ExperimentSpec)o.Value).ToList();

    /// <summary>A valid stack on [1, 28, 28]: image layers that never shrink the image below 1x1, flatten, flat layers, linear 10.</summary>
    internal static string RandomStack(Random random)
    {
        var layers = new List<string>();
        int channels = 1, size = 28;
        var imageLayers = random.Next(0, 6);
        for (var i = 0; i < imageLayers; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    {
                        var kernel = random.Next(1, 6);
                        var padding = random.Next(0, (kernel / 2) + 1);
                        if (kernel > size + (2 * padding))
                        {
                            goto default;
                        }

                        var stride = random.Next(1, 3);
                        channels = random.Next(1, 9);
                        var bias = random.Next(4) == 0 ? ", bias: false" : string.Empty;
                        layers.Add($"{{conv2d: {{channels: {channels}, kernel: {kernel}, stride: {stride}, padding: {padding}{bias}}}}}");
                        size = ((size + (2 * padding) - kernel) / stride) + 1;
                        break;
                    }

                case 2:
                    {
                        var kernel = random.Next(1, 4);
                        if (kernel > size)
                        {
                            goto default;
                        }

                        var max = random.Next(2) == 0;
                        var type = max ? "maxpool2d" : "avgpool2d";
                        if (random.Next(2) == 0)
                        {
                            layers.Add($"{{{type}: {kernel}}}");
                            size = ((size - kernel) / kernel) + 1;
                        }
                        else
                        {
                            var stride = random.Next(1, 3);
                            var padding = random.Next(0, (kernel / 2) + 1);
                            layers.Add($"{{{type}: {{kernel: {kernel}, stride: {stride}, padding: {padding}}}}}");
                            size = ((size + (2 * padding) - kernel) / stride) + 1;
                        }

                        break;
                    }

                case 3:
                    layers.Add("batchnorm2d");
                    break;
                case 4:
                    layers.Add($"{{dropout: 0.{random.Next(0, 10)}}}");
                    break;
                default:
                    layers.Add(new[] { "relu", "gelu", "tanh", "sigmoid" }[random.Next(4)]);
                    break;
            }
        }

        layers.Add("flatten");
        var flatLayers = random.Next(0, 5);
        for (var i = 0; i < flatLayers; i++)
        {
            layers.Add(random.Next(5) switch
            {
                0 or 1 => random.Next(2) == 0 ? $"{{linear: {random.Next(1, 33)}}}" : $"{{linear: {{features: {random.Next(1, 33)}, bias: {(random.Next(2) == 0 ? "true" : "false")}}}}}",
                2 => "batchnorm1d",
                3 => $"{{dropout: {{p: 0.{random.Next(0, 10)}}}}}",
                _ => new[] { "relu", "gelu", "tanh", "sigmoid" }[random.Next(4)],
            });
        }

        layers.Add("{linear: 10}");
        return "model:\n  layers: [" + string.Join(", ", layers) + "]\n";
    }

    /// <summary>The TorchSharp module a layer of the spec stands for.</summary>
    private static nn.Module<Tensor, Tensor> Recreate(LayerSpec layer) => layer switch
    {
        LinearLayerSpec linear => nn.Linear(linear.InFeatures, linear.OutFeatures, hasBias: linear.Bias),
        Conv2dLayerSpec conv => nn.Conv2d(conv.InChannels, conv.OutChannels, conv.Kernel, stride: conv.Stride, padding: conv.Padding, bias: conv.Bias),
        Pool2dLayerSpec { IsMax: true } pool => nn.MaxPool2d(pool.Kernel, pool.Stride, pool.Padding),
        Pool2dLayerSpec pool => nn.AvgPool2d(pool.Kernel, pool.Stride, pool.Padding),
        FlattenLayerSpec => nn.Flatten(),
        DropoutLayerSpec dropout => nn.Dropout(dropout.P),
        BatchNormLayerSpec { IsImage: true } norm => nn.BatchNorm2d(norm.Features),
        BatchNormLayerSpec norm => nn.BatchNorm1d(norm.Features),
        ActivationLayerSpec { Function: ActivationFunction.Relu } => nn.ReLU(),
        ActivationLayerSpec { Function: ActivationFunction.Gelu } => nn.GELU(),
        ActivationLayerSpec { Function: ActivationFunction.Tanh } => nn.Tanh(),
        ActivationLayerSpec => nn.Sigmoid(),
        _ => throw new NotSupportedException(layer.GetType().Name),
    };

    internal static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
