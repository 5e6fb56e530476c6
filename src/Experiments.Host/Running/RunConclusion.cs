using System.Diagnostics;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// How a run ends, for <see cref="ExperimentPlan"/> and the <c>--parallel</c> coordinator: the results table and the
/// failures, the outcome and the exit code, how the run is recorded to have ended (before any exporter runs: the HTML
/// report reads the finished run), the exporters, and <see cref="IRunEventHandler.RunCompleted"/>.
/// </summary>
internal sealed class RunConclusion(RunOptions options, RunEvents events)
{
    private readonly IAnsiConsole console = options.Host.Console;

    /// <summary>Concludes the run.</summary>
    /// <param name="results">Its results, in catalog order.</param>
    /// <param name="cancelled">Whether it was stopped.</param>
    /// <param name="noData">Nothing could be trained or reused (a wrong data root, a missing dataset): the result files are left alone.</param>
    /// <param name="recording">Its record in the run history, or null when it is not recorded.</param>
    /// <param name="stopwatch">Since it started.</param>
    /// <param name="cancellationToken">The run's stop.</param>
    public RunSummary Conclude(IReadOnlyList<ExperimentResult> results, bool cancelled, bool noData, RunRecording? recording, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
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
            DataRoot = options.DataRoot,
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
}
