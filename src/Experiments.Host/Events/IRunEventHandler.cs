using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Receives the progress of a run of experiments, in this order: <see cref="RunStarted"/>; then, around the training
/// (inside <see cref="IRunProgressScope.Run"/> for a handler that implements it), for each experiment
/// <see cref="ExperimentStarted"/>, its <see cref="EpochCompleted"/> (and <see cref="BatchCompleted"/>) events, and
/// <see cref="ExperimentCompleted"/>; after the results table and the exporters, <see cref="RunCompleted"/>. Every
/// method does nothing by default: implement those you need. Events come on the thread that trains, one at a time; a
/// handler must return quickly (an epoch's training waits).
/// </summary>
/// <remarks>
/// <para>
/// A handler that throws does not lose the run: its exception is reported once on the console as a warning naming the
/// handler and the event, the handler gets no more events of that run, and the run, its results and its exit code
/// are as without it. A cancellation (<see cref="OperationCanceledException"/> of the run's token) is not a failure
/// of the handler.
/// </para>
/// <para>
/// A run that ends before it starts raises no event at all: no experiment to run, a data root that does not exist,
/// a results folder that cannot be written, a run history that cannot be opened. The message is on the console and
/// the summary (<see cref="ExperimentHost.RunExperiments"/>) or the exit code says how it ended.
/// </para>
/// </remarks>
public interface IRunEventHandler
{
    /// <summary>
    /// The run starts: it is recorded in the run history (<see cref="RunStartedEvent.RunId"/>) and its header printed.
    /// What follows before the first experiment: the run cache is asked, <c>--resume</c> is planned and the datasets
    /// the run trains on are loaded (or downloaded), then the training starts.
    /// </summary>
    void RunStarted(RunStartedEvent run)
    {
    }

    /// <summary>An experiment starts (its training, or its answer from the run cache).</summary>
    void ExperimentStarted(ExperimentStartedEvent experiment)
    {
    }

    /// <summary>An epoch of the experiment's training finished, with its losses.</summary>
    void EpochCompleted(EpochCompletedEvent epoch)
    {
    }

    /// <summary>Some batches of an epoch were trained (a few times a second at most): for a progress bar within an epoch.</summary>
    void BatchCompleted(BatchCompletedEvent batch)
    {
    }

    /// <summary>An experiment finished: its result, completed, diverged or failed (<see cref="ExperimentResult.Status"/>, <see cref="ExperimentResult.Error"/>).</summary>
    void ExperimentCompleted(ExperimentCompletedEvent experiment)
    {
    }

    /// <summary>The run ended, its table was printed and every exporter ran: the final summary (also of an interrupted run).</summary>
    void RunCompleted(RunSummary summary)
    {
    }
}

/// <summary>
/// An event handler (<see cref="IRunEventHandler"/>) that runs the whole training inside a scope of its own, as a live
/// display does (Spectre.Console's <c>Progress.Start</c>, <see cref="SpectreProgressHandler"/>). Optional: implement it
/// besides <see cref="IRunEventHandler"/> when you need it.
/// </summary>
/// <remarks>
/// The scopes of several handlers nest in the list's order (the first handler's outermost). A scope that throws before
/// it called the training is reported as the handler's failure and the training runs without it; a scope that
/// replaces the training's exception with its own is reported too, and the training's exception is what counts.
/// </remarks>
public interface IRunProgressScope
{
    /// <summary>
    /// Runs <paramref name="training"/>, the training of every experiment of the run, inside this handler's scope;
    /// called once, after <see cref="IRunEventHandler.RunStarted"/>. Must call <paramref name="training"/> exactly once
    /// and let its exceptions through; the experiment events come while it runs.
    /// </summary>
    void Run(Action training);
}

/// <summary>A run's start (<see cref="IRunEventHandler.RunStarted"/>).</summary>
public sealed class RunStartedEvent
{
    internal RunStartedEvent(IReadOnlyList<IExperiment> experiments, long? runId, string dataRoot, string resultsDirectory, IAnsiConsole console)
    {
        Experiments = experiments;
        RunId = runId;
        DataRoot = dataRoot;
        ResultsDirectory = resultsDirectory;
        Console = console;
    }

    /// <summary>What the run trains or answers from the run cache, in order.</summary>
    public IReadOnlyList<IExperiment> Experiments { get; }

    /// <summary>Its id in the run history, or null when it is not recorded (<see cref="ExperimentHostOptions.RecordHistory"/>).</summary>
    public long? RunId { get; }

    /// <summary>The data root (absolute).</summary>
    public string DataRoot { get; }

    /// <summary>The results folder (absolute).</summary>
    public string ResultsDirectory { get; }

    /// <summary>The run's console (<see cref="ExperimentHostOptions.Console"/>), for a handler that shows progress.</summary>
    public IAnsiConsole Console { get; }
}

/// <summary>An experiment's start (<see cref="IRunEventHandler.ExperimentStarted"/>).</summary>
public sealed class ExperimentStartedEvent
{
    internal ExperimentStartedEvent(IExperiment experiment, int index, int count, bool cached)
    {
        Experiment = experiment;
        Index = index;
        Count = count;
        Cached = cached;
    }

    /// <summary>The experiment.</summary>
    public IExperiment Experiment { get; }

    /// <summary>Its place in the run, from 1.</summary>
    public int Index { get; }

    /// <summary>How many experiments the run has.</summary>
    public int Count { get; }

    /// <summary>Whether the run cache answers it (it is not trained).</summary>
    public bool Cached { get; }
}

/// <summary>An epoch's end (<see cref="IRunEventHandler.EpochCompleted"/>).</summary>
public sealed class EpochCompletedEvent
{
    internal EpochCompletedEvent(IExperiment experiment, EpochReport report)
    {
        Experiment = experiment;
        Report = report;
    }

    /// <summary>The experiment training.</summary>
    public IExperiment Experiment { get; }

    /// <summary>The epoch, of how many, and its training (and validation) loss.</summary>
    public EpochReport Report { get; }
}

/// <summary>Progress within an epoch (<see cref="IRunEventHandler.BatchCompleted"/>).</summary>
public sealed class BatchCompletedEvent
{
    internal BatchCompletedEvent(IExperiment experiment, BatchReport report)
    {
        Experiment = experiment;
        Report = report;
    }

    /// <summary>The experiment training.</summary>
    public IExperiment Experiment { get; }

    /// <summary>The batch, of how many, the examples so far and the speed.</summary>
    public BatchReport Report { get; }
}

/// <summary>An experiment's end (<see cref="IRunEventHandler.ExperimentCompleted"/>).</summary>
public sealed class ExperimentCompletedEvent
{
    internal ExperimentCompletedEvent(IExperiment experiment, ExperimentResult result, int index, int count)
    {
        Experiment = experiment;
        Result = result;
        Index = index;
        Count = count;
    }

    /// <summary>The experiment.</summary>
    public IExperiment Experiment { get; }

    /// <summary>Its result: completed (trained, or from the run cache), diverged or failed.</summary>
    public ExperimentResult Result { get; }

    /// <summary>Its place in the run, from 1.</summary>
    public int Index { get; }

    /// <summary>How many experiments the run has.</summary>
    public int Count { get; }
}
