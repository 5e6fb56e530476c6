using Experiments.Checkpoints;
using Experiments.Reporting;

namespace Experiments.Runner;

/// <summary>
/// Which experiments of an <c>all</c>/<c>run</c> go on from an interrupted training (<c>--resume</c>), and what to
/// say about it: before training, what each resumes from (or, without <c>--resume</c>, what it could have); after an
/// interruption, how to go on.
/// </summary>
internal sealed class ResumePlan
{
    private readonly Dictionary<IExperiment, ResumePoint> points = new(ReferenceEqualityComparer.Instance);
    private readonly string resultsDirectory;
    private readonly long runId;

    private ResumePlan(string resultsDirectory, long runId)
    {
        this.resultsDirectory = resultsDirectory;
        this.runId = runId;
    }

    /// <summary>
    /// Looks, for each experiment the run cache does not answer, for a training state an earlier run left
    /// (<see cref="InterruptedTrainings.Find"/>), and says what it found: with <paramref name="resume"/>, what each goes
    /// on from and why a state found is not used; without, which ones <c>--resume</c> would continue.
    /// </summary>
    public static ResumePlan Make(IReadOnlyList<IExperiment> experiments, RunCache cache, RunRecording recording, string resultsDirectory, bool resume, Action<string> say, Action<string> warn)
    {
        var plan = new ResumePlan(resultsDirectory, recording.RunId);
        var trained = experiments.Where(cache.Trains).ToList();
        if (trained.Count == 0)
        {
            return plan;
        }

        var earlier = recording.EarlierRuns(warn);
        var nothing = new List<string>();
        foreach (var experiment in trained)
        {
            var problems = 0;
            var found = InterruptedTrainings.Find(earlier, resultsDirectory, experiment, cache.KeyOf(experiment), message =>
            {
                problems++;
                if (resume)
                {
                    warn(message);
                }
            });
            if (found is null)
            {
                if (resume && problems > 0)
                {
                    say($"{experiment.Name} trains from the start.");
                }
                else if (resume)
                {
                    nothing.Add(experiment.Name);
                }
            }
            else if (resume)
            {
                plan.points[experiment] = found;
                say($"{experiment.Name}: resuming from {found.Description}");
            }
            else
            {
                say($"{experiment.Name}: run {found.RunId} stopped it after epoch {found.Epoch} of {found.TotalEpochs}; this run trains it from the start (--resume would go on from there)");
            }
        }

        if (nothing.Count > 0)
        {
            say($"Nothing to resume for {string.Join(", ", nothing)}: no earlier run left an unfinished training of {(nothing.Count == 1 ? "it" : "them")}, so {(nothing.Count == 1 ? "it trains" : "they train")} from the start.");
        }

        return plan;
    }

    /// <summary>Where <paramref name="experiment"/>'s training goes on from (<see cref="CheckpointOptions.ResumeFrom"/>), or null.</summary>
    public string? ResumeFrom(IExperiment experiment) => points.GetValueOrDefault(experiment)?.Directory;

    /// <summary>
    /// Once a resumed experiment's result is recorded as completed (with its checkpoint) or diverged, the state it went
    /// on from is spent: it is removed from the earlier run's folder (the result and its own folder stay as they were).
    /// </summary>
    public void Finished(IExperiment experiment, ExperimentResult result, bool recorded, Action<string> warn)
    {
        if (!recorded || !points.TryGetValue(experiment, out var point)
            || !(result.Status == ExperimentStatus.Diverged || (result.Status == ExperimentStatus.Completed && result.Checkpoint is not null)))
        {
            return;
        }

        if (!TrainingStateFile.TryDelete(point.Directory, out var problem))
        {
            warn($"{experiment.Name}: the training state it resumed from ({TrainingStateFile.PathIn(point.Directory)}) could not be removed: {problem}");
        }
    }

    /// <summary>
    /// What to say after an interruption about the experiment that was training (<paramref name="training"/>, null when
    /// none was): from which epoch <c>--resume</c> goes on, given the command that was run (<paramref name="commandLine"/>,
    /// as the run history records it).
    /// </summary>
    public string InterruptedHint(IExperiment? training, string commandLine, bool resume)
    {
        var command = ApplicationCommand(commandLine) + (resume ? "" : " --resume");
        if (training is null)
        {
            return $"'{command}' trains the rest.";
        }

        var info = InterruptedTrainings.TryInspect(InterruptedTrainings.FolderOf(resultsDirectory, runId, training));
        if (info is null)
        {
            // No epoch finished in this run: what it went on from (if anything) is still there to go on from.
            return points.TryGetValue(training, out var point)
                ? $"{training.Name} had not finished an epoch in this run; '{command}' goes on from {point.Description} again."
                : $"{training.Name} had not finished an epoch; '{command}' trains it from the start, and the rest.";
        }

        if (info.NotResumable is { } reason)
        {
            return $"{training.Name} cannot be resumed ({reason}); '{command}' trains it from the start, and the rest.";
        }

        return $"'{command}' goes on with {training.Name} from epoch {info.Epoch + 1} of {info.TotalEpochs} (the state after epoch {info.Epoch} is saved in its folder of run {runId}).";
    }

    /// <summary>
    /// The command as a user types it: the run history's <c>experiments run cnn ...</c> with the program's name as
    /// the README gives it (<c>dotnet run --project runner -- run cnn ...</c>).
    /// </summary>
    internal static string ApplicationCommand(string commandLine) =>
        commandLine.StartsWith("experiments ", StringComparison.Ordinal) ? RunnerApp.ApplicationName + commandLine["experiments".Length..] : commandLine;
}
