using Experiments.Data;
using Experiments.Generated;
using Experiments.Models;
using Experiments.Training;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>The test classes that share one <see cref="TrainedModelsFixture"/> (it trains once for all of them).</summary>
[CollectionDefinition(Name)]
public sealed class TrainedModelsCollection : ICollectionFixture<TrainedModelsFixture>
{
    public const string Name = "trained models";
}

/// <summary>
/// One run of the shipped declared architectures (the linear models, <c>mlp</c> and <c>cnn</c> for one epoch, so the
/// fixture trains in seconds), a deskewed linear model and a stand-in for a user module, recorded in a temporary
/// results folder with their checkpoints; and MNIST's test split, which the exported models are checked on.
/// </summary>
public sealed class TrainedModelsFixture : IDisposable
{
    /// <summary>The shipped experiments the fixture trains, each with the epochs it trains for here.</summary>
    public static readonly IReadOnlyList<(string Name, int? Epochs)> Shipped =
    [
        ("seed-recipe", null),
        ("seed-literal-softmax", null),
        ("best-deskewed", null),
        ("mlp", 1),
        ("cnn", 1),
    ];

    /// <summary>The name of the stand-in for a user module (<c>model: {class: ...}</c>).</summary>
    public const string UserModule = "user-module";

    private readonly TemporaryDirectory results = new();
    private readonly DatasetStore store;

    public TrainedModelsFixture()
    {
        Catalog = [.. Shipped.Select(s => Shortened(s.Name, s.Epochs)), new UserModuleExperiment()];
        var console = new TestConsole().Width(320);
        var exitCode = TestHost.Run(["all", "--data-root", RepositoryPaths.Data, "--results", results.Path], console, Catalog);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"training the fixture's models failed ({exitCode}):\n{console.Output}");
        }

        store = new DatasetStore(new DatasetStoreOptions
        {
            DataRoot = RepositoryPaths.Data,
            SystemSearchDirectories = [],
            VerificationCachePath = null,
            Datasets = [DatasetCatalog.Mnist],
        });
        Mnist = store.Load("mnist");
    }

    /// <summary>The results folder holding the run history and the checkpoints.</summary>
    public string Results => results.Path;

    public IReadOnlyList<IExperiment> Catalog { get; }

    /// <summary>MNIST as the store loads it: the test split's raw pixels [10000, 1, 28, 28] and labels.</summary>
    public Dataset Mnist { get; }

    /// <summary>The experiment of the fixture named <paramref name="name"/>.</summary>
    public IExperiment Experiment(string name) => Catalog.Single(e => e.Name == name);

    public void Dispose()
    {
        store.Dispose();
        results.Dispose();
    }

    private static IExperiment Shortened(string name, int? epochs)
    {
        var shipped = ExperimentCatalog.All.Single(e => e.Name == name);
        return epochs is { } count ? new ShortenedExperiment(shipped, count) : shipped;
    }

    /// <summary>A shipped experiment that trains for fewer epochs: the same model, network and everything else.</summary>
    private sealed class ShortenedExperiment(IExperiment shipped, int epochs) : IExperiment
    {
        public string Name => shipped.Name;

        public string Description => shipped.Description;

        public string SourceFile => shipped.SourceFile;

        public string Dataset => shipped.Dataset;

        public ExperimentSettings Settings => shipped.Settings with { Epochs = epochs };

        public ModelSummary Architecture => shipped.Architecture;

        public Network? Network => shipped.Network;

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => shipped.CreateModel();

        public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
    }

    /// <summary>What the generator makes of <c>model: {class: ...}</c>: a module's summary and no network.</summary>
    private sealed class UserModuleExperiment : IExperiment
    {
        public string Name => UserModule;

        public string Description => "a user module";

        public string SourceFile => "experiments/user-module.yaml";

        public string Dataset => "mnist";

        public ExperimentSettings Settings { get; } = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

        public ModelSummary Architecture { get; } = new(ModelKind.Module, "TinyNet", [1, 28, 28], [], -1);

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(784, 10);

        public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
    }
}
