using Experiments.Generated;
using Experiments.History;
using Experiments.Training;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// A run trains and records what was built: the history gets the configuration hash compiled in, and a YAML file
/// edited since the build (<c>run --no-build</c>), an experiment's or its dataset's, is warned about.
/// </summary>
public sealed class StaleBuildTests
{
    private static readonly ExperimentSettings OneEpoch = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1000, LearningRate = 0.01 };

    [Fact]
    public void A_file_edited_since_the_build_is_warned_about_and_the_built_configuration_is_recorded()
    {
        using var folder = new TemporaryDirectory();
        using var results = new TemporaryDirectory();
        var edited = Path.Combine(folder.Path, "edited.yaml");
        var untouched = Path.Combine(folder.Path, "untouched.yaml");
        File.WriteAllText(edited, "learningRate: 0.001\n");
        File.WriteAllText(untouched, "epochs: 1\n");
        var built = new[]
        {
            new ExperimentFile("experiments/edited.yaml", edited, ExperimentFile.HashText("learningRate: 0.001\n")),
            new ExperimentFile("experiments/untouched.yaml", untouched, ExperimentFile.HashText("epochs: 1\n")),
            new ExperimentFile("experiments/gone.yaml", Path.Combine(folder.Path, "gone.yaml"), ExperimentFile.HashText("seed: 1\n")),
        };
        File.WriteAllText(edited, "learningRate: 0.1\n");
        const string BuiltHash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        IExperiment[] catalog = [new BuiltExperiment("edited", OneEpoch, BuiltHash, built)];
        var console = new TestConsole().Width(250);

        var exitCode = TestHost.Run(["run", "edited", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, catalog);

        Assert.True(exitCode == 0, console.Output);
        Assert.Contains("warning: experiments/edited.yaml changed since the build; this run trains the built settings; rebuild (drop --no-build) to train the edited file", console.Output, StringComparison.Ordinal);
        Assert.Contains("warning: experiments/gone.yaml was deleted or renamed since the build", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("untouched.yaml", console.Output, StringComparison.Ordinal);

        // What trained is what was built, and that is what the history says: not the hash of the edited file.
        using var store = ResultStore.OpenExisting(results.Path);
        var stored = Assert.Single(store.ResultsOf("edited"));
        Assert.Equal(BuiltHash, stored.SourceSha256);
        Assert.Equal("experiments/edited.yaml", stored.SourceFile);
    }

    [Fact]
    public void A_dataset_file_edited_since_the_build_is_warned_about()
    {
        // The files the shipped seed-recipe was built from, as the build recorded them, its dataset's description
        // among them; that description is copied elsewhere (the repository's stays as it is) and edited there.
        using var folder = new TemporaryDirectory();
        using var results = new TemporaryDirectory();
        var shipped = ExperimentCatalog.All.Single(e => e.Name == "seed-recipe");
        var dataset = Assert.Single(shipped.BuiltFiles, f => f.SourceFile == "datasets/mnist.yaml");
        var copy = Path.Combine(folder.Path, "mnist.yaml");
        File.Copy(dataset.FullPath, copy);
        var built = shipped.BuiltFiles.Select(f => f == dataset ? f with { FullPath = copy } : f).ToList();
        Assert.Equal(ExperimentFileState.Unchanged, built[^1].Check());
        File.AppendAllText(copy, "divideBy: 1\n");
        IExperiment[] catalog = [new BuiltExperiment("edited", OneEpoch, shipped.ConfigurationSha256!, built)];
        var console = new TestConsole().Width(250);

        var exitCode = TestHost.Run(["run", "edited", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, catalog);

        Assert.True(exitCode == 0, console.Output);
        Assert.Contains("warning: datasets/mnist.yaml changed since the build; this run trains the built settings; rebuild (drop --no-build) to train the edited file", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("seed-recipe.yaml changed", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_experiments_know_their_files_and_configuration_wherever_the_repository_is()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "experiments");
        Assert.All(ExperimentCatalog.All, experiment =>
        {
            Assert.Matches("^[0-9a-f]{64}$", experiment.ConfigurationSha256);
            var own = experiment.BuiltFiles[0];
            Assert.Equal(experiment.SourceFile, own.SourceFile);
            Assert.Equal(Path.GetFullPath(Path.Combine(folder, Path.GetFileName(own.SourceFile))), Path.GetFullPath(own.FullPath));
            Assert.All(experiment.BuiltFiles, file => Assert.Equal(ExperimentFileState.Unchanged, file.Check()));

            // The last file read for it is its dataset's description, from the datasets folder.
            var dataset = experiment.BuiltFiles[^1];
            Assert.Equal($"datasets/{experiment.Dataset}.yaml", dataset.SourceFile);
            Assert.Equal(Path.GetFullPath(Path.Combine(RepositoryPaths.Root, dataset.SourceFile)), Path.GetFullPath(dataset.FullPath));
        });

        // A sweep's members differ in their values, so in their configuration; lr-sweep's files are its own and its base's.
        var sweep = ExperimentCatalog.All.Where(e => e.Sweep == "lr-sweep").ToList();
        Assert.Equal(sweep.Count, sweep.Select(e => e.ConfigurationSha256).Distinct().Count());
        Assert.Equal(["experiments/lr-sweep.yaml", "experiments/seed-recipe.yaml", "datasets/mnist.yaml"], sweep[0].BuiltFiles.Select(f => f.SourceFile));

    }

    private sealed class BuiltExperiment(string name, ExperimentSettings settings, string configurationSha256, IReadOnlyList<ExperimentFile> files) : IExperiment
    {
        public string Name => name;

        public string Description => name;

        public string SourceFile => files[0].SourceFile;

        public string? ConfigurationSha256 => configurationSha256;

        public IReadOnlyList<ExperimentFile> BuiltFiles => files;

        public string Dataset => "mnist";

        public ExperimentSettings Settings => settings;

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(784, 10);

        public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
    }
}
