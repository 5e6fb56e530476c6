using System.Diagnostics;
using System.Globalization;
using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <c>all</c>/<c>run --parallel N</c> (docs/scale-out.md): creates the run (scheduler <c>local</c>), answers run cache
/// hits itself, starts up to N <c>worker</c> processes of the same application (<see cref="HostSettings.WorkerCommand"/>)
/// with one thread each, prefixes and forwards their output (<c>[w1]</c>), reports progress from the store, expires the
/// leases of a worker that died and starts another while tasks remain, stops the workers with SIGTERM on Ctrl+C or
/// SIGTERM, and concludes the whole run as read back from the store (<see cref="RunConclusion"/>).
/// </summary>
internal sealed class Coordinator(RunOptions options, int parallel)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);
    private readonly IAnsiConsole console = options.Host.Console;
    private readonly Lock output = new();

    /// <summary>How long a local worker's claim holds without renewal; a dead worker's leases are expired at once anyway.</summary>
    internal int LeaseSeconds { get; init; } = 60;

    public RunSummary Execute(IReadOnlyList<IExperiment> experiments, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        if (experiments.Count == 0)
        {
            console.MarkupLine("[yellow]No experiments to run.[/] Add a YAML file to the project's experiments folder and build.");
            return ExperimentPlan.NotRun(options, ExitCodes.Success, stopwatch);
        }

        if (RunPreparation.Check(options, console) is { } problem)
        {
            return ExperimentPlan.NotRun(options, problem, stopwatch);
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
            return ExperimentPlan.NotRun(options, ExitCodes.UsageError, stopwatch);
        }

        RunRecording? recording = null;
        try
        {
            var events = new RunEvents(options.Host.EventHandlers, console, cancellationToken);
            using var trainer = new ExperimentTrainer(options, events, cancellationToken);
            var cache = RunCache.Plan(experiments, trainer.Datasets, key => RunRecording.FindCached(store, key), options.Results, options.Force, Warn, trainer.Load);
            var toTrain = experiments.Where(cache.Trains).ToList();
            var info = RunInfo.Capture(options.CommandLine, options.Host.GitDirectory);
            var queue = new WorkQueue(store, new WorkQueueOptions { LeaseDuration = TimeSpan.FromSeconds(LeaseSeconds) });
            var runKey = "local-" + Guid.NewGuid().ToString("N");
            var workers = Math.Min(parallel, toTrain.Count);
            var runId = toTrain.Count == 0
                ? store.StartRun(info, DateTimeOffset.UtcNow, plannedResults: experiments.Count)
                : queue.CreateRun(runKey, info, [.. toTrain.Select(e => e.Name)], new RunScheduling(Schedulers.Local, workers), DateTimeOffset.UtcNow);
            recording = RunRecording.Attach(console, store, location, runId, experiments);
            RunPreparation.Header(options, console, experiments.Count, runId, toTrain.Count == 0 ? " · every result from the run cache, no worker started" : $" · {workers} worker(s)");
            RunPreparation.WarnAboutStaleFiles(console, experiments);
            events.RunStarted(new RunStartedEvent(experiments, runId, options.DataRoot, options.Results, console));

            // The run cache's answers, recorded before any worker starts (the last task a worker completes ends the run).
            for (var i = 0; i < experiments.Count; i++)
            {
                var experiment = experiments[i];
                if (cache.HitOf(experiment) is { } hit)
                {
                    trainer.TrainOrReuse(experiment, i + 1, experiments.Count, hit, (result, cachedFrom) => recording.Record(result, cache.KeyOf(experiment), cachedFrom));
                }
            }

            var cancelled = false;
            if (toTrain.Count > 0)
            {
                try
                {
                    events.RunInScopes(() => RunWorkers(queue, runKey, runId, toTrain, experiments, workers, events, cancellationToken));
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    console.MarkupLine("[yellow]Interrupted:[/] the workers were stopped; the experiments that finished are kept, and the run is recorded as interrupted.");
                }
            }

            // The whole run as the store holds it, in catalog order: whichever worker recorded each result.
            var stored = store.ResultsOfRun(runId).GroupBy(r => r.Experiment, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Result, StringComparer.Ordinal);
            var results = experiments.Select(e => stored.GetValueOrDefault(e.Name)).OfType<ExperimentResult>().ToList();
            if (!cancelled && store.Run(runId) is { } run && run.Status != RunStatus.Running && run.Status != RunStatus.Abandoned)
            {
                recording.MarkFinished(); // the work queue ended it with its last task
            }

            return new RunConclusion(options, events).Conclude(results, cancelled, noData: false, recording, stopwatch, cancellationToken);
        }
        catch (StoreException exception)
        {
            recording?.FinishIfRunning(RunStatus.Failed);
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return ExperimentPlan.NotRun(options, ExitCodes.ExperimentFailed, stopwatch) with { RunId = recording?.RunId };
        }
        catch
        {
            recording?.FinishIfRunning(RunStatus.Failed);
            throw;
        }
        finally
        {
            if (recording is null)
            {
                store.Dispose();
            }
            else
            {
                recording.Dispose();
            }
        }
    }

    /// <summary>Starts the workers, watches them and the store until every task is finished (or the run is stopped).</summary>
    private void RunWorkers(WorkQueue queue, string runKey, long runId, IReadOnlyList<IExperiment> toTrain, IReadOnlyList<IExperiment> experiments, int count, RunEvents events, CancellationToken cancellationToken)
    {
        var arguments = new WorkerArguments(runKey, [.. toTrain.Select(e => e.Name)])
        {
            Results = options.Results,
            DataRoot = options.DataRootOption is null && !Directory.Exists(options.DataRoot) ? null : options.DataRoot,
            Threads = 1,
            Force = options.Force,
            Download = options.Download,
            LeaseSeconds = LeaseSeconds,
        };
        var slots = Enumerable.Range(1, count).Select(i => new Slot(i, $"local-{i}")).ToList();
        foreach (var slot in slots)
        {
            Start(slot, arguments);
        }

        var restartsLeft = toTrain.Count * new WorkQueueOptions().MaxAttempts;
        var started = new HashSet<string>(StringComparer.Ordinal);
        var completed = new HashSet<string>(StringComparer.Ordinal);
        var positions = experiments.Select((e, i) => (e, i)).ToDictionary(p => p.e.Name, p => p, StringComparer.Ordinal);
        using var stop = cancellationToken.Register(() => Stop(slots));
        try
        {
            while (true)
            {
                ReportProgress(queue, runId, experiments.Count, positions, started, completed, events);
                var finished = queue.Progress(runId).Finished;
                foreach (var slot in slots.Where(s => s.Process is { HasExited: true }))
                {
                    var exitCode = slot.Process!.ExitCode;
                    slot.Process.Dispose();
                    slot.Process = null;
                    if (cancellationToken.IsCancellationRequested)
                    {
                        continue;
                    }

                    if (!finished || exitCode != ExitCodes.Success)
                    {
                        // Its leases expire now, so that another worker claims what it held without waiting for them.
                        if (queue.Workers(runId).FirstOrDefault(w => w.Name == slot.Name) is { } record)
                        {
                            queue.ExpireLeasesOf(record.Id);
                            if (record.Status == WorkerStatus.Running)
                            {
                                queue.FinishWorker(record.Id, WorkerStatus.Lost);
                            }
                        }
                    }

                    if (!finished && exitCode != ExitCodes.UsageError && restartsLeft > 0)
                    {
                        restartsLeft--;
                        Say(slot, string.Create(CultureInfo.InvariantCulture, $"worker {slot.Name} ended (exit code {exitCode}) with tasks left: starting it again"));
                        Start(slot, arguments);
                    }
                    else if (!finished)
                    {
                        Say(slot, string.Create(CultureInfo.InvariantCulture, $"worker {slot.Name} ended (exit code {exitCode}); it is not started again"));
                    }
                }

                if (slots.All(s => s.Process is null))
                {
                    break;
                }

                if (!cancellationToken.WaitHandle.WaitOne(Poll))
                {
                    continue;
                }

                // Stopping: the workers were sent SIGTERM; wait for them to release their tasks and end.
                Thread.Sleep(Poll);
            }

            ReportProgress(queue, runId, experiments.Count, positions, started, completed, events);
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            // A stop, or a failure here: no worker is left behind.
            Stop(slots);
            foreach (var slot in slots)
            {
                if (slot.Process is { } process && !process.WaitForExit(StopGrace))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    /// <summary>The store's news as events: a task claimed is an experiment started, a task done one completed.</summary>
    private static void ReportProgress(WorkQueue queue, long runId, int count, Dictionary<string, (IExperiment Experiment, int Index)> positions, HashSet<string> started, HashSet<string> completed, RunEvents events)
    {
        var tasks = queue.Tasks(runId);
        foreach (var task in tasks.Where(t => t.Status != TaskStates.Pending && started.Add(t.Experiment)))
        {
            if (positions.TryGetValue(task.Experiment, out var position))
            {
                events.ExperimentStarted(new ExperimentStartedEvent(position.Experiment, position.Index + 1, count, cached: false));
            }
        }

        var done = tasks.Where(t => t.Status is TaskStates.Done or TaskStates.Failed && !completed.Contains(t.Experiment)).ToList();
        if (done.Count == 0)
        {
            return;
        }

        var results = queue.Store.ResultsOfRun(runId).GroupBy(r => r.Experiment, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Result, StringComparer.Ordinal);
        foreach (var task in done)
        {
            completed.Add(task.Experiment);
            if (positions.TryGetValue(task.Experiment, out var position))
            {
                var result = results.GetValueOrDefault(task.Experiment) ?? new ExperimentResult
                {
                    Experiment = task.Experiment,
                    Dataset = position.Experiment.Dataset,
                    Status = ExperimentStatus.Failed,
                    Hyperparameters = [],
                    Error = task.Error ?? "its task failed without a result",
                };
                events.ExperimentCompleted(new ExperimentCompletedEvent(position.Experiment, result, position.Index + 1, count));
            }
        }
    }

    private void Start(Slot slot, WorkerArguments arguments)
    {
        var command = options.Host.WorkerCommand.Concat((arguments with { Name = slot.Name }).ToArguments()).ToList();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // The store through the environment, not the command line: a connection may hold a password, and command lines are visible to every user (ps).
        var location = options.Store();
        start.Environment[StoreLocation.EnvironmentVariable] = location.Kind == StoreKind.Sqlite ? "sqlite:" + location.Target : location.Target;
        start.Environment["OMP_NUM_THREADS"] = "1";
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Forward(slot, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(slot, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        slot.Process = process;
    }

    private void Forward(Slot slot, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[grey]{slot.Prefix}[/] {line}");
        }
    }

    private void Say(Slot slot, string message)
    {
        lock (output)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]{slot.Prefix}[/] {message}");
        }
    }

    /// <summary>SIGTERM to every worker still running: each releases its task and ends.</summary>
    private static void Stop(IEnumerable<Slot> slots)
    {
        foreach (var slot in slots)
        {
            if (slot.Process is { HasExited: false } process)
            {
                try
                {
                    using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
                    kill?.WaitForExit();
                }
                catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");

    /// <summary>One worker's place: its name stays when it is started again (the store then releases what it held).</summary>
    private sealed class Slot(int number, string name)
    {
        public string Name { get; } = name;

        public string Prefix { get; } = string.Create(CultureInfo.InvariantCulture, $"[w{number}]");

        public Process? Process { get; set; }
    }
}
