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
    public string DataRoot(string? option) => Folders.Resolve(option, Options.DataRoot, Catalog.Project.ProjectDirectory, Catalog.Project.DataRoot, Folders.DataName, Environment.CurrentDirectory);

    /// <summary>Where the data root of <see cref="DataRoot"/> comes from, as messages name it.</summary>
    public FolderSource DataRootSource(string? option) =>
        option is not null ? FolderSource.Option
        : Options.DataRoot is not null ? FolderSource.HostOptions
        : Catalog.Project is { DataRoot: not null, ProjectDirectory: { } directory } && Directory.Exists(Path.GetFullPath(directory)) ? FolderSource.Project
        : FolderSource.CurrentDirectory;

    /// <summary>The results folder: <paramref name="option"/> (<c>--results</c>), else the default (<see cref="Folders"/>).</summary>
    public string Results(string? option) => Folders.Resolve(option, Options.ResultsDirectory, Catalog.Project.ProjectDirectory, Catalog.Project.ResultsDirectory, Folders.ResultsName, Environment.CurrentDirectory);

    /// <summary>
    /// The run history of a command: <paramref name="option"/> (<c>--store</c>), else <see cref="ExperimentHostOptions.Store"/>,
    /// else <c>EXPERIMENTS_STORE</c>, else <c>experiments.db</c> in <paramref name="resultsDirectory"/>; a value that is no
    /// store is a <see cref="Experiments.History.UsageException"/> (<see cref="StoreAccess.Resolve"/>).
    /// </summary>
    public Experiments.History.StoreLocation Store(string? option, string resultsDirectory) => StoreAccess.Resolve(Options, option, resultsDirectory);

    /// <summary>
    /// How a worker process of this application starts (<see cref="ExperimentHostOptions.WorkerCommand"/>, else this
    /// process's program: its apphost, or <c>dotnet</c> with the entry assembly); the worker's arguments
    /// (<see cref="WorkerArguments.ToArguments"/>) are appended.
    /// </summary>
    public IReadOnlyList<string> WorkerCommand => Options.WorkerCommand is { Count: > 0 } command ? command : OwnCommand();

    private static IReadOnlyList<string> OwnCommand()
    {
        var program = Environment.ProcessPath ?? throw new InvalidOperationException("This process's program is not known (Environment.ProcessPath): set ExperimentHostOptions.WorkerCommand");
        var name = Path.GetFileNameWithoutExtension(program);
        return string.Equals(name, "dotnet", StringComparison.OrdinalIgnoreCase) && System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry
            ? [program, entry]
            : [program];
    }

    /// <summary>
    /// Resolves <paramref name="options"/>' defaults against <paramref name="catalog"/>; throws
    /// <see cref="ArgumentException"/> for options no run can use (a null exporter or handler, <see cref="ExperimentHostOptions.Threads"/>
    /// out of range, <see cref="ExperimentHostOptions.Force"/> with <see cref="ExperimentHostOptions.Resume"/>).
    /// </summary>
    public static HostSettings Resolve(IExperimentCatalog catalog, ExperimentHostOptions? options, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        options ??= new ExperimentHostOptions();
        RequireEntries(options.Exporters, nameof(ExperimentHostOptions.Exporters));
        RequireEntries(options.EventHandlers, nameof(ExperimentHostOptions.EventHandlers));
        if (ThreadsProblem($"{nameof(ExperimentHostOptions)}.{nameof(ExperimentHostOptions.Threads)}", options.Threads) is { } threads)
        {
            throw new ArgumentException(threads, nameof(options));
        }

        if (options.Force && options.Resume)
        {
            throw new ArgumentException(ForceWithResume($"{nameof(ExperimentHostOptions)}.{nameof(ExperimentHostOptions.Force)}", $"{nameof(ExperimentHostOptions)}.{nameof(ExperimentHostOptions.Resume)}"), nameof(options));
        }

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

    /// <summary>What is wrong with <paramref name="value"/> threads (<c>--threads</c>, <see cref="ExperimentHostOptions.Threads"/>), or null.</summary>
    internal static string? ThreadsProblem(string name, int value) =>
        value < 1 ? $"{name} must be at least 1, but is {value}"

        // More threads than cores only makes libtorch's workers spin-wait for each other (16 threads took 74.5 s
        // where 1 took 0.6 s; 100000 started 32,440 threads): refused rather than capped, so the recorded command
        // line says what really ran.
        : value > Environment.ProcessorCount ? $"{name} must be at most the {Environment.ProcessorCount} core(s) this machine has (Environment.ProcessorCount), but is {value}"
        : null;

    /// <summary>--force trains from the start what --resume would go on with: asking for both is a mistake.</summary>
    internal static string ForceWithResume(string force, string resume) =>
        $"{force} and {resume} cannot be used together: {force} trains every experiment from the start, {resume} goes on with unfinished ones";

    private static void RequireEntries<T>(IReadOnlyList<T>? list, string name)
        where T : class
    {
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            if (list![i] is null)
            {
                throw new ArgumentException($"{nameof(ExperimentHostOptions)}.{name}[{i}] is null", "options");
            }
        }
    }

    private static IAnsiConsole DefaultConsole()
    {
        // A console of the host's own: the process-wide AnsiConsole.Console (and its width) stays as the program set it.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected)
        {
            // Spectre assumes 80 columns when it cannot ask a terminal; logs and files have room for the whole table.
            console.Profile.Width = 200;
        }

        return console;
    }
}

/// <summary>Where a folder of a run comes from, as messages name it.</summary>
internal enum FolderSource
{
    /// <summary>The command line's option (<c>--data-root</c>).</summary>
    Option,

    /// <summary><see cref="ExperimentHostOptions.DataRoot"/>.</summary>
    HostOptions,

    /// <summary>The project's <c>ExperimentsDataRoot</c> (<see cref="ExperimentProject.DataRoot"/>).</summary>
    Project,

    /// <summary><c>data/</c> of the current directory.</summary>
    CurrentDirectory,
}
