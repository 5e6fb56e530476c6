using System.Text;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary><c>RESULTS/latest.json</c>: the run's results as a JSON array, one object per experiment (atomically replaced).</summary>
public sealed class LatestJsonExporter : IRunExporter
{
    /// <inheritdoc/>
    public string Name => ResultFiles.JsonFileName;

    /// <inheritdoc/>
    public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(context);
        return LatestFile.Write(context, ResultFiles.JsonFileName, ResultFiles.ToJson(summary.Results));
    }
}

/// <summary><c>RESULTS/latest.md</c>: the run's results table in Markdown (atomically replaced).</summary>
public sealed class LatestMarkdownExporter : IRunExporter
{
    /// <inheritdoc/>
    public string Name => ResultFiles.MarkdownFileName;

    /// <inheritdoc/>
    public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(context);
        return LatestFile.Write(context, ResultFiles.MarkdownFileName, Encoding.UTF8.GetBytes(ResultFiles.ToMarkdown(summary.Results)));
    }
}

internal static class LatestFile
{
    public static IReadOnlyList<string> Write(RunExportContext context, string name, byte[] bytes)
    {
        var path = Path.Combine(context.ResultsDirectory, name);
        try
        {
            ResultFiles.EnsureWritable(context.ResultsDirectory);
            AtomicFile.Write(path, bytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Could not write the result file '{path}': {exception.Message}", exception);
        }

        context.Console.MarkupLineInterpolated(TerminalText.Format, $"Results written to [blue]{path}[/]");
        return [path];
    }
}
