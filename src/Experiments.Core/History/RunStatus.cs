namespace Experiments.History;

/// <summary>How a run of the runner ended, as stored (lowercase words).</summary>
public static class RunStatus
{
    /// <summary>Still going, or the process died without a word (killed, power loss).</summary>
    public const string Running = "running";

    /// <summary>Every experiment completed.</summary>
    public const string Completed = "completed";

    /// <summary>At least one experiment did not complete (failed, diverged, ...).</summary>
    public const string Failed = "failed";

    /// <summary>Stopped by Ctrl+C or SIGTERM; the experiments that finished before are kept.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>The status word of an experiment result: the enum member in lowercase, so new members just work.</summary>
    public static string Of(ExperimentStatus status) => status.ToString().ToLowerInvariant();
}
