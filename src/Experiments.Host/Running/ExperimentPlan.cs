using System.Diagnostics;
using System.Globalization;
using Experiments.Data;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Experiments.Running;
using Spectre.Console;
using static System.FormattableString;

namespace Experiments.Hosting;

/// <summary>
/// Runs a list of experiments for the <c>all</c> and <c>run</c> commands and <see cref="ExperimentHost.RunExperiments"/>:
/// records the run (<see cref="ExperimentHostOptions.RecordHistory"/>), answers what it can from the run cache (<see cref="RunCache"/>),
/// loads each dataset the rest train on once, reports progress to the event handlers (<see cref="RunEvents"/>),
/// prints the results table and hands the run to the exporters.
/// </summary>
internal sealed class ExperimentPlan(RunOptions options)
{
    private readonly IAnsiConsole console = options.Host.Console;

    public RunSummary Execute(IReadOnlyList<IExperiment> experiments, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        RunSummary NotRun(int exitCode) => new()
        {
            Status = exitCode == 0 ? RunOutcome.Completed : RunOutcome.Failed,
            Results = [],
            ResultsDirectory = options.Results,
            DataRoot = options.DataRoot,
            ExitCode = exitCode,
            Elapsed = stopwatch.Elapsed,
        };

        if (experiments.Count == 0)
        {
            console.MarkupLine("[yellow]No experiments to run.[/] Add a YAML file to the project's experiments folder and build.");
            return NotRun(ExitCodes.Success);
        }

        // A mistyped --data-root (or ExperimentHostOptions.DataRoot) would fail every experiment: refuse it before
        // the run is recorded or anything written.
        if (DataRootProblem(options) is { } problem)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {problem}");
            return NotRun(ExitCodes.UsageError);
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
                return NotRun(ExitCodes.UsageError);
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
            return NotRun(ExitCodes.UsageError);
        }

        RunRecording? recording = null;
        if (options.Host.Options.RecordHistory)
        {
            try
            {
                recording = RunRecording.Start(console, options.Store(), options.CommandLine, experiments, options.Host.GitDirectory);
            }
            catch (Exception exception) when (exception is StoreException or UsageException)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
                return NotRun(ExitCodes.UsageError);
            }
        }

        using (recording)
        {
            try
            {
                return Execute(experiments, recording, stopwatch, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                recording?.FinishIfRunning(RunStatus.Interrupted);
                throw;
            }
            catch
            {
                // Whatever escaped (a bug, a console that cannot be written, a download that timed out), the run
                // must not stay 'running' in the history for ever.
                recording?.FinishIfRunning(RunStatus.Failed);
                throw;
            }
        }
    }

    /// <summary>
    /// Says which YAML files changed since the build (a <c>--no-build</c> run after an edit): the experiments hold the
    /// values the build read, and that is what trains and is recorded.
    /// </summary>
    private void WarnAboutStaleFiles(IReadOnlyList<IExperiment> experiments)
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

    private RunSummary Execute(IReadOnlyList<IExperiment> experiments, RunRecording? recording, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var dataRoot = options.DataRoot;
        if (recording is null)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments.Count}[/] experiment(s) · data: [blue]{dataRoot}[/] · results: [blue]{options.Results}[/] · not recorded (ExperimentHostOptions.RecordHistory is false)");
        }
        else
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments.Count}[/] experiment(s) · data: [blue]{dataRoot}[/] · results: [blue]{options.Results}[/] · run [bold]{recording.RunId}[/]");
        }

        WarnAboutStaleFiles(experiments);
        using var store = new DatasetStore(StoreOptions(console, options));
        var events = new RunEvents(options.Host.EventHandlers, console, cancellationToken);
        events.RunStarted(new RunStartedEvent(experiments, recording?.RunId, dataRoot, options.Results, console));

        ResumePlan resumes = null!;
        var session = new ExperimentSession(name => store.Load(name, cancellationToken))
        {
            // Each experiment's model and per-epoch training state go into its folder of the run:
            // results/RUN/EXPERIMENT/model.safetensors; with --resume, it goes on from an earlier run's state. A run
            // that is not recorded has no folder, and keeps no checkpoint (nothing could find it).
            Checkpoints = recording is null ? null : experiment => new Checkpoints.CheckpointOptions(InterruptedTrainings.FolderOf(options.Results, recording.RunId, experiment))
            {
                ResumeFrom = resumes.ResumeFrom(experiment),
            },
            ResultsDirectory = options.Results,
        };
        var results = new List<ExperimentResult>();
        var cancelled = false;
        var loaded = new Dictionary<string, bool>(StringComparer.Ordinal);
        bool Load(string name)
        {
            // The store logs what it read and verified, and remembers a failure, which then shows up once, as the
            // reason its experiments failed. A stop cancels a download under way.
            if (!loaded.TryGetValue(name, out var ok))
            {
                try
                {
                    store.Load(name, cancellationToken);
                    ok = true;
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Any failure to load (a bad file, or a fault of the loader itself) fails that dataset's experiments
                    // only: reported per experiment by the session, and the other datasets' experiments still run.
                    ok = false;
                }

                loaded[name] = ok;
            }

            return ok;
        }

        RunCache cache = null!;
        var threadsSet = false;
        IExperiment? training = null;
        void Train(IExperiment experiment, int index)
        {
            var hit = cache.HitOf(experiment);
            events.ExperimentStarted(new ExperimentStartedEvent(experiment, index, experiments.Count, cached: hit is not null));
            ExperimentResult result;
            if (hit is not null)
            {
                result = RunCache.AsCached(hit);
                recording?.Record(result, cache.KeyOf(experiment), cachedFrom: hit);
            }
            else
            {
                // Not before: when the run cache answers every experiment, the native library is never loaded.
                if (!threadsSet)
                {
                    TorchSharp.torch.set_num_threads(options.Threads);
                    threadsSet = true;
                }

                training = experiment;
                var epochs = new SynchronousProgress<EpochReport>(report => events.EpochCompleted(new EpochCompletedEvent(experiment, report)));
                var batches = new SynchronousProgress<BatchReport>(report => events.BatchCompleted(new BatchCompletedEvent(experiment, report)));
                result = session.Run(experiment, epochs, batches, cancellationToken);
                training = null;

                // Until the trainer measures it, the model is what the build says it is.
                result = result.Model is null ? result with { Model = experiment.Architecture } : result;
                if (result.CheckpointError is { } checkpointError)
                {
                    Warn($"{experiment.Name}: {checkpointError}; the result is kept without it");
                }

                if (result.ResumeError is { } resumeError)
                {
                    Warn($"{experiment.Name}: {resumeError}");
                }

                if (result.TrainingStateError is { } stateError)
                {
                    Warn($"{experiment.Name}: {stateError}");
                }

                if (recording is not null)
                {
                    var unrecorded = recording.UnrecordedResults;
                    recording.Record(result, cache.KeyOf(experiment));
                    resumes.Finished(experiment, result, cache.KeyOf(experiment), recording.UnrecordedResults == unrecorded, Warn);
                }
            }

            results.Add(result);
            events.ExperimentCompleted(new ExperimentCompletedEvent(experiment, result, index, experiments.Count));
        }

        try
        {
            cache = RunCache.Plan(experiments, store, recording, options.Results, options.Force, Warn, Load);
            resumes = ResumePlan.Make(experiments, cache, recording, options.Results, options.Resume, Say, Warn);

            // Load every dataset an experiment trains on before the progress display starts; one whose experiments
            // the run cache answers is not read at all.
            foreach (var name in experiments.Where(cache.Trains).Select(e => e.Dataset).Distinct(StringComparer.Ordinal))
            {
                Load(name);
            }

            events.RunInScopes(() =>
            {
                for (var i = 0; i < experiments.Count; i++)
                {
                    Train(experiments[i], i + 1);
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            console.MarkupLine("[yellow]Interrupted:[/] the experiments that finished are kept, and the run is recorded as interrupted.");
            if (resumes?.InterruptedHint(training, options.CommandLine, options.Resume, options.Host.ApplicationName) is { } hint)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"{hint}");
            }
        }

        console.WriteLine();
        console.Write(BuildTable(results));
        foreach (var failure in results.Where(r => r.Status == ExperimentStatus.Failed).GroupBy(r => r.Error, StringComparer.Ordinal))
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]{string.Join(", ", failure.Select(r => r.Experiment))} failed:[/] {failure.Key}");
        }

        // A run whose results are not all in the history is not completed, whatever its experiments did.
        var status = cancelled ? RunOutcome.Interrupted
            : results.All(r => r.Status != ExperimentStatus.Failed) && (recording?.UnrecordedResults ?? 0) == 0 ? RunOutcome.Completed
            : RunOutcome.Failed;

        // Nothing could be trained or reused (a wrong data root, a missing dataset).
        var noData = cache is null || (cache.Hits == 0 && !loaded.ContainsValue(true));
        IEnumerable<IRunExporter> exporters = options.Host.Exporters;
        int exitCode;
        if (cancelled && results.Count == 0)
        {
            console.MarkupLine("No experiment finished, so the result files were left as they were.");
            exporters = [];
            exitCode = ExitCodes.Cancelled;
        }
        else if (noData)
        {
            // Nothing could be trained (a wrong data root, a missing dataset): failed rows must not replace the
            // results of the last run that had data. The failures are recorded in the run history.
            console.MarkupLine("No dataset could be loaded, so the result files were left as they were.");
            exporters = [];
            exitCode = cancelled ? ExitCodes.Cancelled : ExitCodes.ExperimentFailed;
        }
        else
        {
            // A diverged experiment is a result (its learning rate blew up), not a failure of the run.
            exitCode = cancelled ? ExitCodes.Cancelled : status == RunOutcome.Completed ? ExitCodes.Success : ExitCodes.ExperimentFailed;
        }

        // The run history is finished before any exporter runs: the HTML report reads the finished run.
        if (recording is not null && FinishRecording(recording, status) && !cancelled)
        {
            exitCode = ExitCodes.ExperimentFailed;
        }

        var summary = new RunSummary
        {
            RunId = recording?.RunId,
            Status = status,
            Results = results,
            ResultsDirectory = options.Results,
            DataRoot = dataRoot,
            ExitCode = exitCode,
            Elapsed = stopwatch.Elapsed,
        };
        var runDirectory = recording is null ? null : Path.Combine(options.Results, HistoryTables.Id(recording.RunId));
        var context = new RunExportContext(options.Results, runDirectory, console, options.Host.ApplicationName) { Store = recording?.Location };
        var exports = exporters.Select(exporter => Export(exporter, summary, context, cancellationToken)).ToList();
        if (exports.Any(e => e.Failed) && !cancelled)
        {
            exitCode = ExitCodes.ExperimentFailed;
        }

        summary = summary with { Exports = exports, ExitCode = exitCode, Elapsed = stopwatch.Elapsed };
        events.RunCompleted(summary);
        return summary;
    }

    /// <summary>Records how the run ended and says so; true when the run could not be recorded in full.</summary>
    private bool FinishRecording(RunRecording recording, RunOutcome status)
    {
        recording.FinishIfRunning(RunStatusOf(status));
        if (recording.UnrecordedResults > 0)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]{recording.UnrecordedResults} of {recording.Results} results could not be recorded[/] in [blue]{recording.StorePath}[/], so run {recording.RunId} is not completed");
        }

        if (recording.Failed)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] run {recording.RunId} could not be recorded in full in [blue]{recording.StorePath}[/]");
            return true;
        }

        console.MarkupLineInterpolated(TerminalText.Format, $"Run [bold]{recording.RunId}[/] ({RunStatusOf(status)}) recorded in [blue]{recording.StorePath}[/]");
        return false;
    }

    /// <summary>The run history's word for <paramref name="outcome"/> (<see cref="RunStatus"/>).</summary>
    internal static string RunStatusOf(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Completed => RunStatus.Completed,
        RunOutcome.Interrupted => RunStatus.Interrupted,
        _ => RunStatus.Failed,
    };

    /// <summary>One exporter's turn: what it wrote, or, when it threw, its error, reported by its name.</summary>
    private RunExportResult Export(IRunExporter exporter, RunSummary summary, RunExportContext context, CancellationToken cancellationToken)
    {
        string name;
        try
        {
            name = exporter.Name;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            name = exporter.GetType().FullName ?? exporter.GetType().Name;
        }

        try
        {
            var files = exporter.Export(summary, context) ?? [];
            return new RunExportResult(name, [.. files]);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // An exporter's outputs are missing; the results, the run history and the other exporters' files are kept.
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]The exporter {name} failed:[/] {exception.Message}");
            return new RunExportResult(name, [], exception.Message);
        }
    }

    /// <summary>
    /// The dataset store's options of every command that loads datasets (<c>all</c>, <c>run</c>, <c>datasets</c>):
    /// the described datasets, the data root, downloads as asked, and its log on the console in grey; then adjusted
    /// by <see cref="ExperimentHostOptions.ConfigureDatasetStore"/>.
    /// </summary>
    internal static DatasetStoreOptions StoreOptions(IAnsiConsole console, RunOptions options)
    {
        var storeOptions = new DatasetStoreOptions
        {
            DataRoot = options.DataRoot,
            Datasets = options.Host.Datasets,
            AllowDownload = options.Download,
            DownloadCommand = DownloadCommand(options),
            RememberFailures = true,
            Log = message => console.MarkupLineInterpolated(TerminalText.Format, $"[grey]{message}[/]"),
        };
        return options.Host.Options.ConfigureDatasetStore?.Invoke(storeOptions) ?? storeOptions;
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

    /// <summary>The command that fetches missing data into the same data root, quoted in "not found" errors.</summary>
    private static string DownloadCommand(RunOptions options)
    {
        var command = $"{options.Host.ApplicationName} all --download";
        return options.DataRootOption is null ? command : $"{command} --data-root {ShellQuote(options.DataRootOption)}";
    }

    internal static string ShellQuote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '~')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");

    private void Say(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"{message}");

    private static string StatusMarkup(ExperimentResult result) => result.Status switch
    {
        ExperimentStatus.Completed when result.CachedFromRun is not null => "[blue]" + Markup.Escape(ResultTable.StatusText(result, "completed")) + "[/]",
        ExperimentStatus.Completed => "[green]completed[/]",
        ExperimentStatus.Diverged => "[yellow]diverged[/]",
        _ => "[red]failed[/]",
    };

    /// <summary>The results table on the console: <see cref="ResultTable.Columns"/>, the status in colour, each sweep's leader in bold.</summary>
    internal static Table BuildTable(IReadOnlyList<ExperimentResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Results");
        foreach (var column in ResultTable.Columns)
        {
            var header = new TableColumn(Markup.Escape(column.Header));
            if (ReferenceEquals(column, ResultTable.Experiment))
            {
                header.NoWrap(); // Names (a sweep's "lr-sweep/learningRate=0.01") stay whole; other cells wrap instead.
            }

            table.AddColumn(column.Numeric ? header.RightAligned() : header);
        }

        // A sweep's rows are adjacent (catalog order); an empty row sets each sweep apart, and its most accurate
        // member's accuracy is bold.
        var leaders = ResultTable.SweepLeaders(results);
        string? previousSweep = null;
        var first = true;
        foreach (var result in results)
        {
            var sweep = ResultTable.SweepOf(result.Experiment);
            if (!first && sweep != previousSweep)
            {
                table.AddEmptyRow();
            }

            (previousSweep, first) = (sweep, false);
            table.AddRow(ResultTable.Columns.Select(column =>
                ReferenceEquals(column, ResultTable.Status) ? new Markup(StatusMarkup(result))
                : ReferenceEquals(column, ResultTable.Accuracy) && leaders.Contains(result) ? new Text(TerminalText.Escape(column.Value(result).Text), new Style(decoration: Decoration.Bold))
                : (Spectre.Console.Rendering.IRenderable)new Text(TerminalText.Escape(column.Value(result).Text))));
        }

        return table;
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
