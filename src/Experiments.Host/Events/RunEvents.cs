using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Delivers a run's events to its handlers (<see cref="ExperimentHostOptions.EventHandlers"/>) in order. A handler
/// that throws is reported once, by its type and the event, and gets no more events of the run
/// (<see cref="IRunEventHandler"/>); the run goes on as without it.
/// </summary>
internal sealed class RunEvents(IReadOnlyList<IRunEventHandler> handlers, IAnsiConsole console, CancellationToken cancellationToken)
{
    private readonly List<IRunEventHandler> active = [.. handlers];

    public void RunStarted(RunStartedEvent run) => Raise(nameof(IRunEventHandler.RunStarted), h => h.RunStarted(run));

    public void ExperimentStarted(ExperimentStartedEvent experiment) => Raise(nameof(IRunEventHandler.ExperimentStarted), h => h.ExperimentStarted(experiment));

    public void EpochCompleted(EpochCompletedEvent epoch) => Raise(nameof(IRunEventHandler.EpochCompleted), h => h.EpochCompleted(epoch));

    public void BatchCompleted(BatchCompletedEvent batch) => Raise(nameof(IRunEventHandler.BatchCompleted), h => h.BatchCompleted(batch));

    public void ExperimentCompleted(ExperimentCompletedEvent experiment) => Raise(nameof(IRunEventHandler.ExperimentCompleted), h => h.ExperimentCompleted(experiment));

    public void RunCompleted(RunSummary summary) => Raise(nameof(IRunEventHandler.RunCompleted), h => h.RunCompleted(summary));

    /// <summary>
    /// Runs <paramref name="training"/> inside every active handler's <see cref="IRunProgressScope.Run"/> (the first
    /// handler's outermost). The training's own exceptions pass through; a handler's are its failure.
    /// </summary>
    public void RunInScopes(Action training)
    {
        var wrapped = training;
        foreach (var handler in active.AsEnumerable().Reverse().ToList())
        {
            if (handler is IRunProgressScope scope)
            {
                var inner = wrapped;
                wrapped = () => RunInScope(handler, scope, inner);
            }
        }

        wrapped();
    }

    private void RunInScope(IRunEventHandler handler, IRunProgressScope scope, Action inner)
    {
        var called = false;
        Exception? innerFailure = null;
        try
        {
            scope.Run(() =>
            {
                if (called)
                {
                    return; // a handler that calls it twice: the experiments train once
                }

                called = true;
                try
                {
                    inner();
                }
                catch (Exception exception)
                {
                    innerFailure = exception;
                    throw;
                }
            });
        }
        catch (Exception exception) when (innerFailure is null || !ReferenceEquals(exception, innerFailure))
        {
            if (innerFailure is not null)
            {
                // The handler replaced the training's exception with its own: the training's is what counts.
                Fail(handler, ScopeEvent, exception);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(innerFailure).Throw();
            }

            Fail(handler, ScopeEvent, exception);
        }

        if (!called)
        {
            inner();
        }
    }

    private const string ScopeEvent = nameof(IRunProgressScope) + "." + nameof(IRunProgressScope.Run);

    private void Raise(string name, Action<IRunEventHandler> raise)
    {
        foreach (var handler in active.ToList())
        {
            try
            {
                raise(handler);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception)
            {
                Fail(handler, name, exception);
            }
        }
    }

    private void Fail(IRunEventHandler handler, string eventName, Exception exception)
    {
        if (active.Remove(handler))
        {
            try
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] the event handler {handler.GetType().FullName} failed in {eventName} ({exception.GetType().Name}: {exception.Message}); it gets no more events of this run, which goes on without it");
            }
            catch (Exception)
            {
                // The console itself fails (the handler may have broken it, or the terminal is gone): the handler is
                // out all the same, and the run must go on without the warning.
            }
        }
    }
}
