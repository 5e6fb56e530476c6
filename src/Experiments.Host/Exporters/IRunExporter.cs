using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Writes something of a finished run (<see cref="ExperimentHostOptions.Exporters"/>): a file of the results, pictures,
/// a report, a copy elsewhere. The host calls each exporter once per run, in the list's order, after the results
/// table: for a completed, failed or interrupted run (<see cref="RunSummary.Status"/>; the built-in pictures and HTML
/// report skip an interrupted one), not when no experiment finished or no dataset could be loaded (the files of the
/// last run with data stay as they were).
/// </summary>
/// <remarks>
/// An exporter that throws is reported on the console by its <see cref="Name"/>; the other exporters still run, the
/// results are kept (and recorded by <see cref="RunHistoryExporter"/>), and the run's exit code is
/// <see cref="ExitCodes.ExperimentFailed"/> (its <see cref="RunExportResult"/> has the error).
/// </remarks>
public interface IRunExporter
{
    /// <summary>How messages and <see cref="RunExportResult.Exporter"/> name it, e.g. <c>latest.json</c>.</summary>
    string Name { get; }

    /// <summary>Writes the run's outputs; returns the files written (absolute paths), none when it had nothing to write.</summary>
    /// <param name="summary">The run (<see cref="RunSummary.Exports"/> still empty; <see cref="RunSummary.ExitCode"/> that of the experiments).</param>
    /// <param name="context">Where to write and where to say so.</param>
    IReadOnlyList<string> Export(RunSummary summary, RunExportContext context);
}

/// <summary>What an exporter (<see cref="IRunExporter.Export"/>) gets besides the summary.</summary>
public sealed class RunExportContext
{
    internal RunExportContext(string resultsDirectory, string? runDirectory, IAnsiConsole console, string applicationName, RunRecording? recording)
    {
        ResultsDirectory = resultsDirectory;
        RunDirectory = runDirectory;
        Console = console;
        ApplicationName = applicationName;
        Recording = recording;
    }

    /// <summary>The results folder (absolute; it exists and was writable when the run started).</summary>
    public string ResultsDirectory { get; }

    /// <summary>The run's own folder, <c>RESULTS/RUN</c>, or null when the run is not recorded (no <see cref="RunHistoryExporter"/>).</summary>
    public string? RunDirectory { get; }

    /// <summary>The run's console: say what was written, in Spectre.Console markup (escape what came from files).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>How a user starts the program (<see cref="ExperimentHostOptions.ApplicationName"/>), for hints.</summary>
    public string ApplicationName { get; }

    /// <summary>The run's recording in the run history, for <see cref="RunHistoryExporter"/>.</summary>
    internal RunRecording? Recording { get; }
}
