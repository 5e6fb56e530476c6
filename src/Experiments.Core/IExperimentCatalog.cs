using Experiments.Data;

namespace Experiments;

/// <summary>
/// Everything one experiment project built: its experiments, its dataset descriptions and what the build knew of the
/// project (<see cref="ExperimentProject"/>). The source generator emits one implementation per project, the class
/// <c>ExperimentCatalog</c> in the project's root namespace (<c>ExperimentCatalog.Instance</c>); the host
/// (<c>Experiments.Hosting.ExperimentHost</c>) takes it. <see cref="ExperimentCatalogs.Create"/> builds one by hand.
/// </summary>
public interface IExperimentCatalog
{
    /// <summary>Every experiment of the project, in a stable order (by name; a sweep's members together).</summary>
    IReadOnlyList<IExperiment> Experiments { get; }

    /// <summary>Every dataset the project describes (its <c>datasets/*.yaml</c>); experiments name them.</summary>
    IReadOnlyList<DatasetDescription> Datasets { get; }

    /// <summary>What the build knew of the project: where its data and results go, its name on a command line.</summary>
    ExperimentProject Project { get; }
}

/// <summary>
/// What the build of an experiment project knew of it, emitted by the source generator from MSBuild properties
/// (<c>ExperimentsApplicationName</c>, <c>ExperimentsDataRoot</c>, <c>ExperimentsResultsDirectory</c>), so that
/// nothing at run time assumes a repository layout. Paths are absolute paths of the machine that built the project.
/// </summary>
public sealed record ExperimentProject
{
    /// <summary>A project nothing is known of: the host's defaults (<c>data/</c> and <c>results/</c> of the current directory).</summary>
    public static ExperimentProject Unknown { get; } = new();

    /// <summary>How a user starts the program, as help texts and hints show it, e.g. <c>dotnet run --</c>.</summary>
    public string ApplicationName { get; init; } = "dotnet run --";

    /// <summary>The project's folder as built (the git commit recorded with a run is read there), or null.</summary>
    public string? ProjectDirectory { get; init; }

    /// <summary>The default folder with one folder per dataset (<c>--data-root</c> overrides it), or null: <c>data/</c> of the current directory.</summary>
    public string? DataRoot { get; init; }

    /// <summary>The default results folder (<c>--results</c> overrides it), or null: <c>results/</c> of the current directory.</summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>The version of the generator that built the project (its informational version), or null.</summary>
    public string? GeneratorVersion { get; init; }
}

/// <summary>Catalogs built by hand (tests, a host that composes the catalogs of several projects).</summary>
public static class ExperimentCatalogs
{
    /// <summary>A catalog of the given experiments and datasets.</summary>
    public static IExperimentCatalog Create(IReadOnlyList<IExperiment> experiments, IReadOnlyList<DatasetDescription> datasets, ExperimentProject? project = null)
    {
        ArgumentNullException.ThrowIfNull(experiments);
        ArgumentNullException.ThrowIfNull(datasets);
        return new Catalog(experiments, datasets, project ?? ExperimentProject.Unknown);
    }

    private sealed record Catalog(IReadOnlyList<IExperiment> Experiments, IReadOnlyList<DatasetDescription> Datasets, ExperimentProject Project) : IExperimentCatalog;
}
