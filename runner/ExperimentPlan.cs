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
/// Runs a list of experiments for the <c>all</c> and <c>run</c> commands: loads each dataset once, shows progress,
/// prints the results table and writes the result files.
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

    private int Execute(IReadOnlyList<IExperiment> experiments, RunRecording recording, CancellationToken cancellationToken)
    {
        var dataRoot = options.DataRoot;
        TorchSharp.torch.set_num_threads(options.Threads);
        console.MarkupLineInterpolated(TerminalText.Format, $"Running [bold]{experiments.Count}[/] experiment(s) · data: [blue]{dataRoot}[/] · results: [blue]{options.Results}[/] · run [bold]{recording.RunId}[/]");
        using var store = new DatasetStore(new DatasetStoreOptions
        {
            DataRoot = dataRoot,
            AllowDownload = options.Download,
            DownloadCommand = DownloadCommand(),
            RememberFailures = true,
            Log = message => console.MarkupLineInterpolated(TerminalText.Format, $"[grey]{message}[/]"),
        });

        // Load every dataset before the progress display starts; the store logs what it read and verified, and
        // remembers a failure, which then shows up once, as the reason its experiments failed.
        foreach (var name in experiments.Select(e => e.Dataset).Distinct(StringComparer.Ordinal))
        {
            try
            {
                store.Load(name);
            }
            catch (Exception exception) when (exception is DataException or IOException or UnauthorizedAccessException or HttpRequestException)
            {
                // Reported per experiment by the session.
            }
        }

        var session = new ExperimentSession(store.Load);
        var results = new List<ExperimentResult>();
        void Finished(ExperimentResult result)
        {
            results.Add(result);
            recording.Record(result);
        }

        var cancelled = false;
        try
        {
            if (console.Profile.Capabilities.Interactive)
            {
                RunWithProgressBars(session, experiments, Finished, cancellationToken);
            }
            else
            {
                RunWithLog(session, experiments, Finished, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
            console.MarkupLine("[yellow]Interrupted:[/] the experiments that finished are kept, and the run is recorded as interrupted.");
        }

        console.WriteLine();
        console.Write(BuildTable(results));
        foreach (var failure in results.Where(r => r.Status == ExperimentStatus.Failed).GroupBy(r => r.Error, StringComparer.Ordinal))
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]{string.Join(", ", failure.Select(r => r.Experiment))} failed:[/] {failure.Key}");
        }

        var status = cancelled ? RunStatus.Interrupted
            : results.All(r => r.Status != ExperimentStatus.Failed) ? RunStatus.Completed
            : RunStatus.Failed;
        recording.Finish(status);
        if (!recording.Failed)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"Run [bold]{recording.RunId}[/] ({status}) recorded in [blue]{recording.StorePath}[/]");
        }

        var pictures = cancelled || results.Count == 0 || WritePictures(recording.RunId, results);
        if (cancelled && results.Count == 0)
        {
            console.MarkupLine("No experiment finished, so the result files were left as they were.");
            return RunnerApp.Cancelled;
        }

        var written = WriteResultFiles(results);
        if (cancelled)
        {
            return RunnerApp.Cancelled;
        }

        // A diverged experiment is a result (its learning rate blew up), not a failure of the run.
        return written && pictures && !recording.Failed && status == RunStatus.Completed ? 0 : RunnerApp.ExperimentFailed;
    }

    /// <summary>The command that fetches missing data into the same data root, quoted in "not found" errors.</summary>
    private string DownloadCommand()
    {
        var command = DatasetStoreOptions.DefaultDownloadCommand;
        return options.DataRootOption is null ? command : $"{command} --data-root {ShellQuote(options.DataRootOption)}";
    }

    internal static string ShellQuote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '~')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private void RunWithProgressBars(ExperimentSession session, IReadOnlyList<IExperiment> experiments, Action<ExperimentResult> finished, CancellationToken cancellationToken)
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
                    var reporter = new SynchronousProgress<EpochReport>(report =>
                    {
                        task.Value = report.Epoch;
                        task.Description = Markup.Escape(TerminalText.Escape(Invariant($"{experiment.Name}  epoch {report.Epoch}/{report.TotalEpochs}  loss {report.TrainLoss:F4}")));
                    });
                    var result = session.Run(experiment, reporter, cancellationToken);
                    finished(result);
                    task.Description = Markup.Escape(TerminalText.Escape(experiment.Name)) + "  " + Outcome(result);
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
            });
    }

    private void RunWithLog(ExperimentSession session, IReadOnlyList<IExperiment> experiments, Action<ExperimentResult> finished, CancellationToken cancellationToken)
    {
        var index = 0;
        foreach (var experiment in experiments)
        {
            index++;
            console.MarkupLineInterpolated(TerminalText.Format, $"[[{index}/{experiments.Count}]] [bold]{experiment.Name}[/] ({experiment.SourceFile})");
            var reporter = new SynchronousProgress<EpochReport>(report =>
                console.MarkupLineInterpolated(TerminalText.Format, $"      epoch {report.Epoch}/{report.TotalEpochs}  train loss {report.TrainLoss:F4}{(report.ValidationLoss is { } v ? Invariant($"  validation loss {v:F4}") : "")}"));
            var result = session.Run(experiment, reporter, cancellationToken);
            finished(result);
            console.MarkupLine("      " + Outcome(result));
        }
    }

    private static string Outcome(ExperimentResult result) => result.Status switch
    {
        ExperimentStatus.Completed when result.Test is { } test => Markup.Escape(Invariant($"{test.Accuracy:F2}% in {result.TrainSeconds:F2} s")),
        ExperimentStatus.Diverged => "[yellow]diverged[/]: " + Markup.Escape(TerminalText.Escape(result.DivergenceReason)),
        _ => "[red]failed[/]",
    };

    private static string StatusMarkup(ExperimentStatus status) => status switch
    {
        ExperimentStatus.Completed => "[green]completed[/]",
        ExperimentStatus.Diverged => "[yellow]diverged[/]",
        _ => "[red]failed[/]",
    };

    private static readonly int AccuracyColumn = ResultTable.Headers.ToList().IndexOf("Accuracy (%)");

    private static Table BuildTable(IReadOnlyList<ExperimentResult> results)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Results");
        for (var column = 0; column < ResultTable.Headers.Count; column++)
        {
            var header = new TableColumn(Markup.Escape(ResultTable.Headers[column]));
            if (column == 0)
            {
                header.NoWrap(); // Names (a sweep's "lr-sweep/learningRate=0.01") stay whole; other cells wrap instead.
            }

            table.AddColumn(ResultTable.IsNumeric(column) ? header.RightAligned() : header);
        }

        // A sweep's rows are adjacent (catalog order); an empty row sets each sweep apart, and its most accurate
        // member's accuracy is bold.
        var leaders = ResultTable.SweepLeaders(results);
        string? previousSweep = null;
        var first = true;
        foreach (var (result, row) in results.Zip(ResultTable.Rows(results)))
        {
            var sweep = ResultTable.SweepOf(result.Experiment);
            if (!first && sweep != previousSweep)
            {
                table.AddEmptyRow();
            }

            (previousSweep, first) = (sweep, false);
            var cells = row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(TerminalText.Escape(cell))).ToArray();
            if (leaders.Contains(result))
            {
                cells[AccuracyColumn] = new Text(TerminalText.Escape(row[AccuracyColumn]), new Style(decoration: Decoration.Bold));
            }

            cells[ResultTable.StatusColumn] = new Markup(StatusMarkup(result.Status));
            table.AddRow(cells);
        }

        return table;
    }

    private bool WriteResultFiles(IReadOnlyList<ExperimentResult> results)
    {
        try
        {
            var paths = ResultFiles.WriteLatest(options.Results, results);
            console.MarkupLineInterpolated(TerminalText.Format, $"Results written to [blue]{string.Join(" and ", paths)}[/]");
            return true;
        }
        catch (IOException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]Could not write the result files:[/] {exception.Message}");
            return false;
        }
    }

    /// <summary>Draws the run's pictures into results/RUN/; a failure is reported (the results are kept either way).</summary>
    private bool WritePictures(long runId, IReadOnlyList<ExperimentResult> results)
    {
        var directory = Path.Combine(options.Results, runId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var pictures = RunPlots.Write(directory, results);
            console.MarkupLineInterpolated(TerminalText.Format, $"{pictures.Count} pictures written to [blue]{directory}[/] (an HTML report: [blue]dotnet run --project runner -- report --run {runId}[/])");
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Drawing is the last, optional step: whatever went wrong there, the results are already safe.
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]Could not draw the pictures into '{directory}':[/] {exception.Message}");
            return false;
        }
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
