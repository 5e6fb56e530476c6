using Experiments.Data;
using Experiments.Generated;
using Spectre.Console;

namespace Experiments.Runner.Tests;

/// <summary>
/// The command line as the runner's Program.cs runs it (<see cref="ExperimentHost.Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/>
/// with this repository's project), on a test console, with the given experiments and the repository's datasets.
/// </summary>
internal static class TestHost
{
    public static int Run(string[] args, IAnsiConsole console, IReadOnlyList<IExperiment> experiments, CancellationToken cancellationToken = default) =>
        Run(args, console, experiments, datasetStore: null, cancellationToken);

    /// <param name="args">The command line.</param>
    /// <param name="console">Where the output goes.</param>
    /// <param name="experiments">The catalog's experiments.</param>
    /// <param name="datasetStore">Adjusts the dataset store's options (local mirrors, other datasets).</param>
    /// <param name="cancellationToken">Stops a run as Ctrl+C does.</param>
    public static int Run(string[] args, IAnsiConsole console, IReadOnlyList<IExperiment> experiments, Func<DatasetStoreOptions, DatasetStoreOptions>? datasetStore, CancellationToken cancellationToken) =>
        ExperimentHost.Run(args, Catalog(experiments), new ExperimentHostOptions { Console = console, ConfigureDatasetStore = datasetStore }, cancellationToken);

    /// <summary>A catalog of <paramref name="experiments"/> with the repository's datasets and project (as the runner's).</summary>
    public static IExperimentCatalog Catalog(IReadOnlyList<IExperiment> experiments) =>
        ExperimentCatalogs.Create(experiments, DatasetCatalog.All, Experiments.Generated.ExperimentCatalog.Project);
}
