using System.Diagnostics;
using Experiments.Data;
using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Runs a list of experiments in this process for the <c>all</c> and <c>run</c> commands and
/// <see cref="ExperimentHost.RunExperiments"/>: prepares the run (<see cref="RunPreparation"/>: data root, results
/// folder, the record in the run history, <see cref="ExperimentHostOptions.RecordHistory"/>), answers what it can from
/// the run cache (<see cref="RunCache"/>), trains the rest one after another (<see cref="ExperimentTrainer"/>) and
/// concludes it (<see cref="RunConclusion"/>: the table, the outcome, the exporters).
/// </summary>
internal sealed class ExperimentPlan(RunOptions options)
{
    private readonly IAnsiConsole console = options.Host.Console;

    public RunSummary Execute(IReadOnlyList<IExperiment> experiments, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        if (experiments.Count == 0)
        {
            console.MarkupLine("[yellow]No experiments to run.[/] Add a YAML file to the project's experiments folder and build.");
            return NotRun(options, ExitCodes.Success, stopwatch);
        }

        if (RunPreparation.Check(options, console) is { } problem)
        {
            return NotRun(options, problem, stopwatch);
        }

        RunRecording? recording = null;
        if (options.Host.Options.RecordHistory)
        {
            (recording, var exitCode) = RunPreparation.StartRecording(options, console, experiments);
            if (recording is null)
            {
                return NotRun(options, exitCode, stopwatch);
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

    /// <summary>The summary of a run that ended before anything was recorded or trained.</summary>
    internal static RunSummary NotRun(RunOptions options, int exitCode, Stopwatch stopwatch) => new()
    {
        Status = exitCode == 0 ? RunOutcome.Completed : RunOutcome.Failed,
        Results = [],
        ResultsDirectory = options.Results,
        DataRoot = options.DataRoot,
        ExitCode = exitCode,
        Elapsed = stopwatch.Elapsed,
    };

    private RunSummary Execute(IReadOnlyList<IExperiment> experiments, RunRecording? recording, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        RunPreparation.Header(options, console, experiments.Count, recording?.RunId);
        RunPreparation.WarnAboutStaleFiles(console, experiments);
        var events = new RunEvents(options.Host.EventHandlers, console, cancellationToken);
        using var trainer = new ExperimentTrainer(options, events, cancellationToken);
        events.RunStarted(new RunStartedEvent(experiments, recording?.RunId, options.DataRoot, options.Results, console));

        ResumePlan resumes = null!;

        // Each experiment's model and per-epoch training state go into its folder of the run:
        // results/RUN/EXPERIMENT/model.safetensors; with --resume, it goes on from an earlier run's state. A run
        // that is not recorded has no folder, and keeps no checkpoint (nothing could find it).
        trainer.CheckpointsOf = recording is null ? null : experiment => new Checkpoints.CheckpointOptions(InterruptedTrainings.FolderOf(options.Results, recording.RunId, experiment))
        {
            ResumeFrom = resumes.ResumeFrom(experiment),
        };
        var results = new List<ExperimentResult>();
        var cancelled = false;
        RunCache cache = null!;
        void Record(IExperiment experiment, ExperimentResult result, StoredResult? hit)
        {
            if (recording is null)
            {
                return;
            }

            if (hit is not null)
            {
                recording.Record(result, cache.KeyOf(experiment), cachedFrom: hit);
                return;
            }

            var unrecorded = recording.UnrecordedResults;
            recording.Record(result, cache.KeyOf(experiment));
            resumes.Finished(experiment, result, cache.KeyOf(experiment), recording.UnrecordedResults == unrecorded, Warn);
        }

        try
        {
            cache = RunCache.Plan(experiments, trainer.Datasets, recording is null ? null : recording.FindCached, options.Results, options.Force, Warn, trainer.Load);
            resumes = ResumePlan.Make(experiments, cache, recording, options.Results, options.Resume, Say, Warn);

            // Load every dataset an experiment trains on before the progress display starts; one whose experiments
            // the run cache answers is not read at all.
            foreach (var name in experiments.Where(cache.Trains).Select(e => e.Dataset).Distinct(StringComparer.Ordinal))
            {
                trainer.Load(name);
            }

            events.RunInScopes(() =>
            {
                for (var i = 0; i < experiments.Count; i++)
                {
                    var experiment = experiments[i];
                    results.Add(trainer.TrainOrReuse(experiment, i + 1, experiments.Count, cache.HitOf(experiment), (result, hit) => Record(experiment, result, hit)));
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            console.MarkupLine("[yellow]Interrupted:[/] the experiments that finished are kept, and the run is recorded as interrupted.");
            if (resumes?.InterruptedHint(trainer.Training, options.CommandLine, options.Resume, options.Host.ApplicationName) is { } hint)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"{hint}");
            }
        }

        // Nothing could be trained or reused (a wrong data root, a missing dataset).
        var noData = cache is null || (cache.Hits == 0 && !trainer.AnyLoaded);
        return new RunConclusion(options, events).Conclude(results, cancelled, noData, recording, stopwatch, cancellationToken);
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
}
