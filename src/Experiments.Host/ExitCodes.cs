namespace Experiments.Hosting;

/// <summary>
/// The exit codes of <see cref="ExperimentHost.Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/> (and <see cref="RunSummary.ExitCode"/>): 0 when everything
/// asked for was done, and one of these otherwise.
/// </summary>
public static class ExitCodes
{
    /// <summary>Everything asked for was done (a diverged experiment is a result, not a failure).</summary>
    public const int Success = 0;

    /// <summary>
    /// At least one experiment failed, a result could not be recorded, or an exporter failed (its outputs are missing:
    /// the message names it; the results and the other exporters' files are kept).
    /// </summary>
    public const int ExperimentFailed = 1;

    /// <summary>Bad arguments, an experiment name that matches nothing, or an unusable data root or results folder.</summary>
    public const int UsageError = 2;

    /// <summary>An unexpected failure of the host itself (e.g. TorchSharp cannot start).</summary>
    public const int InternalError = 3;

    /// <summary>The run was stopped with SIGHUP (its terminal was closed): 128 + 1.</summary>
    public const int HungUp = 129;

    /// <summary>The run was cancelled with Ctrl+C (SIGINT), or its cancellation token: 128 + 2, as shells report it.</summary>
    public const int Cancelled = 130;

    /// <summary>The run was stopped with SIGQUIT (Ctrl+\): 128 + 3.</summary>
    public const int Quit = 131;

    /// <summary>The run was stopped with SIGTERM (e.g. by a CI timeout or systemd): 128 + 15.</summary>
    public const int Terminated = 143;
}
