using Experiments.Data;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <see cref="ExperimentHostOptions"/> with every default resolved against the catalog: what every command of one
/// <see cref="ExperimentHost"/> call shares.
/// </summary>
internal sealed record HostSettings
{
    public required IAnsiConsole Console { get; init; }

    public required IExperimentCatalog Catalog { get; init; }

    public required string ApplicationName { get; init; }

    public required IReadOnlyList<IRunExporter> Exporters { get; init; }

    public required IReadOnlyList<IRunEventHandler> EventHandlers { get; init; }

    public ExperimentHostOptions Options { get; init; } = new();

    public IReadOnlyList<DatasetDescription> Datasets => Catalog.Datasets;

    /// <summary>Where git is asked for the commit recorded with a run and for <c>compare --baseline REF</c>: the project's folder while it exists, else the current directory.</summary>
    public string GitDirectory => Catalog.Project.ProjectDirectory is { } directory && Directory.Exists(directory) ? directory : Environment.CurrentDirectory;

    /// <summary>The data root: <paramref name="option"/> (<c>--data-root</c>), else the default (<see cref="Folders"/>).</summary>
    public string DataRoot(string? option) => Folders.Resolve(option, Options.DataRoot, Catalog.Project.DataRoot, Folders.DataName, Environment.CurrentDirectory);

    /// <summary>The results folder: <paramref name="option"/> (<c>--results</c>), else the default (<see cref="Folders"/>).</summary>
    public string Results(string? option) => Folders.Resolve(option, Options.ResultsDirectory, Catalog.Project.ResultsDirectory, Folders.ResultsName, Environment.CurrentDirectory);

    public static HostSettings Resolve(IExperimentCatalog catalog, ExperimentHostOptions? options, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new ExperimentHostOptions();
        return new HostSettings
        {
            Console = console ?? options.Console ?? DefaultConsole(),
            Catalog = catalog,
            ApplicationName = string.IsNullOrWhiteSpace(options.ApplicationName) ? catalog.Project.ApplicationName : options.ApplicationName,
            Exporters = options.Exporters ?? RunExporters.Default,
            EventHandlers = options.EventHandlers ?? [new SpectreProgressHandler()],
            Options = options,
        };
    }

    private static IAnsiConsole DefaultConsole()
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsOutputRedirected)
        {
            // Spectre assumes 80 columns when it cannot ask a terminal; logs and files have room for the whole table.
            console.Profile.Width = 200;
        }

        return console;
    }
}
