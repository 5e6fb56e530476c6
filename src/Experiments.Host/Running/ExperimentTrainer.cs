using Experiments.Data;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Experiments.Running;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Trains or reuses one experiment at a time, for <see cref="ExperimentPlan"/> and a <c>worker</c>: loads each dataset
/// once (remembering a failure), answers a run cache hit, trains with the run's threads and checkpoints, says what went
/// wrong beside a result (checkpoint, resume, training state), hands the result to the caller to record, and reports
/// every step to the event handlers.
/// </summary>
internal sealed class ExperimentTrainer : IDisposable
{
    private readonly RunOptions options;
    private readonly IAnsiConsole console;
    private readonly RunEvents events;
    private readonly CancellationToken cancellationToken;
    private readonly ExperimentSession session;
    private readonly Dictionary<string, bool> loaded = new(StringComparer.Ordinal);
    private bool threadsSet;

    public ExperimentTrainer(RunOptions options, RunEvents events, CancellationToken cancellationToken)
    {
        this.options = options;
        console = options.Host.Console;
        this.events = events;
        this.cancellationToken = cancellationToken;
        Datasets = new DatasetStore(ExperimentPlan.StoreOptions(console, options));
        session = new ExperimentSession(name => Datasets.Load(name, cancellationToken))
        {
            Checkpoints = experiment => CheckpointsOf?.Invoke(experiment),
            ResultsDirectory = options.Results,
        };
    }

    /// <summary>The run's datasets.</summary>
    public DatasetStore Datasets { get; }

    /// <summary>Where each experiment's model and training state go, and what it resumes from; null: no checkpoint is kept.</summary>
    public Func<IExperiment, Checkpoints.CheckpointOptions?>? CheckpointsOf { get; set; }

    /// <summary>The experiment training now, or null.</summary>
    public IExperiment? Training { get; private set; }

    /// <summary>Whether any dataset could be loaded.</summary>
    public bool AnyLoaded => loaded.ContainsValue(true);

    /// <summary>
    /// Loads a dataset once; false when it cannot be (the store remembers why, and the session reports it as the reason
    /// its experiments failed). A stop cancels a download under way.
    /// </summary>
    public bool Load(string name)
    {
        if (!loaded.TryGetValue(name, out var ok))
        {
            try
            {
                Datasets.Load(name, cancellationToken);
                ok = true;
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Any failure to load (a bad file, or a fault of the loader itself) fails that dataset's experiments
                // only: reported per experiment by the session, and the other datasets' experiments still run.
                ok = false;
            }

            loaded[name] = ok;
        }

        return ok;
    }

    /// <summary>
    /// Answers <paramref name="experiment"/> from the run cache (<paramref name="hit"/>) or trains it, hands the result
    /// to <paramref name="record"/> (with the hit, or null) and reports it; returns the result.
    /// </summary>
    public ExperimentResult TrainOrReuse(IExperiment experiment, int index, int count, StoredResult? hit, Action<ExperimentResult, StoredResult?> record, CancellationToken? stop = null)
    {
        events.ExperimentStarted(new ExperimentStartedEvent(experiment, index, count, cached: hit is not null));
        var result = hit is not null ? RunCache.AsCached(hit) : Train(experiment, stop ?? cancellationToken);
        record(result, hit);
        events.ExperimentCompleted(new ExperimentCompletedEvent(experiment, result, index, count));
        return result;
    }

    /// <summary>Trains <paramref name="experiment"/> and says what went wrong beside its result.</summary>
    private ExperimentResult Train(IExperiment experiment, CancellationToken token)
    {
        // Not before: when the run cache answers every experiment, the native library is never loaded.
        if (!threadsSet)
        {
            TorchSharp.torch.set_num_threads(options.Threads);
            threadsSet = true;
        }

        Training = experiment;
        var epochs = new SynchronousProgress<EpochReport>(report => events.EpochCompleted(new EpochCompletedEvent(experiment, report)));
        var batches = new SynchronousProgress<BatchReport>(report => events.BatchCompleted(new BatchCompletedEvent(experiment, report)));
        var result = session.Run(experiment, epochs, batches, token);
        Training = null;

        // Until the trainer measures it, the model is what the build says it is.
        result = result.Model is null ? result with { Model = experiment.Architecture } : result;
        if (result.CheckpointError is { } checkpointError)
        {
            Warn($"{experiment.Name}: {checkpointError}; the result is kept without it");
        }

        if (result.ResumeError is { } resumeError)
        {
            Warn($"{experiment.Name}: {resumeError}");
        }

        if (result.TrainingStateError is { } stateError)
        {
            Warn($"{experiment.Name}: {stateError}");
        }

        return result;
    }

    public void Dispose() => Datasets.Dispose();

    private void Warn(string message) => console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
