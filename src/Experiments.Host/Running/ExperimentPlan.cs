using System.Globalization;
using Experiments.Data;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Experiments.Running;
using Spectre.Console;
using static System.FormattableString;

namespace Experiments.Runner;

/// <summary>
/// Runs a list of experiments for the <c>all</c> and <c>run</c> commands: answers what it can from the run cache
/// (<see cref="RunCache"/>), loads each dataset the rest train on once, shows progress, prints the results table
/// and writes the result files.
/// </summary>
internal sealed class ExperimentPlan(IAnsiConsole console, RunOptions options)
{
    public int Execute(IReadOnlyList<IExperiment> experiments, CancellationToken cancellationToken)
    {
        if (experiments.Count == 0)
        {
            console.MarkupLine("[yellow]No experiments to run.[/] Add a YAML file under experiments/ and build.");
            return 0;
        }

        // A mistyped --data-root would fail every experiment: refuse it before the run is recorded or anything written.
        if (DataRootProblem(options) is { } problem)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {problem}");
            return RunnerApp.UsageError;
        }

        // Find out now, not after an hour of training, that the results cannot be written.
        try
        {
            ResultFiles.EnsureWritable(options.Results);
        }
        catch (IOException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return RunnerApp.UsageError;
        }

        RunRecording recording;
        try
        {
            recording = RunRecording.Start(console, options.Results, options.CommandLine, experiments);
        }
        catch (StoreException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return RunnerApp.UsageError;
        }

        using (recording)
        {
            try
            {
                return Execute(experiments, recording, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                recording.FinishIfRunning(RunStatus.Interrupted);
                throw;
            }
            catch
            {
                // Whatever escaped (a bug, a console that cannot be written, a download that timed out), the run
                // must not stay 'running' in the history for ever.
                recording.FinishIfRunning(RunStatus.Failed);
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

    private int Execute(IReadOnlyList<IExperiment> experiments, RunRecording recording, CancellationToken cancellationToken)
    {
        var dataRoot = options.DataRoot;
        console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments.Count}[/] experiment(s) · data: [blue]{dataRoot}[/] · results: [blue]{options.Results}[/] · run [bold]{recording.RunId}[/]");
        WarnAboutStaleFiles(experiments);
        using var store = new DatasetStore(StoreOptions(console, options));

        ResumePlan resumes = null!;
        var session = new ExperimentSession(name => store.Load(name, cancellationToken))
        {
            // Each experiment's model and per-epoch training state go into its folder of the run:
            // results/RUN/EXPERIMENT/model.safetensors; with --resume, it goes on from an earlier run's state.
            Checkpoints = experiment => new Checkpoints.CheckpointOptions(InterruptedTrainings.FolderOf(options.Results, recording.RunId, experiment))
            {
                ResumeFrom = resumes.ResumeFrom(experiment),
            },
            ResultsDirectory = options.Results,
        };
        var outputs = new RunOutputs(console, options.Results);
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
        ExperimentResult Train(IExperiment experiment, IProgress<EpochReport> progress, IProgress<BatchReport>? batches)
        {
            ExperimentResult result;
            if (cache.HitOf(experiment) is { } hit)
            {
                result = RunCache.AsCached(hit);
                recording.Record(result, cache.KeyOf(experiment), cachedFrom: hit);
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
                result = session.Run(experiment, progress, batches, cancellationToken);
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

                var unrecorded = recording.UnrecordedResults;
                recording.Record(result, cache.KeyOf(experiment));
                resumes.Finished(experiment, result, cache.KeyOf(experiment), recording.UnrecordedResults == unrecorded, Warn);
            }

            results.Add(result);
            return result;
        }

        try
        {
            cache = RunCache.Plan(experiments, store, recording, options.Force, Warn, Load);
            resumes = ResumePlan.Make(experiments, cache, recording, options.Results, options.Resume, Say, Warn);

            // Load every dataset an experiment trains on before the progress display starts; one whose experiments
            // the run cache answers is not read at all.
            foreach (var name in experiments.Where(cache.Trains).Select(e => e.Dataset).Distinct(StringComparer.Ordinal))
            {
                Load(name);
            }

            if (console.Profile.Capabilities.Interactive)
            {
                RunWithProgressBars(experiments, Train);
            }
            else
            {
                RunWithLog(experiments, Train);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            console.MarkupLine("[yellow]Interrupted:[/] the experiments that finished are kept, and the run is recorded as interrupted.");
            if (resumes?.InterruptedHint(training, options.CommandLine, options.Resume) is { } hint)
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
        var status = cancelled ? RunStatus.Interrupted
            : results.All(r => r.Status != ExperimentStatus.Failed) && recording.UnrecordedResults == 0 ? RunStatus.Completed
            : RunStatus.Failed;
        recording.Finish(status);
        if (recording.UnrecordedResults > 0)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]{recording.UnrecordedResults} of {recording.Results} results could not be recorded[/] in [blue]{recording.StorePath}[/], so run {recording.RunId} is not completed");
        }

        if (!recording.Failed)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Run [bold]{recording.RunId}[/] ({status}) recorded in [blue]{recording.StorePath}[/]");
        }

        // Nothing could be trained or reused (a wrong data root, a missing dataset).
        var noData = cache is null || (cache.Hits == 0 && !loaded.ContainsValue(true));
        var pictures = cancelled || results.Count == 0 || noData || outputs.WritePictures(recording.RunId, results);
        if (cancelled && results.Count == 0)
        {
            console.MarkupLine("No experiment finished, so the result files were left as they were.");
            return RunnerApp.Cancelled;
        }

        if (noData)
        {
            // Nothing could be trained (a wrong data root, a missing dataset): failed rows must not replace the
            // results of the last run that had data. The failures are recorded in the run history.
            console.MarkupLine("No dataset could be loaded, so the result files were left as they were.");
            return cancelled ? RunnerApp.Cancelled : RunnerApp.ExperimentFailed;
        }

        var written = outputs.WriteResultFiles(results);
        if (cancelled)
        {
            return RunnerApp.Cancelled;
        }

        // A diverged experiment is a result (its learning rate blew up), not a failure of the run.
        return written && pictures && !recording.Failed && status == RunStatus.Completed ? 0 : RunnerApp.ExperimentFailed;
    }

    /// <summary>
    /// The dataset store's options of every command that loads datasets (<c>all</c>, <c>run</c>, <c>datasets</c>):
    /// the described datasets, the data root, downloads as asked, and its log on the console in grey; then adjusted
    /// by <see cref="RunOptions.DatasetStore"/> (tests).
    /// </summary>
    internal static DatasetStoreOptions StoreOptions(IAnsiConsole console, RunOptions options)
    {
        var storeOptions = new DatasetStoreOptions
        {
            DataRoot = options.DataRoot,
            Datasets = Generated.DatasetCatalog.All,
            AllowDownload = options.Download,
            DownloadCommand = DownloadCommand(options),
            RememberFailures = true,
            Log = message => console.MarkupLineInterpolated(TerminalText.Format, $"[grey]{message}[/]"),
        };
        return options.DatasetStore?.Invoke(storeOptions) ?? storeOptions;
    }

    /// <summary>What is wrong with the --data-root given (it must be an existing folder), or null.</summary>
    internal static string? DataRootProblem(RunOptions options)
    {
        var root = options.DataRoot;
        if (options.DataRootOption is null || Directory.Exists(root))
        {
            return null;
        }

        var what = File.Exists(root) ? "is a file, not a folder" : "does not exist";
        var download = options.Download ? " (--download fetches into an existing folder: create it first)" : "";
        return $"the data root '{root}' given with --data-root {what}{download}. Give the folder that holds one folder per dataset (mnist/, fashion-mnist/); nothing was run or written.";
    }

    /// <summary>The command that fetches missing data into the same data root, quoted in "not found" errors.</summary>
    private static string DownloadCommand(RunOptions options)
    {
        var command = DatasetStoreOptions.DefaultDownloadCommand;
        return options.DataRootOption is null ? command : $"{command} --data-root {ShellQuote(options.DataRootOption)}";
    }

    internal static string ShellQuote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '~')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");

    private void Say(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"{message}");

    private void RunWithProgressBars(IReadOnlyList<IExperiment> experiments, Func<IExperiment, IProgress<EpochReport>, IProgress<BatchReport>?, ExperimentResult> train)
    {
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                var tasks = experiments.ToDictionary(e => e, e => progress.AddTask(Markup.Escape(TerminalText.Escape(e.Name)), autoStart: false, maxValue: e.Settings.Epochs));
                foreach (var experiment in experiments)
                {
                    var task = tasks[experiment];
                    task.StartTask();
                    var lastLoss = "";
                    var reporter = new SynchronousProgress<EpochReport>(report =>
                    {
                        task.Value = report.Epoch;
                        lastLoss = Invariant($"  loss {report.TrainLoss:F4}");
                        task.Description = Markup.Escape(TerminalText.Escape(Invariant($"{experiment.Name}  epoch {report.Epoch}/{report.TotalEpochs}{lastLoss}")));
                    });
                    // Within an epoch (a CNN's takes seconds): the bar moves by batches, with speed and time left.
                    var batches = new SynchronousProgress<BatchReport>(report =>
                    {
                        task.Value = report.Epoch - 1 + ((double)report.Batch / Math.Max(1, report.TotalBatches));
                        task.Description = Markup.Escape(TerminalText.Escape(Invariant($"{experiment.Name}  epoch {report.Epoch}/{report.TotalEpochs}  batch {report.Batch}/{report.TotalBatches}  {report.ImagesPerSecond:F0} img/s  {BatchTimeLeft(report)} left{lastLoss}")));
                    });
                    var result = train(experiment, reporter, batches);
                    task.Description = Markup.Escape(TerminalText.Escape(experiment.Name)) + "  " + Outcome(result);
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
            });
    }

    /// <summary>Time left in the experiment's training at this epoch's speed, e.g. <c>1:05</c> (the validation passes not counted).</summary>
    internal static string BatchTimeLeft(BatchReport report)
    {
        if (report.ImagesPerSecond <= 0)
        {
            return "?";
        }

        var images = report.EpochImages - report.Images + ((long)(report.TotalEpochs - report.Epoch) * report.EpochImages);
        var left = TimeSpan.FromSeconds(Math.Ceiling(images / report.ImagesPerSecond));
        return left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : left.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }

    private void RunWithLog(IReadOnlyList<IExperiment> experiments, Func<IExperiment, IProgress<EpochReport>, IProgress<BatchReport>?, ExperimentResult> train)
    {
        var index = 0;
        foreach (var experiment in experiments)
        {
            index++;
            console.MarkupLineInterpolated(TerminalText.Format, $"[[{index}/{experiments.Count}]] [bold]{experiment.Name}[/] ({experiment.SourceFile})");
            var reporter = new SynchronousProgress<EpochReport>(report =>
                console.MarkupLineInterpolated(TerminalText.Format, $"      epoch {report.Epoch}/{report.TotalEpochs}  train loss {report.TrainLoss:F4}{(report.ValidationLoss is { } v ? Invariant($"  validation loss {v:F4}") : "")}"));
            var result = train(experiment, reporter, null);
            console.MarkupLine("      " + Outcome(result));
        }
    }

    private static string Outcome(ExperimentResult result) => result.Status switch
    {
        ExperimentStatus.Completed when result is { CachedFromRun: { } run, Test: { } cached } => Markup.Escape(Invariant($"cached: {cached.Accuracy:F2}% from run {run} (not trained again; --force retrains)")),
        ExperimentStatus.Completed when result.Test is { } test => Markup.Escape(Invariant($"{test.Accuracy:F2}% in {result.TrainSeconds:F2} s{(result.ResumedFromEpoch is { } resumed ? $" (resumed after epoch {resumed})" : "")}")),
        ExperimentStatus.Diverged => "[yellow]diverged[/]: " + Markup.Escape(TerminalText.Escape(result.DivergenceReason)),
        _ => "[red]failed[/]",
    };

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
