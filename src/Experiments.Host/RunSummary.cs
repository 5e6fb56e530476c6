using Experiments.History;

namespace Experiments.Hosting;

/// <summary>
/// What one run of experiments (<c>all</c>, <c>run</c>, or <see cref="ExperimentHost.RunExperiments"/>) did: its
/// results, where they went, how it ended, and what each exporter wrote.
/// </summary>
public sealed record RunSummary
{
    /// <summary>The run's id in the run history (<see cref="ExperimentHostOptions.RecordHistory"/>), or null when it was not recorded.</summary>
    public long? RunId { get; init; }

    /// <summary>How the run ended (the run history records the same).</summary>
    public required RunOutcome Status { get; init; }

    /// <summary>One result per experiment that finished (trained, or answered by the run cache), in the run's order.</summary>
    public required IReadOnlyList<ExperimentResult> Results { get; init; }

    /// <summary>The results folder (absolute).</summary>
    public required string ResultsDirectory { get; init; }

    /// <summary>The data root: the folder with one folder per dataset (absolute).</summary>
    public required string DataRoot { get; init; }

    /// <summary>How long the run took, from its start to the last exporter.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// The run's exit code (<see cref="ExitCodes"/>). The summary an exporter or <see cref="IRunEventHandler.RunCompleted"/>
    /// gets: an exporter sees the exit code of the experiments (before any exporter ran); the final summary's counts
    /// every exporter's failure too.
    /// </summary>
    public int ExitCode { get; init; }

    /// <summary>What each exporter that was called wrote, in the order of <see cref="ExperimentHostOptions.Exporters"/>; empty while exporting.</summary>
    public IReadOnlyList<RunExportResult> Exports { get; init; } = [];
}

/// <summary>How a run ended (<see cref="RunSummary.Status"/>).</summary>
public enum RunOutcome
{
    /// <summary>Every experiment completed or diverged (a diverged experiment is a result) and every result was recorded.</summary>
    Completed,

    /// <summary>An experiment failed, a result could not be recorded, or the run did not start (<see cref="RunSummary.ExitCode"/> says why).</summary>
    Failed,

    /// <summary>The run was stopped (its cancellation token, Ctrl+C, a signal); the experiments that finished are kept.</summary>
    Interrupted,
}

/// <summary>What one exporter (<see cref="IRunExporter"/>) did with a run.</summary>
public sealed class RunExportResult
{
    internal RunExportResult(string exporter, IReadOnlyList<string> files, string? error = null)
    {
        Exporter = exporter;
        Files = files;
        Error = error;
    }

    /// <summary>The exporter's <see cref="IRunExporter.Name"/>.</summary>
    public string Exporter { get; }

    /// <summary>The files it wrote (absolute paths); empty when it failed or had nothing to write.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Why it failed (its exception's message), or null.</summary>
    public string? Error { get; }

    /// <summary>Whether the exporter failed (threw).</summary>
    public bool Failed => Error is not null;
}
