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
    /// Where everything is printed. Default: a console of its own on standard output (<see cref="AnsiConsole.Create"/>),
    /// 200 columns wide when standard output is redirected (Spectre.Console assumes 80 when it cannot ask a terminal; logs and files have room for the table).
    /// </summary>
    public IAnsiConsole? Console { get; init; }

    /// <summary>
    /// How a user starts the program, as every help text and hint shows it (e.g. <c>dotnet run --</c>).
    /// Default: the catalog's <see cref="ExperimentProject.ApplicationName"/> (MSBuild property <c>ExperimentsApplicationName</c>).
    /// </summary>
    public string? ApplicationName { get; init; }

    /// <summary>
    /// The folder with one folder per dataset, relative to the current directory. <c>--data-root</c> overrides it.
    /// It must exist, unless datasets are downloaded (<see cref="Download"/>, <c>--download</c>), which creates it.
    /// Default: the catalog's <see cref="ExperimentProject.DataRoot"/> while the project's folder
    /// (<see cref="ExperimentProject.ProjectDirectory"/>) exists (the project is where it was built), else <c>data/</c>
    /// of the current directory.
    /// </summary>
    public string? DataRoot { get; init; }

    /// <summary>
    /// The results folder (run history, latest.json, latest.md, pictures), relative to the current directory.
    /// <c>--results</c> overrides it; a run creates it. Default: the catalog's <see cref="ExperimentProject.ResultsDirectory"/>
    /// while the project's folder (<see cref="ExperimentProject.ProjectDirectory"/>) exists, else <c>results/</c> of the
    /// current directory.
    /// </summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>
    /// Whether a run is recorded in the run history, <c>RESULTS/experiments.db</c> (SQLite): the run when it starts
    /// (its id names the run's folder <c>RESULTS/RUN</c>, where each experiment's checkpoint goes), each result as soon
    /// as it is known (an interrupted run loses nothing), and how the run ended, which is recorded before any exporter
    /// runs (the HTML report reads the finished run). The run cache, <c>--resume</c> and the history commands
    /// (<c>runs</c>, <c>show</c>, <c>compare</c>, <c>report</c>, <c>predict</c>, <c>export-model</c>) read it.
    /// Default: true. False: every experiment trains, nothing is resumed, no checkpoint is kept and
    /// <see cref="RunSummary.RunId"/> is null.
    /// </summary>
    public bool RecordHistory { get; init; } = true;

    /// <summary>
    /// What a run writes after its results table, in order (<see cref="IRunExporter"/>). Default:
    /// <see cref="RunExporters.Default"/>. An empty list writes no result files; the results folder is still created
    /// and must be writable (the run history and the checkpoints are there, <see cref="RecordHistory"/>). A null entry
    /// is refused (<see cref="ArgumentException"/>).
    /// </summary>
    public IReadOnlyList<IRunExporter>? Exporters { get; init; }

    /// <summary>
    /// Who gets a run's progress, in order (<see cref="IRunEventHandler"/>). Default: a <see cref="SpectreProgressHandler"/>
    /// (progress bars on a terminal, a log otherwise). A list replaces it: add a <see cref="SpectreProgressHandler"/>
    /// to keep it besides yours; an empty list shows no progress. A null entry is refused (<see cref="ArgumentException"/>).
    /// </summary>
    public IReadOnlyList<IRunEventHandler>? EventHandlers { get; init; }

    /// <summary>
    /// Download a dataset that is not on disk. <see cref="ExperimentHost.RunExperiments"/> uses it; for
    /// <see cref="ExperimentHost.Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/> it is the default of
    /// <c>all</c>/<c>run</c> (<c>--download</c> on the command line switches it on too).
    /// </summary>
    public bool Download { get; init; }

    /// <summary>
    /// Threads TorchSharp uses for its math; 1 by default, at most <see cref="Environment.ProcessorCount"/>.
    /// <see cref="ExperimentHost.RunExperiments"/> uses it; for the command line it is the default of
    /// <c>--threads</c>, which wins when given.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// The run history to use when <c>--store</c> is not given: a PostgreSQL connection or an SQLite path, as
    /// <see cref="Experiments.History.StoreLocation.Parse"/> takes them. Null: the environment variable
    /// <c>EXPERIMENTS_STORE</c>, else <c>experiments.db</c> in the results folder.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>
    /// How a worker process of this application is started (<c>--parallel</c>, and the command a Slurm or Kubernetes
    /// job runs): the program and its first arguments, to which the worker's arguments are appended. Null: this
    /// process's own program (its apphost, or <c>dotnet</c> with the entry assembly).
    /// </summary>
    public IReadOnlyList<string>? WorkerCommand { get; init; }

    /// <summary>
    /// Train every experiment again, ignoring the run cache. <see cref="ExperimentHost.RunExperiments"/> uses it; for
    /// the command line it is the default of <c>all</c>/<c>run</c> unless <c>--resume</c> is given (<c>--force</c>
    /// switches it on too). Not with <see cref="Resume"/>.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// Go on with unfinished trainings of earlier runs. <see cref="ExperimentHost.RunExperiments"/> uses it; for the
    /// command line it is the default of <c>all</c>/<c>run</c> unless <c>--force</c> is given (<c>--resume</c>
    /// switches it on too). Not with <see cref="Force"/>.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Adjusts the dataset store's options of every command that loads datasets (<c>all</c>, <c>run</c>,
    /// <c>datasets</c>, <see cref="ExperimentHost.RunExperiments"/>): e.g. local mirrors to download from, a cache
    /// folder, more datasets. Null keeps them.
    /// </summary>
    public Func<DatasetStoreOptions, DatasetStoreOptions>? ConfigureDatasetStore { get; init; }
}
