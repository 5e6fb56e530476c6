using Experiments.History;
using Experiments.Running;

namespace Experiments.Hosting;

/// <summary>
/// The host of an experiment project, in the BenchmarkDotNet mould: a project's <c>Program.cs</c> hands it the
/// catalog the source generator built (<c>ExperimentCatalog.Instance</c>) and gets the whole command line,
/// <code>
/// using Experiments.Hosting;
/// return ExperimentHost.Run(args, ExperimentCatalog.Instance);
/// </code>
/// or runs experiments from code and gets a <see cref="RunSummary"/> back (<see cref="RunExperiments"/>).
/// <see cref="ExperimentHostOptions"/> changes the console, the folders, the exporters and the progress handlers.
/// </summary>
public static class ExperimentHost
{
    /// <summary>
    /// Runs the command line <paramref name="args"/>: <c>all</c>, <c>run NAME...</c>, <c>list</c>, <c>datasets</c>,
    /// <c>runs</c>, <c>show</c>, <c>compare</c>, <c>history</c>, <c>export</c>, <c>report</c>, <c>predict</c>,
    /// <c>export-model</c> (<c>--help</c> lists them). Ctrl+C, SIGTERM, SIGHUP and SIGQUIT stop a run after the current
    /// training step, keeping and recording what finished. Errors of the command line and of the runs are printed, not
    /// thrown. <see cref="ExperimentHostOptions.Download"/>, <see cref="ExperimentHostOptions.Threads"/>,
    /// <see cref="ExperimentHostOptions.Force"/> and <see cref="ExperimentHostOptions.Resume"/> are the defaults of
    /// <c>all</c> and <c>run</c>; what the command line gives wins (<c>--threads</c>; <c>--resume</c> over
    /// <see cref="ExperimentHostOptions.Force"/>, <c>--force</c> over <see cref="ExperimentHostOptions.Resume"/>).
    /// </summary>
    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    /// <exception cref="ArgumentException">The options are unusable (as for <see cref="RunExperiments"/>).</exception>
    public static int Run(string[] args, IExperimentCatalog catalog, ExperimentHostOptions? options = null) =>
        Run(args, catalog, options, CancellationToken.None);

    /// <summary><see cref="Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/> with a token that stops a run as Ctrl+C does (tests).</summary>
    internal static int Run(string[] args, IExperimentCatalog catalog, ExperimentHostOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(catalog);
        return CommandLineApp.Run(args, HostSettings.Resolve(catalog, options), cancellationToken);
    }

    /// <summary>
    /// Runs experiments from code, as <c>all</c> (<paramref name="names"/> null) or <c>run NAME...</c> do: the run
    /// cache, the datasets (<see cref="ExperimentHostOptions.Download"/>), checkpoints, <c>--resume</c>
    /// (<see cref="ExperimentHostOptions.Resume"/>), the run history (<see cref="ExperimentHostOptions.RecordHistory"/>),
    /// the progress handlers and the exporters, with the output on <see cref="ExperimentHostOptions.Console"/>. A
    /// failed experiment or exporter is in the summary, not thrown.
    /// </summary>
    /// <remarks>
    /// The hints it prints (e.g. how to resume, how to download a dataset) are the command line's, with
    /// <see cref="ExperimentHostOptions.ApplicationName"/>. It does not hook Ctrl+C or SIGTERM (<see cref="Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/>
    /// does): <paramref name="cancellationToken"/> is the way to stop it.
    /// </remarks>
    /// <param name="catalog">The project's experiments and datasets.</param>
    /// <param name="names">Experiment names or globs (<c>*</c>, <c>?</c>; a sweep's name picks its members); null: every experiment.</param>
    /// <param name="options">The host's options; null: the defaults.</param>
    /// <param name="cancellationToken">Stops the run after the current training step, as Ctrl+C does: the summary is then <see cref="RunOutcome.Interrupted"/>.</param>
    /// <returns>What the run did; <see cref="RunSummary.ExitCode"/> is what <c>all</c>/<c>run</c> would exit with.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="names"/> is empty, holds a null, or a name matches no experiment (the message is what <c>run</c>
    /// prints: it names it and the closest names); or the options are unusable: <see cref="ExperimentHostOptions.Threads"/>
    /// below 1 or above the machine's cores, <see cref="ExperimentHostOptions.Force"/> with <see cref="ExperimentHostOptions.Resume"/>,
    /// a null entry in <see cref="ExperimentHostOptions.Exporters"/> or <see cref="ExperimentHostOptions.EventHandlers"/>.
    /// </exception>
    public static RunSummary RunExperiments(IExperimentCatalog catalog, IEnumerable<string>? names = null, ExperimentHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var host = HostSettings.Resolve(catalog, options);
        var settings = host.Options;
        var patterns = names?.ToList();
        if (patterns is { Count: 0 })
        {
            throw new ArgumentException("no experiment names given", nameof(names));
        }

        if (patterns?.IndexOf(null!) is { } nullAt and >= 0)
        {
            throw new ArgumentException($"names[{nullAt}] is null", nameof(names));
        }

        var experiments = patterns is null ? catalog.Experiments : ExperimentSelector.Select(catalog.Experiments, patterns);

        // Recorded with the run as the command line that does the same, so hints (e.g. --resume) can repeat it.
        var arguments = (patterns is null ? ["all"] : patterns.Select(ExperimentPlan.ShellQuote).Prepend("run"))
            .Concat(settings.Download ? ["--download"] : [])
            .Concat(settings.Threads != 1 ? ["--threads", settings.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [])
            .Concat(settings.Force ? ["--force"] : [])
            .Concat(settings.Resume ? ["--resume"] : []);
        var commandLine = string.Join(' ', arguments.Prepend(CommandLineApp.ProgramName));
        var run = new RunOptions(host, host.DataRoot(null), host.Results(null), settings.Download, settings.Threads, commandLine, DataRootOption: null)
        {
            Force = settings.Force,
            Resume = settings.Resume,
        };
        return new ExperimentPlan(run).Execute(experiments, cancellationToken);
    }
}
