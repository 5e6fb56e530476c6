using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// The run's pictures in its folder, <c>RESULTS/RUN/*.png</c> (<see cref="RunPlots"/>): learning curves, accuracies,
/// confusion matrices, first-layer weights; a cached result's own pictures copied from the run that trained it. Not
/// for an interrupted run (a stop should be quick), nor for one not recorded (it has no folder).
/// </summary>
public sealed class PicturesExporter : IRunExporter
{
    /// <inheritdoc/>
    public string Name => "pictures";

    /// <inheritdoc/>
    public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(context);
        if (summary.Status == RunOutcome.Interrupted || summary.Results.Count == 0)
        {
            return [];
        }

        if (context.RunDirectory is not { } directory)
        {
            context.Console.MarkupLine("[grey]No pictures: the run is not recorded (ExperimentHostOptions.RecordHistory is false), so it has no folder.[/]");
            return [];
        }

        IReadOnlyList<RunPicture> pictures;
        try
        {
            pictures = RunPlots.Write(directory, summary.Results, (result, path) => RunPictures.DrawnBefore(context.ResultsDirectory, result, path));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Drawing is an optional step: whatever went wrong there, the results are already safe.
            throw new IOException($"Could not draw the pictures into '{directory}': {exception.Message}", exception);
        }

        context.Console.MarkupLineInterpolated(TerminalText.Format, $"{pictures.Count} pictures written to [blue]{directory}[/]");
        return [.. pictures.Select(p => Path.Combine(directory, p.RelativePath))];
    }
}

/// <summary>Pictures a run already has on disk, which need not be drawn again.</summary>
internal static class RunPictures
{
    /// <summary>
    /// A cached result's own picture as the run that trained it saved it (the same result draws the same picture),
    /// or null (not cached, or the file is gone or unreadable: it is drawn again).
    /// </summary>
    public static byte[]? DrawnBefore(string resultsDirectory, ExperimentResult result, string relativePath) =>
        result.CachedFromRun is { } run ? Read(Path.Combine(resultsDirectory, HistoryTables.Id(run)), relativePath) : null;

    /// <summary>The PNG file <paramref name="relativePath"/> of <paramref name="runDirectory"/>, or null when it is missing or not a PNG.</summary>
    public static byte[]? Read(string runDirectory, string relativePath)
    {
        try
        {
            var path = Path.Combine(runDirectory, relativePath);
            var bytes = File.Exists(path) ? File.ReadAllBytes(path) : null;
            return bytes is { Length: > 24 } && HtmlReport.IsPng(bytes) ? bytes : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
