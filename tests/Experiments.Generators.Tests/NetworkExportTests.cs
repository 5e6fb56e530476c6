using System.Globalization;
using Experiments.Checkpoints;
using Experiments.Export;
using Experiments.Generators.Tests.Infrastructure;
using Experiments.Models;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Generators.Tests;

/// <summary>
/// The generated <c>Network</c> of a model says exactly what its generated <c>forward</c> computes: for many random
/// valid layer stacks (seeded, so a failure repeats), plus the linear model with and without
/// <c>outputActivation: softmax</c>, the ONNX model exported from the network and the model's own random weights
/// (batch norm's statistics, scales and shifts made random too) gives, in ONNX Runtime, what the compiled generated
/// class gives in evaluation mode, within 1e-5, on random raw pixels standardized with random statistics; and the
/// <see cref="NetworkModel"/> of the network (what <c>predict</c> builds from a checkpoint) has the generated class's
/// <c>state_dict()</c> names and shapes, in the same order, and computes its output bit for bit.
/// </summary>
public sealed class NetworkExportTests
{
    private const int Stacks = 30;
    private const int Examples = 64;

    [Fact]
    public void Exports_of_random_stacks_compute_what_the_generated_forward_computes()
    {
        var files = Enumerable.Range(0, Stacks)
            .Select(i => GeneratorHarness.File($"stack{i}.yaml", GeneratorHarness.ValidYaml + ModelTests.RandomStack(new Random(2000 + i)) + (i % 5 == 0 ? "outputActivation: softmax\n" : "")))
            .Append(GeneratorHarness.File("linear.yaml", GeneratorHarness.ValidYaml))
            .Append(GeneratorHarness.File("softmax.yaml", GeneratorHarness.ValidYaml + "outputActivation: softmax\n"))
            .ToArray();
        var run = GeneratorHarness.Run(files);
        var assembly = ModelTests.Load(run.AssertCompilesClean());
        var experiments = assembly.GetTypes()
            .Where(t => typeof(IExperiment).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (IExperiment)Activator.CreateInstance(t)!)
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        Assert.Equal(Stacks + 2, experiments.Count);

        var random = new Random(7);
        foreach (var experiment in experiments)
        {
            var network = experiment.Network;
            Assert.NotNull(network);
            Assert.Equal([1, 28, 28], network.InputShape);
            using var scope = NewDisposeScope();
            torch.manual_seed(random.Next());
            using var model = experiment.CreateModel();
            Randomize(model);
            model.eval();
            var mean = Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble() * 0.5f).ToArray();
            var std = Enumerable.Range(0, 784).Select(_ => 0.25f + (float)random.NextDouble()).ToArray();
            var inputs = new InputTransform([1, 28, 28], 255, false, mean, std);
            var raw = Enumerable.Range(0, Examples * 784).Select(_ => (float)random.Next(256)).ToArray();
            float[] expected;
            float[] fromNetwork;
            (string, string)[] networkTensors;
            using (no_grad())
            using (var networkModel = new NetworkModel(network))
            {
                // The module predict builds from a checkpoint's network, with the generated model's weights.
                networkTensors = [.. networkModel.state_dict().Select(p => (p.Key, string.Join(",", p.Value.shape)))];
                networkModel.load_state_dict(model.state_dict(), strict: true);
                networkModel.eval();
                var standardized = inputs.Apply(tensor(raw).reshape(Examples, 1, 28, 28));
                expected = model.forward(standardized).contiguous().data<float>().ToArray();
                fromNetwork = networkModel.forward(standardized).contiguous().data<float>().ToArray();
            }

            var proto = OnnxExporter.Export(network, inputs, model.state_dict(), new OnnxModelInfo(experiment.Name, [.. Enumerable.Range(0, 10).Select(c => c.ToString(CultureInfo.InvariantCulture))]));
            var (logits, probabilities) = RunOnnx(proto.ToByteArray(), raw);
            var what = $"{experiment.Name} ({experiment.Architecture.Architecture}: {string.Join(", ", experiment.Architecture.Layers.Select(l => l.Type))})";
            Assert.True(expected.SequenceEqual(fromNetwork), $"{what}: the NetworkModel of its network computes another output than its generated forward");
            Assert.Equal(model.state_dict().Select(p => (p.Key, string.Join(",", p.Value.shape))), networkTensors);
            AssertClose(expected, network.OutputSoftmax ? probabilities : logits, what);
        }
    }

    [Fact]
    public void The_model_class_lists_the_steps_of_forward_with_their_state_dict_names_and_the_experiment_returns_them()
    {
        var yaml = GeneratorHarness.ValidYaml + "model:\n  layers:\n    - conv2d: {channels: 4, kernel: 3, padding: 1}\n    - batchnorm2d\n    - gelu\n"
            + "    - avgpool2d: 2\n    - flatten\n    - dropout: 0.5\n    - linear: {features: 10, bias: false}\noutputActivation: softmax\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("net.yaml", yaml));
        run.AssertCompilesClean();
        Assert.Contains(
            """
                public static Network Network { get; } = new(
                    new[] { 1, 28, 28 },
                    new NetworkLayer[]
                    {
                        new ReshapeLayer("reshape", new[] { 1, 28, 28 }),
                        new Conv2dLayer("conv1", InChannels: 1, OutChannels: 4, Kernel: 3, Stride: 1, Padding: 1, Bias: true),
                        new BatchNormLayer("bn1", Features: 4, IsImage: true, Epsilon: 1E-05, Momentum: 0.1),
                        new ActivationLayer("gelu1", ActivationKind.Gelu),
                        new Pool2dLayer("pool1", PoolKind.Average, Kernel: 2, Stride: 2, Padding: 0),
                        new FlattenLayer("flatten1"),
                        new DropoutLayer("dropout1", P: 0.5),
                        new LinearLayer("fc1", InFeatures: 784, OutFeatures: 10, Bias: false),
                    },
                    OutputSoftmax: true);
            """.ReplaceLineEndings("\n"),
            run.Source("NetModel.g.cs"),
            StringComparison.Ordinal);
        Assert.Contains("public global::Experiments.Models.Network? Network => NetModel.Network;", run.Source("Net.Experiment.g.cs"), StringComparison.Ordinal);
    }

    /// <summary>Random batch norm statistics, scales and shifts (fresh ones are 0 and 1, which would hide a swap).</summary>
    private static void Randomize(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in model.state_dict())
        {
            if (name.EndsWith(".running_mean", StringComparison.Ordinal) || (name.Contains("bn", StringComparison.Ordinal) && name.EndsWith(".bias", StringComparison.Ordinal)))
            {
                value.copy_(randn_like(value) * 0.5);
            }
            else if (name.EndsWith(".running_var", StringComparison.Ordinal) || (name.Contains("bn", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)))
            {
                value.copy_(rand_like(value) + 0.5);
            }
        }
    }

    private static (float[] Logits, float[] Probabilities) RunOnnx(byte[] model, float[] raw)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var input = OrtValue.CreateTensorValueFromMemory(raw, [Examples, 784]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)expected[i] - actual[i]);
            Assert.True(difference <= 1e-5, string.Create(CultureInfo.InvariantCulture, $"{what}: output {i} is {actual[i]} in ONNX Runtime but {expected[i]} in TorchSharp"));
        }
    }
}
