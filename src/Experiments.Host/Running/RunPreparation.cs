using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Getting a run ready before anything trains, for <see cref="ExperimentPlan"/>, the <c>--parallel</c> coordinator
/// and a <c>worker</c>: the data root (it must exist, or be created for <c>--download</c>), a writable results
/// folder, the run header and the warnings about YAML files changed since the build.
/// </summary>
internal static class RunPreparation
{
    /// <summary>
    /// Checks the data root and the results folder (creating a data root <c>--download</c> fills); null when the run
    /// can go on, else the exit code, after saying what is wrong.
    /// </summary>
    public static int? Check(RunOptions options, IAnsiConsole console)
    {
        // A mistyped --data-root (or ExperimentHostOptions.DataRoot) would fail every experiment: refuse it before
        // the run is recorded or anything written.
        if (DataRootProblem(options) is { } problem)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {problem}");
            return ExitCodes.UsageError;
        }

        if (options.Download && options.DataRootSource != FolderSource.Option && !Directory.Exists(options.DataRoot))
        {
            // A first --download run of a new project: its data root does not exist yet, and the datasets go there.
            try
            {
                Directory.CreateDirectory(options.DataRoot);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] the data root '{options.DataRoot}' {Describe(options.DataRootSource)} cannot be created for --download: {exception.Message}; nothing was run or written.");
                return ExitCodes.UsageError;
            }
        }

        // Find out now, not after an hour of training, that the results cannot be written.
        try
        {
            ResultFiles.EnsureWritable(options.Results);
        }
        catch (IOException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return ExitCodes.UsageError;
        }

        return null;
    }

    /// <summary>
    /// Records the run's start in its store (<see cref="RunOptions.Store"/>); null with the exit code when the store
    /// is no store or cannot be used (said on <paramref name="console"/>).
    /// </summary>
    public static (RunRecording? Recording, int ExitCode) StartRecording(RunOptions options, IAnsiConsole console, IReadOnlyList<IExperiment> experiments)
    {
        try
        {
            return (RunRecording.Start(console, options.Store(), options.CommandLine, experiments, options.Host.GitDirectory), ExitCodes.Success);
        }
        catch (Exception exception) when (exception is StoreException or UsageException)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return (null, ExitCodes.UsageError);
        }
    }

    /// <summary>The line a run starts with: how many experiments, the data root, the results folder and the run's id.</summary>
    public static void Header(RunOptions options, IAnsiConsole console, int experiments, long? runId, string note = "")
    {
        if (runId is { } id)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments}[/] experiment(s) · data: [blue]{options.DataRoot}[/] · results: [blue]{options.Results}[/] · run [bold]{id}[/]{note}");
        }
        else
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments}[/] experiment(s) · data: [blue]{options.DataRoot}[/] · results: [blue]{options.Results}[/] · not recorded (ExperimentHostOptions.RecordHistory is false)");
        }
    }

    /// <summary>
    /// Says which YAML files changed since the build (a <c>--no-build</c> run after an edit): the experiments hold the
    /// values the build read, and that is what trains and is recorded.
    /// </summary>
    public static void WarnAboutStaleFiles(IAnsiConsole console, IReadOnlyList<IExperiment> experiments)
    {
        foreach (var file in experiments.SelectMany(e => e.BuiltFiles).DistinctBy(f => f.FullPath, StringComparer.Ordinal))
        {
            var state = file.Check();
            var what = state switch
            {
                ExperimentFileState.Changed => "changed since the build",
                ExperimentFileState.Missing => "was deleted or renamed since the build",
                _ => null,
            };
            if (what is not null)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {file.SourceFile} {what}; this run trains the built settings; rebuild (drop --no-build) to train the edited file");
            }
        }
    }

    /// <summary>
    /// What is wrong with the data root, or null: one given with <c>--data-root</c> must be an existing folder, and so
    /// must one set in <see cref="ExperimentHostOptions.DataRoot"/> unless datasets are downloaded (which creates it).
    /// The project's own (<c>ExperimentsDataRoot</c>) may not exist yet: a missing dataset's message says how to download it.
    /// </summary>
    internal static string? DataRootProblem(RunOptions options)
    {
        var root = options.DataRoot;
        var source = options.DataRootSource;
        if (Directory.Exists(root) || source is FolderSource.Project or FolderSource.CurrentDirectory || (source == FolderSource.HostOptions && options.Download && !File.Exists(root)))
        {
            return null;
        }

        var what = File.Exists(root) ? "is a file, not a folder" : "does not exist";
        var download = source == FolderSource.Option && options.Download ? " (--download fetches into an existing folder: create it first)" : "";
        var datasets = string.Join(", ", options.Host.Datasets.Select(d => d.Root.TrimEnd('/') + "/").Distinct(StringComparer.Ordinal));
        var holds = datasets.Length == 0 ? "one folder per dataset" : $"one folder per dataset ({datasets})";
        return $"the data root '{root}' {Describe(source)} {what}{download}. Give the folder that holds {holds}; nothing was run or written.";
    }

    /// <summary>Where a data root came from, as messages name it.</summary>
    private static string Describe(FolderSource source) => source switch
    {
        FolderSource.Option => "given with --data-root",
        FolderSource.HostOptions => "set in ExperimentHostOptions.DataRoot",
        FolderSource.Project => "of the project (its ExperimentsDataRoot)",
        _ => "(data/ of the current directory)",
    };
}
