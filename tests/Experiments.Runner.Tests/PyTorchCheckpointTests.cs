using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Experiments.Checkpoints;
using Experiments.Generated;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// The checkpoints PyTorch loads: the shipped models' tensors have the names of PyTorch's state_dict, and the
/// README's Python, run with Debian's PyTorch on checkpoints the runner trained, computes the same test accuracy.
/// </summary>
public sealed partial class PyTorchCheckpointTests
{
    private const string Python = "/usr/bin/python3";

    public static TheoryData<string, string[]> ShippedModels => new()
    {
        { "seed-recipe", ["linear.weight", "linear.bias"] },
        { "mlp", ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"] },
        {
            "cnn",
            [
                "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
                "conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked",
                "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(ShippedModels))]
    public void The_generated_models_save_the_names_of_pytorchs_state_dict_in_its_order(string experiment, string[] names)
    {
        using var directory = new TemporaryDirectory();
        using var model = ExperimentCatalog.All.Single(e => e.Name == experiment).CreateModel();
        ModelCheckpoint.Save(directory.Path, model, new ExperimentConfig
        {
            Experiment = experiment,
            Dataset = DatasetCatalog.Mnist,
            Hyperparameters = [],
            Architecture = Experiments.Models.ModelSummary.Linear(784, 10),
            Inputs = new InputTransform([1, 28, 28], 255, false, null, null),
        });

        var tensors = SafetensorsChecker.Check(File.ReadAllBytes(directory.Combine(CheckpointFiles.Model)));
        Assert.Equal(names, tensors.Select(t => t.Name));
        Assert.All(tensors, t => Assert.Equal(t.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? "I64" : "F32", t.DType));
        if (experiment == "seed-recipe")
        {
            Assert.Equal([10L, 784L], tensors[0].Shape);
            Assert.Equal([10L], tensors[1].Shape);
        }
    }

    [Fact]
    public void The_readmes_python_loads_the_runners_checkpoints_into_pytorch_and_gets_the_same_test_accuracy()
    {
        Assert.True(
            File.Exists(Python) && RunPython(["-c", "import torch, numpy"], TimeSpan.FromMinutes(2)).ExitCode == 0,
            $"this test needs PyTorch for {Python}: apt-get install python3-torch (./test.sh installs it)");
        using var results = new TemporaryDirectory();
        var console = new TestConsole().Width(300);
        var exitCode = TestHost.Run(["run", "seed-recipe", "cnn", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, ExperimentCatalog.All);
        Assert.True(exitCode == 0, console.Output);

        var script = results.Combine("load_checkpoint.py");
        File.WriteAllText(script, ReadmeSnippet());
        using var store = History.ResultStore.OpenExisting(results.Path);
        var stored = store.ResultsOfRun(1);
        Assert.Equal(["cnn", "seed-recipe"], stored.Select(r => r.Experiment).Order(StringComparer.Ordinal));
        foreach (var result in stored)
        {
            var expected = result.Result.Test!.Accuracy;
            var folder = result.Result.Checkpoint!.FullDirectory(results.Path);
            var (code, output) = RunPython([script, folder, RepositoryPaths.MnistDirectory], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"{result.Experiment}: python exited with {code}:\n{output}");
            var match = AccuracyLine().Match(output);
            Assert.True(match.Success, $"{result.Experiment}: no accuracy in\n{output}");
            var accuracy = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(accuracy - expected) < 0.01, $"{result.Experiment}: PyTorch {accuracy}%, TorchSharp {expected}%");
        }
    }

    /// <summary>The first Python code block of the README's Checkpoints section.</summary>
    private static string ReadmeSnippet()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md")).ReplaceLineEndings("\n");
        var section = readme.IndexOf("\n### Checkpoints\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no '### Checkpoints' section");
        var start = readme.IndexOf("```python\n", section, StringComparison.Ordinal);
        Assert.True(start >= 0, "the Checkpoints section has no python code block");
        start += "```python\n".Length;
        return readme[start..readme.IndexOf("\n```", start, StringComparison.Ordinal)] + "\n";
    }

    private static (int ExitCode, string Output) RunPython(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // One thread, as the tests' TorchSharp: other test assemblies run beside this one.
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"python did not finish within {timeout}");
        }

        return (process.ExitCode, output + error.GetAwaiter().GetResult());
    }

    [GeneratedRegex(@"test accuracy (\d+\.\d+)%")]
    private static partial Regex AccuracyLine();
}
