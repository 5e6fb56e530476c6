namespace Experiments.History;

/// <summary>How a run of the runner ended, as stored (lowercase words).</summary>
public static class RunStatus
{
    /// <summary>Still going (or, for a run of another host or an older store, not known to have stopped).</summary>
    public const string Running = "running";

    /// <summary>
    /// Recorded as <see cref="Running"/>, but its process on this host is gone (SIGKILL, out of memory, power loss):
    /// what reading commands show for it, and store back when they can write.
    /// </summary>
    public const string Abandoned = "abandoned";

    /// <summary>Every experiment completed.</summary>
    public const string Completed = "completed";

    /// <summary>At least one experiment failed, or a result could not be recorded.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped by Ctrl+C or SIGTERM; the experiments that finished before are kept.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>Whether a run with this status holds fewer results than it should or may (anything but completed).</summary>
    public static bool IsIncomplete(string status) => !string.Equals(status, Completed, StringComparison.Ordinal);

    /// <summary>The status word of an experiment result: the enum member in lowercase, so new members just work.</summary>
    public static string Of(ExperimentStatus status) => status.ToString().ToLowerInvariant();
}
