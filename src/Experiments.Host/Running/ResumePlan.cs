using Experiments.Checkpoints;
using Experiments.History;
using Experiments.Reporting;

namespace Experiments.Hosting;

/// <summary>
/// Which experiments of an <c>all</c>/<c>run</c> go on from an interrupted training (<c>--resume</c>), and what to
/// say about it: before training, what each resumes from (or, without <c>--resume</c>, what it could have); after an
/// interruption, how to go on.
/// </summary>
internal sealed class ResumePlan
{
    private readonly Dictionary<IExperiment, ResumePoint> points = new(ReferenceEqualityComparer.Instance);
    private readonly string resultsDirectory;
    private readonly long? runId;
    private IReadOnlyList<long> earlierRuns = [];

    private ResumePlan(string resultsDirectory, long? runId)
    {
        this.resultsDirectory = resultsDirectory;
        this.runId = runId;
    }

    /// <summary>
    /// Looks, for each experiment the run cache does not answer, for a training state an earlier run left
    /// (<see cref="InterruptedTrainings.Find"/>), and says what it found: with <paramref name="resume"/>, what each goes
    /// on from and why a state found is not used; without, which ones <c>--resume</c> would continue.
    /// </summary>
    public static ResumePlan Make(IReadOnlyList<IExperiment> experiments, RunCache cache, RunRecording? recording, string resultsDirectory, bool resume, Action<string> say, Action<string> warn)
    {
        var plan = new ResumePlan(resultsDirectory, recording?.RunId);
        var trained = experiments.Where(cache.Trains).ToList();
        if (trained.Count == 0)
        {
            return plan;
        }

        if (recording is null)
        {
            if (resume)
            {
                warn("nothing is resumed: --resume reads the run history, and this run is not recorded (ExperimentHostOptions.RecordHistory is false)");
            }

            return plan;
        }

        var earlier = recording.EarlierRuns(warn);
        plan.earlierRuns = earlier;
        var nothing = new List<string>();
        foreach (var experiment in trained)
        {
            var problems = 0;
            var key = cache.KeyOf(experiment);
            var found = InterruptedTrainings.Find(earlier, resultsDirectory, experiment, key, message =>
            {
                problems++;
                if (resume)
                {
                    warn(message);
                }
            }, SupersededUpTo(recording, key, resultsDirectory));
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
                say(found.TrainingIsOver
                    ? $"{experiment.Name}: resuming after {found.Description}, where its training had ended (nothing is trained again; the model is evaluated and saved)"
                    : $"{experiment.Name}: resuming after {found.Description}");
            }
            else if (found.TrainingIsOver)
            {
                say($"{experiment.Name}: run {found.RunId} finished training it but did not keep the result (not recorded, or its checkpoint not written); this run trains it from the start (--resume would save that training's model without training again)");
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

    /// <summary>
    /// The newest run whose completed result of <paramref name="key"/> still has its checkpoint, or null: every state
    /// of that training in it or before it is left over, as its model is kept (a --force run trains it again).
    /// </summary>
    private static long? SupersededUpTo(RunRecording recording, RunCacheKey? key, string resultsDirectory) =>
        key is not null && recording.FindCached(key).Hit is { } hit && RunCache.CheckpointProblem(hit, resultsDirectory) is null ? hit.RunId : null;

    /// <summary>Where <paramref name="experiment"/>'s training goes on from (<see cref="CheckpointOptions.ResumeFrom"/>), or null.</summary>
    public string? ResumeFrom(IExperiment experiment) => points.GetValueOrDefault(experiment)?.Directory;

    /// <summary>
    /// Once an experiment's result is recorded (<paramref name="recorded"/>) as completed with its checkpoint, or as
    /// diverged (<see cref="TrainingStateFile.IsSpentBy"/>), the training states it makes useless are removed: the
    /// one this run's training left in its own folder, the one it went on from, and, for a completed result, every
    /// other state of the same training (<paramref name="key"/>) that earlier runs left (a run interrupted, then
    /// another that trained it from the start). Not before the result is recorded: a result the run history does not
    /// have keeps its state, for <c>--resume</c> to take up. The results and their folders stay as they were.
    /// </summary>
    public void Finished(IExperiment experiment, ExperimentResult result, RunCacheKey? key, bool recorded, Action<string> warn)
    {
        if (!recorded || !TrainingStateFile.IsSpentBy(result) || runId is not { } id)
        {
            return;
        }

        var spent = new List<string> { InterruptedTrainings.FolderOf(resultsDirectory, id, experiment) };
        if (points.TryGetValue(experiment, out var point))
        {
            spent.Add(point.Directory);
        }

        if (result.Status == ExperimentStatus.Completed && key is not null)
        {
            spent.AddRange(InterruptedTrainings.StatesOf(earlierRuns, resultsDirectory, experiment, key));
        }

        foreach (var directory in spent.Distinct(StringComparer.Ordinal))
        {
            if (!TrainingStateFile.TryDelete(directory, out var problem))
            {
                warn($"{experiment.Name}: its training state {TrainingStateFile.PathIn(directory)} is no longer needed but could not be removed: {problem}");
            }
        }
    }

    /// <summary>
    /// What to say after an interruption about the experiment that was training (<paramref name="training"/>, null when
    /// none was): from which epoch <c>--resume</c> goes on, given the command that was run (<paramref name="commandLine"/>,
    /// as the run history records it).
    /// </summary>
    public string InterruptedHint(IExperiment? training, string commandLine, bool resume, string applicationName)
    {
        if (runId is not { } id)
        {
            return $"'{ApplicationCommand(commandLine, applicationName)}' trains them again (the run is not recorded, so nothing can be resumed).";
        }

        var command = ApplicationCommand(commandLine, applicationName) + (resume ? "" : " --resume");
        if (training is null)
        {
            return $"'{command}' trains the rest.";
        }

        var info = InterruptedTrainings.TryInspect(InterruptedTrainings.FolderOf(resultsDirectory, id, training));
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

        return $"'{command}' goes on with {training.Name} from epoch {info.Epoch + 1} of {info.TotalEpochs} (the state after epoch {info.Epoch} is saved in its folder of run {id}).";
    }

    /// <summary>
    /// The command as a user types it: the run history's <c>experiments run cnn ...</c> with the program's name as
    /// a user types it (<paramref name="applicationName"/>, e.g. <c>dotnet run -- run cnn ...</c>).
    /// </summary>
    internal static string ApplicationCommand(string commandLine, string applicationName) =>
        commandLine.StartsWith(CommandLineApp.ProgramName + " ", StringComparison.Ordinal) ? applicationName + commandLine[CommandLineApp.ProgramName.Length..] : commandLine;
}
