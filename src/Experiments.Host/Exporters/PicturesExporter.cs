using System.Globalization;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Runner;

/// <summary>
/// What <c>all</c> and <c>run</c> leave in the results folder besides the run history: latest.json and latest.md,
/// and the run's pictures in RESULTS/RUN/ (a cached result's own pictures copied from the run that trained it).
/// </summary>
internal sealed class RunOutputs(IAnsiConsole console, string resultsDirectory)
{
    /// <summary>Writes latest.json and latest.md; a failure is reported and returns false.</summary>
    public bool WriteResultFiles(IReadOnlyList<ExperimentResult> results)
    {
        try
        {
            var paths = ResultFiles.WriteLatest(resultsDirectory, results);
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
    public bool WritePictures(long runId, IReadOnlyList<ExperimentResult> results)
    {
        var directory = Path.Combine(resultsDirectory, runId.ToString(CultureInfo.InvariantCulture));
        try
        {
            var pictures = RunPlots.Write(directory, results, DrawnBefore);
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

    /// <summary>
    /// A cached result's own picture as the run that trained it saved it (the same result draws the same picture),
    /// or null (not cached, or the file is gone or unreadable: it is drawn again).
    /// </summary>
    private byte[]? DrawnBefore(ExperimentResult result, string relativePath)
    {
        if (result.CachedFromRun is not { } run)
        {
            return null;
        }

        try
        {
            var path = Path.Combine(resultsDirectory, run.ToString(CultureInfo.InvariantCulture), relativePath);
            var bytes = File.Exists(path) ? File.ReadAllBytes(path) : null;
            return bytes is { Length: > 24 } && HtmlReport.IsPng(bytes) ? bytes : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
