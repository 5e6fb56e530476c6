using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Writes something of a finished run (<see cref="ExperimentHostOptions.Exporters"/>): a file of the results, pictures,
/// a report, a copy elsewhere. The host calls each exporter once per run, in the list's order, after the results
/// table was printed and the run history finished (<see cref="ExperimentHostOptions.RecordHistory"/>): for a
/// completed, failed or interrupted run (<see cref="RunSummary.Status"/>; the built-in pictures and HTML report skip
/// an interrupted one). It is not called when the run was stopped before any experiment finished, when no dataset
/// could be loaded and the run cache answered nothing (the files of the last run with data stay as they were), nor
/// when the run did not start (no experiments, an unusable data root or results folder, a run history that cannot be
/// opened).
/// </summary>
/// <remarks>
/// An exporter that throws is reported on the console by its <see cref="Name"/>; the other exporters still run, the
/// results are kept (and recorded in the run history), and the run's exit code is
/// <see cref="ExitCodes.ExperimentFailed"/> (its <see cref="RunExportResult"/> has the error). A cancellation of the
/// run's token while exporting passes through.
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

/// <summary>
/// What an exporter (<see cref="IRunExporter.Export"/>) gets besides the summary. The host makes one per run; a test
/// of an exporter makes its own (<c>new RunExportContext(folder, null, new TestConsole(), "my-lab")</c>).
/// </summary>
public sealed class RunExportContext
{
    /// <summary>Makes a context, e.g. to test an exporter.</summary>
    /// <param name="resultsDirectory">The results folder (absolute).</param>
    /// <param name="runDirectory">The run's own folder, <c>RESULTS/RUN</c>, or null for a run that is not recorded.</param>
    /// <param name="console">Where the exporter says what it wrote.</param>
    /// <param name="applicationName">How a user starts the program, for hints.</param>
    public RunExportContext(string resultsDirectory, string? runDirectory, IAnsiConsole console, string applicationName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resultsDirectory);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(applicationName);
        ResultsDirectory = resultsDirectory;
        RunDirectory = runDirectory;
        Console = console;
        ApplicationName = applicationName;
    }

    /// <summary>The results folder (absolute; the host created it and checked it was writable when the run started).</summary>
    public string ResultsDirectory { get; }

    /// <summary>The run's own folder, <c>RESULTS/RUN</c>, or null when the run is not recorded (<see cref="ExperimentHostOptions.RecordHistory"/>).</summary>
    public string? RunDirectory { get; }

    /// <summary>The run's console: say what was written, in Spectre.Console markup (escape what came from files).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>How a user starts the program (<see cref="ExperimentHostOptions.ApplicationName"/>), for hints.</summary>
    public string ApplicationName { get; }

    /// <summary>The run history the run was recorded in; null: <c>experiments.db</c> in <see cref="ResultsDirectory"/>.</summary>
    internal Experiments.History.StoreLocation? Store { get; init; }
}
