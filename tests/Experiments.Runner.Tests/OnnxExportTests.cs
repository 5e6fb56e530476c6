using System.Globalization;
using Experiments.Checkpoints;
using Experiments.Export;
using Experiments.History;
using Microsoft.ML.OnnxRuntime;
using Spectre.Console.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Runner.Tests;

/// <summary>
/// <c>export-model</c> on trained checkpoints: each exported model, run by ONNX Runtime on the whole MNIST test set
/// (10,000 raw images), gives every output within 1e-5 of the TorchSharp model in evaluation mode (the experiment's
/// generated class and the <see cref="Experiments.Models.NetworkModel"/> of the checkpoint's network, which agree bit for bit) and
/// the same accuracy; a user module, a missing or changed checkpoint, an unknown format and an unwritable output are refused
/// with a message that names what is wrong.
/// </summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class OnnxExportTests(TrainedModelsFixture fixture) : IDisposable
{
    /// <summary>
    /// The bound on |ONNX Runtime - TorchSharp| for every output. Measured worst differences (the two libraries
    /// sum the dot products in different orders): seed-recipe 2.9e-6, mlp 8.6e-6, cnn 6.7e-6, best-deskewed 9.3e-6
    /// (logits); seed-literal-softmax 1.5e-7 (probabilities).
    /// </summary>
    private const double Tolerance = 1e-5;

    private readonly TemporaryDirectory output = new();

    public void Dispose() => output.Dispose();

    private (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(400);
        var exitCode = TestHost.Run([.. args, "--results", fixture.Results], console, fixture.Catalog);
        return (exitCode, console.Output);
    }

    public static TheoryData<string> Declared => [.. TrainedModelsFixture.Shipped.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Declared))]
    public void The_exported_model_computes_what_TorchSharp_computes_on_the_whole_test_set(string name)
    {
        var file = output.Combine(name + ".onnx");
        var (exitCode, text) = Run("export-model", name, "--format", "onnx", "--output", file);
        Assert.True(exitCode == 0, text);
        Assert.Contains($"Exported run:1/{name}", text, StringComparison.Ordinal);

        // The file: opset 13 or later, the documented input and outputs, the class names in its metadata.
        var proto = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
        Assert.True(proto.OpsetImport.Single(o => o.Domain.Length == 0).Version >= 13);
        Assert.Equal([OnnxExporter.InputName], proto.Graph.Input.Select(i => i.Name));
        Assert.Equal([OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName], proto.Graph.Output.Select(o => o.Name));
        var metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]", metadata["classes"]);
        Assert.Equal(name, metadata["experiment"]);
        Assert.Equal("mnist-digit", metadata["prepare"]);

        // TorchSharp: the experiment's own model class with the checkpoint's weights, in evaluation mode, on the
        // test images prepared as the trainer prepares them.
        var experiment = fixture.Experiment(name);
        var directory = Path.Combine(fixture.Results, "1", name);
        var config = ModelCheckpoint.ReadConfig(directory);
        var test = fixture.Mnist.Test;
        float[] expected;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        using (var model = experiment.CreateModel())
        using (var network = new Experiments.Models.NetworkModel(config.Network!))
        {
            ModelCheckpoint.LoadWeights(directory, model);
            ModelCheckpoint.LoadWeights(directory, network);
            model.eval();
            network.eval();
            var inputs = config.Inputs.Apply(test.Inputs);
            expected = model.forward(inputs).contiguous().data<float>().ToArray();

            // What predict runs, the module of the checkpoint's network, computes the same, bit for bit.
            Assert.Equal(expected, network.forward(inputs).contiguous().data<float>().ToArray());
        }

        // ONNX Runtime: the raw pixels 0-255 as floats, deskewed first when the experiment deskews (the documented contract).
        float[] raw;
        using (var scope = NewDisposeScope())
        {
            var images = config.Inputs.Deskew ? Preprocessing.Deskew.Apply(test.Inputs.reshape(test.Count, 28, 28)) : test.Inputs;
            raw = images.reshape(test.Count, -1).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        }

        var (logits, probabilities) = RunOnnx(file, raw, test.Count, config.Inputs.Features);
        float[] expectedProbabilities;
        if (config.Network!.OutputSoftmax)
        {
            expectedProbabilities = expected;
        }
        else
        {
            AssertClose(expected, logits, "logits", name);
            using var scope = NewDisposeScope();
            expectedProbabilities = tensor(expected).reshape(test.Count, -1).softmax(1).contiguous().data<float>().ToArray();
        }

        AssertClose(expectedProbabilities, probabilities, "probabilities", name);

        // The same predictions, so the same accuracy, which is the one the trainer recorded.
        var labels = test.Labels.to_type(ScalarType.Int64).data<long>().ToArray();
        var classes = config.ClassNames.Count;
        var torchCorrect = Correct(expected, labels, classes);
        var onnxCorrect = Correct(probabilities, labels, classes);
        Assert.Equal(torchCorrect, onnxCorrect);
        Assert.Equal(config.TestAccuracy!.Value, 100.0 * onnxCorrect / labels.Length, 6);
    }

    [Fact]
    public void By_default_the_model_goes_next_to_its_checkpoint_and_a_run_reference_names_the_run()
    {
        var (exitCode, text) = Run("export-model", "run:1/seed-recipe", "--format", "onnx");
        Assert.True(exitCode == 0, text);
        var file = Path.Combine(fixture.Results, "1", "seed-recipe", ExportModelCommand.DefaultFileName);
        Assert.True(File.Exists(file), text);
        Assert.Contains(file, text.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The checkpoint's own files are untouched, so it still verifies.
        using var store = ResultStore.OpenExisting(fixture.Results);
        var located = CheckpointLocator.Locate(store, fixture.Results, "seed-recipe", Experiments.Generated.ExperimentCatalog.Project.ApplicationName);
        Assert.Equal("run:1/seed-recipe", located.Reference);
    }

    [Fact]
    public void A_deskewed_model_is_exported_with_a_warning_that_its_input_must_be_deskewed()
    {
        var file = output.Combine("deskewed.onnx");
        var (exitCode, text) = Run("export-model", "best-deskewed", "--format", "onnx", "--output", file);
        Assert.True(exitCode == 0, text);
        Assert.Contains("warning: best-deskewed trained on deskewed images", text, StringComparison.Ordinal);
        var metadata = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(file)).MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("true", metadata["deskew"]);
        Assert.Contains("must be deskewed first", metadata["input"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_module_is_told_that_export_needs_a_declared_architecture()
    {
        var file = output.Combine("user.onnx");
        var (exitCode, text) = Run("export-model", TrainedModelsFixture.UserModule, "--format", "onnx", "--output", file);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("its model is the user module TinyNet", text, StringComparison.Ordinal);
        Assert.Contains("needs an architecture declared in the YAML file", text, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void An_unknown_format_is_a_usage_error()
    {
        var (exitCode, text) = Run("export-model", "seed-recipe", "--format", "tflite");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("'tflite'", text, StringComparison.Ordinal);
        Assert.Contains("'onnx'", text, StringComparison.Ordinal);

        (exitCode, text) = Run("export-model", "seed-recipe");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--format", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_dash_is_refused_as_standard_output_and_writes_no_file()
    {
        // The test's working directory is shared with parallel tests, so it is not changed: the file would be ./-.
        var dash = Path.GetFullPath("-");
        Assert.False(File.Exists(dash));

        var (exitCode, text) = Run("export-model", "seed-recipe", "--format", "onnx", "--output", "-");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--output - would mean standard output, but export-model writes the binary ONNX model to a file only", text, StringComparison.Ordinal);
        Assert.False(File.Exists(dash));
    }

    [Fact]
    public void An_unknown_experiment_or_run_is_named()
    {
        var (exitCode, text) = Run("export-model", "no-such-model", "--format", "onnx");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("no-such-model", text, StringComparison.Ordinal);

        (exitCode, text) = Run("export-model", "run:99/cnn", "--format", "onnx");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("There is no run 99", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_output_is_named_and_nothing_is_left_behind()
    {
        var folder = output.Combine("locked");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "model.onnx");
        var (exitCode, text) = WriteProtection.Run(folder, () => Run("export-model", "seed-recipe", "--format", "onnx", "--output", file));
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"cannot write the ONNX model of run:1/seed-recipe to '{file}'", text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void A_changed_or_missing_checkpoint_is_refused_and_named()
    {
        // A copy of the results folder, so the fixture's checkpoints stay intact for the other tests.
        using var copy = new TemporaryDirectory();
        CopyDirectory(fixture.Results, copy.Path);
        var weights = Path.Combine(copy.Path, "1", "mlp", CheckpointFiles.Model);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        var console = new TestConsole().Width(400);
        var exitCode = TestHost.Run(["export-model", "mlp", "--format", "onnx", "--results", copy.Path], console, fixture.Catalog);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"The checkpoint file '{weights}' changed since it was written", console.Output.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(copy.Path, "1", "mlp", ExportModelCommand.DefaultFileName)));

        var config = Path.Combine(copy.Path, "1", "cnn", CheckpointFiles.Config);
        File.Delete(config);
        console = new TestConsole().Width(400);
        exitCode = TestHost.Run(["export-model", "cnn", "--format", "onnx", "--results", copy.Path], console, fixture.Catalog);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"The checkpoint file '{config}' is missing", console.Output.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static (float[] Logits, float[] Probabilities) RunOnnx(string file, float[] raw, int count, int features)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(file, options);
        using var input = OrtValue.CreateTensorValueFromMemory(raw, [count, features]);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExporter.InputName], [input], [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, string what, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)expected[i] - actual[i]);
            if (!(difference <= worst))
            {
                (worst, at) = (difference, i);
            }
        }

        Assert.True(worst <= Tolerance, string.Create(CultureInfo.InvariantCulture, $"{name}: {what}[{at}] is {actual[Math.Max(at, 0)]} in ONNX Runtime but {expected[Math.Max(at, 0)]} in TorchSharp (difference {worst:G3}, more than {Tolerance:G})"));
    }

    private static int Correct(float[] scores, long[] labels, int classes)
    {
        var correct = 0;
        for (var row = 0; row < labels.Length; row++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (scores[(row * classes) + c] > scores[(row * classes) + best])
                {
                    best = c;
                }
            }

            correct += best == labels[row] ? 1 : 0;
        }

        return correct;
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var folder in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, folder)));
        }

        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        }
    }
}
