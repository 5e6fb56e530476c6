using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// <c>predict</c> on a user module's checkpoint, which describes no network: the model is the catalog's experiment,
/// built as now, with a warning when its file changed since it trained, and a clear usage error when it is gone.
/// </summary>
[Collection(TrainedModelsCollection.Name)]
public sealed class PredictUserModuleTests(TrainedModelsFixture fixture) : IDisposable
{
    private readonly TemporaryDirectory images = new();

    public void Dispose() => images.Dispose();

    private (int ExitCode, string Output) Predict(IReadOnlyList<IExperiment> catalog, params string[] args)
    {
        var console = new TestConsole().Width(400);
        var exitCode = TestHost.Run(["predict", .. args, "--results", fixture.Results], console, catalog);
        return (exitCode, console.Output);
    }

    [Fact]
    public void A_user_module_is_built_by_its_experiment_with_a_warning_when_its_file_changed()
    {
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));
        var user = fixture.Experiment(TrainedModelsFixture.UserModule);
        var changed = fixture.Catalog.Select(e => e == user ? new ChangedConfiguration(user) : e).ToList();

        var (sameExit, same) = Predict(fixture.Catalog, TrainedModelsFixture.UserModule, four);
        var (changedExit, changedOutput) = Predict(changed, TrainedModelsFixture.UserModule, four);

        Assert.True(sameExit == 0, same);
        Assert.DoesNotContain("warning", same, StringComparison.Ordinal);
        Assert.Contains("1 image(s) classified by run:1/user-module (mnist).", same, StringComparison.Ordinal);
        Assert.True(changedExit == 0, changedOutput);
        Assert.Contains("warning: 'experiments/user-module.yaml' changed since run:1/user-module was trained", changedOutput, StringComparison.Ordinal);
        Assert.Contains("its user module is built as the file says now", changedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_module_whose_experiment_is_gone_is_a_usage_error_that_names_it()
    {
        var four = images.Write("four.png", DigitDrawing.Png(4, DigitDrawing.Styles[1]));

        var (exitCode, output) = Predict(fixture.Catalog.Where(e => e.Name != TrainedModelsFixture.UserModule).ToList(), TrainedModelsFixture.UserModule, four);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("describes no network (a user module, TinyNet)", output, StringComparison.Ordinal);
        Assert.Contains("the experiment 'user-module' (experiments/user-module.yaml) that creates it is not in this build's catalog any more", output, StringComparison.Ordinal);
    }

    /// <summary>The experiment with another configuration hash: its file changed since it trained.</summary>
    private sealed class ChangedConfiguration(IExperiment inner) : IExperiment
    {
        public string Name => inner.Name;

        public string Description => inner.Description;

        public string SourceFile => inner.SourceFile;

        public string? ConfigurationSha256 => new('0', 64);

        public string Dataset => inner.Dataset;

        public ExperimentSettings Settings => inner.Settings;

        public Experiments.Models.ModelSummary Architecture => inner.Architecture;

        public TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> CreateModel() => inner.CreateModel();

        public ExperimentResult Run(ExperimentContext context) => inner.Run(context);
    }
}
