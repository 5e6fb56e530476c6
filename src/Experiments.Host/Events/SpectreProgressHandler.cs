using System.Globalization;
using Experiments.Reporting;
using Spectre.Console;
using static System.FormattableString;

namespace Experiments.Hosting;

/// <summary>
/// The default progress display (<see cref="ExperimentHostOptions.EventHandlers"/>), on the run's console
/// (<see cref="RunStartedEvent.Console"/>): on a terminal, Spectre.Console's live progress bars (one per experiment,
/// moving by batches within an epoch, with speed and time left); in a log or a file, a line per experiment and per
/// epoch. Compose it with a handler of your own by listing both. One instance serves one run at a time.
/// </summary>
public sealed class SpectreProgressHandler : IRunEventHandler, IRunProgressScope
{
    private IAnsiConsole? console;
    private IReadOnlyList<IExperiment> experiments = [];
    private Dictionary<IExperiment, ProgressTask>? tasks;
    private string lastLoss = "";

    /// <inheritdoc/>
    public void RunStarted(RunStartedEvent run)
    {
        ArgumentNullException.ThrowIfNull(run);
        console = run.Console;
        experiments = run.Experiments;
        tasks = null;
    }

    /// <summary>On a terminal, runs the training inside <c>Progress.Start</c>; else just runs it.</summary>
    public void Run(Action training)
    {
        ArgumentNullException.ThrowIfNull(training);
        if (console is not { Profile.Capabilities.Interactive: true })
        {
            training();
            return;
        }

        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                tasks = new Dictionary<IExperiment, ProgressTask>(ReferenceEqualityComparer.Instance);
                foreach (var experiment in experiments)
                {
                    tasks[experiment] = progress.AddTask(Markup.Escape(TerminalText.Escape(experiment.Name)), autoStart: false, maxValue: experiment.Settings.Epochs);
                }

                try
                {
                    training();
                }
                finally
                {
                    tasks = null;
                }
            });
    }

    /// <inheritdoc/>
    public void ExperimentStarted(ExperimentStartedEvent experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        lastLoss = "";
        if (Task(experiment.Experiment) is { } task)
        {
            task.StartTask();
        }
        else
        {
            console?.MarkupLineInterpolated(TerminalText.Format, $"[[{experiment.Index}/{experiment.Count}]] [bold]{experiment.Experiment.Name}[/] ({experiment.Experiment.SourceFile})");
        }
    }

    /// <inheritdoc/>
    public void EpochCompleted(EpochCompletedEvent epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var report = epoch.Report;
        if (Task(epoch.Experiment) is { } task)
        {
            task.Value = report.Epoch;
            lastLoss = Invariant($"  loss {report.TrainLoss:F4}");
            task.Description = Markup.Escape(TerminalText.Escape(Invariant($"{epoch.Experiment.Name}  epoch {report.Epoch}/{report.TotalEpochs}{lastLoss}")));
        }
        else
        {
            console?.MarkupLineInterpolated(TerminalText.Format, $"      epoch {report.Epoch}/{report.TotalEpochs}  train loss {report.TrainLoss:F4}{(report.ValidationLoss is { } v ? Invariant($"  validation loss {v:F4}") : "")}");
        }
    }

    /// <summary>Within an epoch (a CNN's takes seconds): the bar moves by batches, with speed and time left. Nothing in a log.</summary>
    public void BatchCompleted(BatchCompletedEvent batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (Task(batch.Experiment) is { } task)
        {
            var report = batch.Report;
            task.Value = report.Epoch - 1 + ((double)report.Batch / Math.Max(1, report.TotalBatches));
            task.Description = Markup.Escape(TerminalText.Escape(Invariant($"{batch.Experiment.Name}  epoch {report.Epoch}/{report.TotalEpochs}  batch {report.Batch}/{report.TotalBatches}  {report.ImagesPerSecond:F0} img/s  {BatchTimeLeft(report)} left{lastLoss}")));
        }
    }

    /// <inheritdoc/>
    public void ExperimentCompleted(ExperimentCompletedEvent experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (Task(experiment.Experiment) is { } task)
        {
            task.Description = Markup.Escape(TerminalText.Escape(experiment.Experiment.Name)) + "  " + Outcome(experiment.Result);
            task.Value = task.MaxValue;
            task.StopTask();
        }
        else
        {
            console?.MarkupLine("      " + Outcome(experiment.Result));
        }
    }

    private ProgressTask? Task(IExperiment experiment) => tasks?.GetValueOrDefault(experiment);

    /// <summary>Time left in the experiment's training at this epoch's speed, e.g. <c>1:05</c> (the validation passes not counted).</summary>
    internal static string BatchTimeLeft(BatchReport report)
    {
        if (report.ImagesPerSecond <= 0)
        {
            return "?";
        }

        var images = report.EpochImages - report.Images + ((long)(report.TotalEpochs - report.Epoch) * report.EpochImages);
        var left = TimeSpan.FromSeconds(Math.Ceiling(images / report.ImagesPerSecond));
        return left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : left.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }

    private static string Outcome(ExperimentResult result) => result.Status switch
    {
        ExperimentStatus.Completed when result is { CachedFromRun: { } run, Test: { } cached } => Markup.Escape(Invariant($"cached: {cached.Accuracy:F2}% from run {run} (not trained again; --force retrains)")),
        ExperimentStatus.Completed when result.Test is { } test => Markup.Escape(Invariant($"{test.Accuracy:F2}% in {result.TrainSeconds:F2} s{(result.ResumedFromEpoch is { } resumed ? $" (resumed after epoch {resumed})" : "")}")),
        ExperimentStatus.Diverged => "[yellow]diverged[/]: " + Markup.Escape(TerminalText.Escape(result.DivergenceReason)),
        _ => "[red]failed[/]",
    };
}
