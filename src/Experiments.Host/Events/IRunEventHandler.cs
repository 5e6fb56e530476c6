using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Receives the progress of a run of experiments, in this order: <see cref="RunStarted"/>, then around the training
/// <see cref="Wrap"/>, and inside it for each experiment <see cref="ExperimentStarted"/>, its
/// <see cref="EpochCompleted"/> (and <see cref="BatchCompleted"/>) events, and <see cref="ExperimentCompleted"/>; after
/// the exporters, <see cref="RunCompleted"/>. Every method does nothing by default: implement those you need.
/// Events come on the thread that trains, one at a time; a handler must return quickly (an epoch's training waits).
/// </summary>
/// <remarks>
/// A handler that throws does not lose the run: its exception is reported once on the console as a warning naming the
/// handler and the event, the handler gets no more events of that run, and the run, its results and its exit code
/// are as without it. (<see cref="Wrap"/> throwing before it called the training: the training runs unwrapped.)
/// A cancellation (<see cref="OperationCanceledException"/> of the run's token) is not a failure of the handler.
/// </remarks>
public interface IRunEventHandler
{
    /// <summary>The run was planned (the run cache asked, the datasets loaded) and training starts.</summary>
    void RunStarted(RunStartedEvent run)
    {
    }

    /// <summary>
    /// Wraps the training of every experiment of the run (a live display runs it inside, as Spectre.Console's
    /// <c>Progress.Start</c> does); called once, after <see cref="RunStarted"/>, and must call
    /// <paramref name="training"/> exactly once, letting its exceptions through. By default it just calls it.
    /// </summary>
    void Wrap(Action training) => training();

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

    /// <summary>The run ended and every exporter ran: the final summary (also of an interrupted run).</summary>
    void RunCompleted(RunSummary summary)
    {
    }
}

/// <summary>A run's start (<see cref="IRunEventHandler.RunStarted"/>).</summary>
/// <param name="Experiments">What the run trains or answers from the run cache, in order.</param>
/// <param name="RunId">Its id in the run history, or null when it is not recorded.</param>
/// <param name="DataRoot">The data root (absolute).</param>
/// <param name="ResultsDirectory">The results folder (absolute).</param>
/// <param name="Console">The run's console (<see cref="ExperimentHostOptions.Console"/>), for a handler that shows progress.</param>
public sealed record RunStartedEvent(IReadOnlyList<IExperiment> Experiments, long? RunId, string DataRoot, string ResultsDirectory, IAnsiConsole Console);

/// <summary>An experiment's start (<see cref="IRunEventHandler.ExperimentStarted"/>).</summary>
/// <param name="Experiment">The experiment.</param>
/// <param name="Index">Its place in the run, from 1.</param>
/// <param name="Count">How many experiments the run has.</param>
/// <param name="Cached">Whether the run cache answers it (it is not trained).</param>
public sealed record ExperimentStartedEvent(IExperiment Experiment, int Index, int Count, bool Cached);

/// <summary>An epoch's end (<see cref="IRunEventHandler.EpochCompleted"/>).</summary>
/// <param name="Experiment">The experiment training.</param>
/// <param name="Report">The epoch, of how many, and its training (and validation) loss.</param>
public sealed record EpochCompletedEvent(IExperiment Experiment, EpochReport Report);

/// <summary>Progress within an epoch (<see cref="IRunEventHandler.BatchCompleted"/>).</summary>
/// <param name="Experiment">The experiment training.</param>
/// <param name="Report">The batch, of how many, the examples so far and the speed.</param>
public sealed record BatchCompletedEvent(IExperiment Experiment, BatchReport Report);

/// <summary>An experiment's end (<see cref="IRunEventHandler.ExperimentCompleted"/>).</summary>
/// <param name="Experiment">The experiment.</param>
/// <param name="Result">Its result: completed (trained, or from the run cache), diverged or failed.</param>
/// <param name="Index">Its place in the run, from 1.</param>
/// <param name="Count">How many experiments the run has.</param>
public sealed record ExperimentCompletedEvent(IExperiment Experiment, ExperimentResult Result, int Index, int Count);
