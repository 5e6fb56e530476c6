using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// The run as one self-contained HTML file, <c>RESULTS/RUN/report.html</c> (<see cref="HtmlReport"/>): its facts, its
/// results, the comparison with each experiment's previous run and the pictures, embedded. Read from the run history,
/// which the host finishes before any exporter runs (<see cref="ExperimentHostOptions.RecordHistory"/>), and it takes the pictures <see cref="PicturesExporter"/> saved
/// (drawing those that are missing). Not for an interrupted run, nor for one not recorded. The <c>report</c> command
/// writes the same file again, of any run.
/// </summary>
public sealed class HtmlReportExporter : IRunExporter
{
    /// <inheritdoc/>
    public string Name => "report.html";

    /// <inheritdoc/>
    public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(context);
        if (summary.Status == RunOutcome.Interrupted || summary.Results.Count == 0)
        {
            return [];
        }

        if (summary.RunId is not { } runId || context.RunDirectory is not { } runDirectory)
        {
            context.Console.MarkupLine("[grey]No HTML report: the run is not recorded (ExperimentHostOptions.RecordHistory is false), and the report is read from there.[/]");
            return [];
        }

        using var store = StoreAccess.Open(context.Store ?? StoreLocation.InDirectory(context.ResultsDirectory), create: false, console: null);
        var run = store.Run(runId) ?? throw new StoreException($"The run history '{store.Path}' has no run {runId}");
        var stored = store.ResultsOfRun(run.Id, withWeights: true);
        var (html, _) = RunReport.Render(store, run, stored, (result, path) => RunPictures.Read(runDirectory, path) ?? RunPictures.DrawnBefore(context.ResultsDirectory, result, path));
        var file = Path.Combine(runDirectory, HtmlReport.FileName);
        Directory.CreateDirectory(runDirectory);
        AtomicFile.Write(file, System.Text.Encoding.UTF8.GetBytes(html));
        context.Console.MarkupLineInterpolated(TerminalText.Format, $"HTML report written to [blue]{file}[/] (of any run: [blue]{context.ApplicationName} report --run {runId}[/])");
        return [file];
    }
}

/// <summary>One run's HTML report, for the <c>report</c> command and <see cref="HtmlReportExporter"/>.</summary>
internal static class RunReport
{
    /// <summary>The report's HTML of <paramref name="stored"/> (read with their weights) and the pictures it embeds (<paramref name="drawn"/>: pictures already on disk, or null to draw them all).</summary>
    public static (string Html, IReadOnlyList<RunPicture> Pictures) Render(ResultStore store, RunRecord run, IReadOnlyList<StoredResult> stored, Func<ExperimentResult, string, byte[]?>? drawn)
    {
        var pictures = RunPlots.Draw([.. stored.Select(r => r.Result)], drawn);
        return (HtmlReport.Render(run, stored, Comparison.AgainstPrevious(store, stored), pictures), pictures);
    }
}
