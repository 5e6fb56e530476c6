using System.Text.Json;
using Experiments.Training;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>A learning rate that blows up, in a run of the command line: reported as diverged, and the run goes on.</summary>
public sealed class DivergedRunTests
{
    private static readonly ExperimentSettings OneEpoch = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

    [Fact]
    public void A_diverged_experiment_is_a_result_the_table_and_latest_json_show_and_the_run_goes_on()
    {
        // Weight decay 1 at learning rate 100 multiplies the weights by -99 per step: they overflow within the epoch.
        IExperiment[] catalog =
        [
            new LinearTestExperiment("a-blows-up", OneEpoch with { LearningRate = 100, WeightDecay = 1 }),
            new LinearTestExperiment("b-fine", OneEpoch),
        ];
        using var results = new TemporaryDirectory();
        var console = new TestConsole().Width(220);

        var exitCode = TestHost.Run(["all", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, catalog);

        Assert.True(exitCode == 0, console.Output);
        Assert.Contains("diverged: training loss", console.Output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json")));
        Assert.Equal("diverged", json.RootElement[0].GetProperty("status").GetString());
        Assert.Equal("completed", json.RootElement[1].GetProperty("status").GetString());
        Assert.Contains("| diverged |", File.ReadAllText(Path.Combine(results.Path, "latest.md")), StringComparison.Ordinal);
    }
}
