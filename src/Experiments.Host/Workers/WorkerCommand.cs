using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Running;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// The <c>worker</c> command (docs/scale-out.md): creates the run of its experiments under <c>--run-key</c> unless it
/// exists, registers, then claims, trains (or answers from the run cache, looked up at claim time) and completes one
/// task after another, renewing its lease from a background timer, until no task of the run is left unfinished by
/// anyone. A lease found lost cancels that training; SIGTERM/SIGINT release the held task.
/// </summary>
internal static class WorkerCommand
{
    public const string Name = "worker";

    /// <summary>The scheduler's variables a worker logs when it starts (Slurm's array task, Kubernetes' completion index).</summary>
    internal static readonly string[] SchedulerVariables =
    [
        "SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_RESTART_COUNT", "SLURM_JOB_NODELIST",
        "JOB_COMPLETION_INDEX",
    ];

    /// <summary>The options of the command, shared by the parser and <see cref="Read"/>.</summary>
    internal sealed class Options
    {
        public Options()
        {
            Results.Validators.Add(result => CommandLineApp.RequireText(result, "--results"));
            DataRoot.Validators.Add(result => CommandLineApp.RequireText(result, "--data-root"));
            RunKey.Validators.Add(result =>
            {
                if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
                {
                    result.AddError("--run-key needs the run's key");
                }
            });
            Threads.Validators.Add(result =>
            {
                if (HostSettings.ThreadsProblem("--threads", result.GetValueOrDefault<int>()) is { } problem)
                {
                    result.AddError(problem);
                }
            });
            Lease.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() is var value && value < WorkerArguments.MinimumLeaseSeconds)
                {
                    result.AddError(string.Create(CultureInfo.InvariantCulture, $"--lease must be at least {WorkerArguments.MinimumLeaseSeconds} seconds (it is renewed every third of it), but is {value}"));
                }
            });
        }

        public Argument<string[]> Names { get; } = new("NAME") { Description = "The run's experiments, in catalog order (needed by the worker that creates the run).", Arity = ArgumentArity.ZeroOrMore };

        public Option<string> RunKey { get; } = new("--run-key") { Description = "The run's key: every worker of one run gives the same.", HelpName = "KEY", Required = true };

        public Option<string> Store { get; init; } = null!;

        public Option<string> Results { get; } = new("--results") { Description = "The results folder (checkpoints, the run's folder).", HelpName = "DIR" };

        public Option<string> DataRoot { get; } = new("--data-root") { Description = "Folder holding one folder per dataset.", HelpName = "DIR" };

        public Option<int> Threads { get; } = new("--threads") { Description = "Threads TorchSharp uses for its math (1 by default).", HelpName = "N", DefaultValueFactory = _ => 1 };

        public Option<bool> Force { get; } = new("--force") { Description = "Train every experiment, ignoring the run cache." };

        public Option<bool> Download { get; } = new("--download") { Description = "Download a dataset that is not on disk." };

        public Option<int> Lease { get; } = new("--lease") { Description = "How long a claim holds without renewal, in seconds (renewed every third of it).", HelpName = "SECONDS", DefaultValueFactory = _ => 60 };

        public Option<string> WorkerName { get; } = new("--name") { Description = "The worker's name in the run. Default: slurm-JOB_TASK, k8s-INDEX, or HOST-PID.", HelpName = "NAME" };
    }

    public static Command Create(HostSettings host, string commandLine, CancellationToken cancellationToken)
    {
        var options = new Options { Store = HistoryCommands.StoreOption(host) };
        var command = new Command(Name, "Work on a queued run: claim its experiments one at a time, train them and record the results, until none is left (what --parallel, a Slurm job array or a Kubernetes Indexed Job start).")
        {
            options.Names, options.RunKey, options.Store, options.Results, options.DataRoot, options.Threads, options.Force, options.Download, options.Lease, options.WorkerName,
        };
        command.SetAction(parse =>
        {
            var arguments = Read(parse, options);
            if (arguments.Experiments.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                host.Console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}' of worker");
                return ExitCodes.UsageError;
            }

            return new Worker(host, arguments, parse.GetValue(options.Store), commandLine).Run(cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Parses a worker's command line (<paramref name="arguments"/> after the program, starting with <c>worker</c>) as
    /// the command does; null with the parser's errors when it is not one. <see cref="WorkerArguments.ToArguments"/>
    /// reads back into what it was made from.
    /// </summary>
    internal static (WorkerArguments? Arguments, IReadOnlyList<string> Errors) Parse(HostSettings host, IReadOnlyList<string> arguments)
    {
        var options = new Options { Store = HistoryCommands.StoreOption(host) };
        var command = new Command(Name)
        {
            options.Names, options.RunKey, options.Store, options.Results, options.DataRoot, options.Threads, options.Force, options.Download, options.Lease, options.WorkerName,
        };
        var root = new RootCommand { command };
        var parse = root.Parse([.. arguments]);
        return parse.Errors.Count > 0 ? (null, [.. parse.Errors.Select(e => e.Message)]) : (Read(parse, options), []);
    }

    /// <summary>The worker's arguments as parsed (<see cref="WorkerArguments.ToArguments"/> read back).</summary>
    internal static WorkerArguments Read(ParseResult parse, Options options) => new(parse.GetValue(options.RunKey)!, parse.GetValue(options.Names) ?? [])
    {
        Store = parse.GetValue(options.Store),
        Results = parse.GetValue(options.Results),
        DataRoot = parse.GetValue(options.DataRoot),
        Threads = parse.GetValue(options.Threads),
        Force = parse.GetValue(options.Force),
        Download = parse.GetValue(options.Download),
        LeaseSeconds = parse.GetValue(options.Lease),
        Name = parse.GetValue(options.WorkerName),
    };

    /// <summary>
    /// The worker's name: <paramref name="given"/>, else <c>slurm-ARRAYJOB_TASK</c>, else <c>k8s-INDEX</c>, else <c>HOST-PID</c>.
    /// </summary>
    internal static string NameOf(string? given, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return given;
        }

        if (environment("SLURM_ARRAY_JOB_ID") is { Length: > 0 } job && environment("SLURM_ARRAY_TASK_ID") is { Length: > 0 } task)
        {
            return $"slurm-{job}_{task}";
        }

        if (environment("JOB_COMPLETION_INDEX") is { Length: > 0 } index)
        {
            return $"k8s-{index}";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}");
    }

    /// <summary>Who runs the worker, as the run is created with: Slurm, Kubernetes, or processes on this machine.</summary>
    internal static RunScheduling SchedulingOf(Func<string, string?> environment)
    {
        if (environment("SLURM_JOB_ID") is { Length: > 0 } || environment("SLURM_ARRAY_JOB_ID") is { Length: > 0 })
        {
            var count = int.TryParse(environment("SLURM_ARRAY_TASK_COUNT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var tasks) ? tasks : 1;
            return new RunScheduling(Schedulers.Slurm, count);
        }

        return environment("JOB_COMPLETION_INDEX") is { Length: > 0 } ? new RunScheduling(Schedulers.Kubernetes, 1) : new RunScheduling(Schedulers.Local, 1);
    }

    /// <summary>One worker's life.</summary>
    private sealed class Worker(HostSettings host, WorkerArguments arguments, string? storeOption, string commandLine)
    {
        private readonly IAnsiConsole console = host.Console;

        public int Run(CancellationToken cancellationToken)
        {
            var options = new RunOptions(host, host.DataRoot(arguments.DataRoot), host.Results(arguments.Results), arguments.Download || host.Options.Download, arguments.Threads, commandLine, arguments.DataRoot)
            {
                Force = arguments.Force,
                StoreOption = storeOption,
            };
            var name = NameOf(arguments.Name, Environment.GetEnvironmentVariable);
            var variables = SchedulerVariables.Select(v => (v, Environment.GetEnvironmentVariable(v))).Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => $"{p.v}={p.Item2}").ToList();
            if (Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX") is { Length: > 0 } && Environment.GetEnvironmentVariable("HOSTNAME") is { Length: > 0 } pod)
            {
                variables.Add($"HOSTNAME={pod}");
            }

            console.MarkupLineInterpolated(TerminalText.Format, $"worker [bold]{name}[/] · host {Environment.MachineName} · pid {Environment.ProcessId} · run key {arguments.RunKey}{(variables.Count == 0 ? "" : " · " + string.Join(' ', variables))}");

            IReadOnlyList<IExperiment> requested = [];
            if (arguments.Experiments.Count > 0)
            {
                try
                {
                    requested = ExperimentSelector.Select(host.Catalog.Experiments, arguments.Experiments);
                }
                catch (ArgumentException exception)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
                    return ExitCodes.UsageError;
                }
            }

            if (RunPreparation.Check(options, console) is { } problem)
            {
                return problem;
            }

            StoreLocation location;
            ResultStore store;
            try
            {
                location = options.Store();
                store = StoreAccess.Open(location, create: true, console);
            }
            catch (Exception exception) when (exception is StoreException or UsageException)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
                return ExitCodes.UsageError;
            }

            using (store)
            {
                try
                {
                    return Work(options, store, location, name, requested, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // SIGTERM, SIGINT (scancel, preemption, the coordinator's stop): the exit code says which signal.
                    return ExitCodes.Cancelled;
                }
                catch (StoreException exception)
                {
                    // The store stayed unreachable beyond its retries: what is held expires and another worker takes it.
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] worker {name}: {exception.Message}");
                    return ExitCodes.ExperimentFailed;
                }
            }
        }

        private int Work(RunOptions options, ResultStore store, StoreLocation location, string name, IReadOnlyList<IExperiment> requested, CancellationToken cancellationToken)
        {
            var lease = TimeSpan.FromSeconds(arguments.LeaseSeconds);
            var queue = new WorkQueue(store, new WorkQueueOptions { LeaseDuration = lease });
            long runId;
            if (queue.FindRun(arguments.RunKey) is { } existing)
            {
                runId = existing;
            }
            else if (requested.Count == 0)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] there is no run with the key '{arguments.RunKey}' in {location.Display}, and no experiment names were given to create it: pass them after the options (worker --run-key KEY NAME...)");
                return ExitCodes.UsageError;
            }
            else
            {
                runId = queue.CreateRun(arguments.RunKey, RunInfo.Capture(commandLine, host.GitDirectory), [.. requested.Select(e => e.Name)], SchedulingOf(Environment.GetEnvironmentVariable), DateTimeOffset.UtcNow);
            }

            var catalog = host.Catalog.Experiments.ToDictionary(e => e.Name, StringComparer.Ordinal);
            var tasks = queue.Tasks(runId);
            var inRun = tasks.Select(t => catalog.GetValueOrDefault(t.Experiment)).OfType<IExperiment>().ToList();
            var workerId = queue.RegisterWorker(runId, new WorkerInfo(name, ProcessIdentity.Current()));
            console.MarkupLineInterpolated(TerminalText.Format, $"worker [bold]{name}[/] joined run [bold]{runId}[/] ({tasks.Count} experiment(s)) in [blue]{location.Display}[/]");

            // The store is the recording's from here on: it disposes of it.
            var recording = RunRecording.Attach(console, store, location, runId, inRun);
            var events = new RunEvents(host.EventHandlers, console, cancellationToken);
            using var trainer = new ExperimentTrainer(options, events, cancellationToken);
            var (trained, reused, lost) = (0, 0, 0);
            // Short: a worker waiting for the last experiments of others ends this long after the run does (a 5 s poll kept
            // `--parallel 2` of the linear experiments waiting 4 s at the end); an expired lease is seen as soon.
            var poll = TimeSpan.FromSeconds(Math.Clamp(arguments.LeaseSeconds / 120.0, 0.25, 2));
            events.RunStarted(new RunStartedEvent(inRun, runId, options.DataRoot, options.Results, console));
            try
            {
                events.RunInScopes(() =>
                {
                    while (true)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var claim = queue.ClaimNext(runId, workerId);
                        if (claim is null)
                        {
                            if (queue.Progress(runId).Finished)
                            {
                                break;
                            }

                            // Others are training the rest: wait, in case one of them dies and its lease expires.
                            cancellationToken.WaitHandle.WaitOne(poll);
                            continue;
                        }

                        switch (Train(queue, recording, trainer, claim, catalog, tasks, options, cancellationToken))
                        {
                            case Outcome.Trained: trained++; break;
                            case Outcome.Reused: reused++; break;
                            default: lost++; break;
                        }
                    }
                });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                queue.FinishWorker(workerId, WorkerStatus.Interrupted);
                console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]worker {name} stopped:[/] its task went back to the queue for another worker; {trained} trained, {reused} from the run cache");
                throw;
            }
            catch
            {
                queue.FinishWorker(workerId, WorkerStatus.Interrupted);
                throw;
            }

            queue.FinishWorker(workerId, WorkerStatus.Finished);
            console.MarkupLineInterpolated(TerminalText.Format, $"worker [bold]{name}[/] finished: {trained} trained, {reused} from the run cache{(lost == 0 ? "" : $", {lost} lost to another worker")}; run {runId} has no task left");
            return ExitCodes.Success;
        }

        private enum Outcome
        {
            Trained,
            Reused,
            Lost,
        }

        /// <summary>Trains (or reuses) the claimed experiment and completes its task; a stop releases it.</summary>
        private Outcome Train(WorkQueue queue, RunRecording recording, ExperimentTrainer trainer, Lease claim, Dictionary<string, IExperiment> catalog, IReadOnlyList<RunTask> tasks, RunOptions options, CancellationToken cancellationToken)
        {
            var index = tasks.Select((t, i) => (t, i)).FirstOrDefault(p => p.t.Id == claim.TaskId).i + 1;
            if (!catalog.TryGetValue(claim.Experiment, out var experiment))
            {
                var error = $"the experiment '{claim.Experiment}' is not in this build's catalog ({host.Catalog.Experiments.Count} experiments): the worker runs another build than the one that created the run";
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {error}");
                queue.Complete(claim, new ExperimentResult { Experiment = claim.Experiment, Dataset = "", Status = ExperimentStatus.Failed, Hyperparameters = [], Error = error }, new ExperimentSource(null, null));
                return Outcome.Trained;
            }

            console.MarkupLineInterpolated(TerminalText.Format, $"claimed [bold]{experiment.Name}[/] (attempt {claim.Attempt})");

            // The run cache at claim time: what any worker recorded is a hit for every other.
            var cache = RunCache.Plan([experiment], trainer.Datasets, key => RunRecording.FindCached(queue.Store, key), options.Results, options.Force, Warn, trainer.Load);
            var hit = cache.HitOf(experiment);
            var folder = InterruptedTrainings.FolderOf(options.Results, claim.RunId, experiment);
            string? resumeFrom = null;
            // Whatever attempt this is: a task released by a stopped worker (scancel, a Slurm requeue, preemption)
            // gets its attempt back, yet the state that worker left in the run's folder of the experiment is there.
            if (hit is null && InterruptedTrainings.TryInspect(folder) is { } state && state.ProblemFor(experiment, cache.KeyOf(experiment)) is null)
            {
                resumeFrom = folder;
                console.MarkupLineInterpolated(TerminalText.Format, $"{experiment.Name} goes on from the state an earlier attempt left in [blue]{folder}[/] (epoch {state.Epoch} of {state.TotalEpochs})");
            }

            trainer.CheckpointsOf = _ => new Checkpoints.CheckpointOptions(folder) { ResumeFrom = resumeFrom };
            using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var renewal = new Timer(_ => Renew(queue, claim, leaseLost), null, TimeSpan.FromSeconds(arguments.LeaseSeconds / 3.0), TimeSpan.FromSeconds(arguments.LeaseSeconds / 3.0));
            try
            {
                trainer.TrainOrReuse(experiment, index, tasks.Count, hit, (result, cachedFrom) =>
                {
                    renewal.Change(Timeout.Infinite, Timeout.Infinite);
                    queue.Complete(claim, result, recording.SourceOf(experiment.Name) with { CacheKey = cache.KeyOf(experiment) }, cachedFrom);
                }, leaseLost.Token);
                return hit is null ? Outcome.Trained : Outcome.Reused;
            }
            catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] the lease on {experiment.Name} was lost (another worker holds it now); its training here was stopped");
                return Outcome.Lost;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                renewal.Change(Timeout.Infinite, Timeout.Infinite);
                Release(queue, claim);
                throw;
            }
        }

        private void Renew(WorkQueue queue, Lease claim, CancellationTokenSource leaseLost)
        {
            try
            {
                if (!leaseLost.IsCancellationRequested && !queue.Renew(claim))
                {
                    leaseLost.Cancel();
                }
            }
            catch (StoreException exception)
            {
                // Tried again at the next tick; the lease may lapse meanwhile, and then the next renewal says so.
                Warn($"the lease on {claim.Experiment} could not be renewed: {exception.Message}");
            }
            catch (ObjectDisposedException)
            {
                // The training ended while this tick ran.
            }
        }

        private void Release(WorkQueue queue, Lease claim)
        {
            try
            {
                queue.Release(claim);
            }
            catch (StoreException exception)
            {
                Warn($"{claim.Experiment} could not be released ({exception.Message}); another worker takes it once its lease expires");
            }
        }

        private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");
    }
}
