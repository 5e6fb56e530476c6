using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// The run history, <c>RESULTS/experiments.db</c> (SQLite, <see cref="ResultStore"/>): unlike the other exporters it
/// records as the run goes, so an interrupted run loses nothing. When the run starts, the host records the run (its
/// id names the run's folder <c>RESULTS/RUN</c>, where each experiment's checkpoint goes); each result when it is
/// known; and this exporter's <see cref="Export"/> records how the run ended. The run cache, <c>--resume</c> and the
/// history commands (<c>runs</c>, <c>show</c>, <c>compare</c>, <c>report</c>, <c>predict</c>, <c>export-model</c>)
/// read it. Without it in <see cref="ExperimentHostOptions.Exporters"/> a run is not recorded: every experiment
/// trains, nothing is resumed, no checkpoint is kept and <see cref="RunSummary.RunId"/> is null.
/// </summary>
public sealed class RunHistoryExporter : IRunExporter
{
    /// <inheritdoc/>
    public string Name => ResultStore.FileName;

    /// <summary>Records how the run ended (<see cref="RunSummary.Status"/>); returns the store's path.</summary>
    public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Recording is not { } recording)
        {
            // Only the host records runs (it starts the recording before training): another caller has nothing to end.
            throw new InvalidOperationException("The run history records a run the host started; this run has no recording");
        }

        recording.FinishIfRunning(summary.Status);
        if (recording.UnrecordedResults > 0)
        {
            context.Console.MarkupLineInterpolated(TerminalText.Format, $"[red]{recording.UnrecordedResults} of {recording.Results} results could not be recorded[/] in [blue]{recording.StorePath}[/], so run {recording.RunId} is not completed");
        }

        if (recording.Failed)
        {
            throw new StoreException($"Run {recording.RunId} could not be recorded in full in '{recording.StorePath}'");
        }

        context.Console.MarkupLineInterpolated(TerminalText.Format, $"Run [bold]{recording.RunId}[/] ({summary.Status}) recorded in [blue]{recording.StorePath}[/]");
        return [recording.StorePath];
    }
}
