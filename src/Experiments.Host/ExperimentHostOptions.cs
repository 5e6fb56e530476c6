using Experiments.Data;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// How <see cref="ExperimentHost"/> runs: its console, its name in help texts, where data and results are, what it
/// writes (<see cref="Exporters"/>) and who sees the progress (<see cref="EventHandlers"/>). Every property has a
/// default; set those you need (<c>new ExperimentHostOptions { ResultsDirectory = "out" }</c>).
/// </summary>
public sealed class ExperimentHostOptions
{
    /// <summary>
    /// Where everything is printed. Default: <see cref="AnsiConsole.Console"/>, 200 columns wide when standard output
    /// is redirected (Spectre.Console assumes 80 when it cannot ask a terminal; logs and files have room for the table).
    /// </summary>
    public IAnsiConsole? Console { get; init; }

    /// <summary>
    /// How a user starts the program, as every help text and hint shows it (e.g. <c>dotnet run --</c>).
    /// Default: the catalog's <see cref="ExperimentProject.ApplicationName"/> (MSBuild property <c>ExperimentsApplicationName</c>).
    /// </summary>
    public string? ApplicationName { get; init; }

    /// <summary>
    /// The folder with one folder per dataset, relative to the current directory. <c>--data-root</c> overrides it.
    /// Default: the catalog's <see cref="ExperimentProject.DataRoot"/> while the folder that holds it exists (the
    /// project is where it was built), else <c>data/</c> of the current directory.
    /// </summary>
    public string? DataRoot { get; init; }

    /// <summary>
    /// The results folder (run history, latest.json, latest.md, pictures), relative to the current directory.
    /// <c>--results</c> overrides it. Default: the catalog's <see cref="ExperimentProject.ResultsDirectory"/> while
    /// the folder that holds it exists, else <c>results/</c> of the current directory.
    /// </summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>What a run writes, in order (<see cref="IRunExporter"/>). Default: <see cref="RunExporters.Default"/>.</summary>
    public IReadOnlyList<IRunExporter>? Exporters { get; init; }

    /// <summary>
    /// Who gets a run's progress, in order (<see cref="IRunEventHandler"/>). Default: a <see cref="SpectreProgressHandler"/>
    /// (progress bars on a terminal, a log otherwise). A list replaces it: add a <see cref="SpectreProgressHandler"/>
    /// to keep it besides yours; an empty list shows no progress.
    /// </summary>
    public IReadOnlyList<IRunEventHandler>? EventHandlers { get; init; }

    /// <summary><see cref="ExperimentHost.RunExperiments"/>: download a dataset that is not on disk (as <c>--download</c>).</summary>
    public bool Download { get; init; }

    /// <summary><see cref="ExperimentHost.RunExperiments"/>: threads TorchSharp uses for its math (as <c>--threads</c>); 1 by default.</summary>
    public int Threads { get; init; } = 1;

    /// <summary><see cref="ExperimentHost.RunExperiments"/>: train every experiment again, ignoring the run cache (as <c>--force</c>).</summary>
    public bool Force { get; init; }

    /// <summary><see cref="ExperimentHost.RunExperiments"/>: go on with unfinished trainings of earlier runs (as <c>--resume</c>).</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Adjusts the dataset store's options of every command that loads datasets (<c>all</c>, <c>run</c>,
    /// <c>datasets</c>, <see cref="ExperimentHost.RunExperiments"/>): e.g. local mirrors to download from, a cache
    /// folder, more datasets. Null keeps them.
    /// </summary>
    public Func<DatasetStoreOptions, DatasetStoreOptions>? DatasetStore { get; init; }
}
