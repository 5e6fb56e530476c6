using System.Globalization;
using Experiments.Checkpoints;
using Experiments.History;
using Experiments.Reporting;

namespace Experiments.Hosting;

/// <summary>A training state an earlier run left behind, that this run's training of the experiment can go on from.</summary>
/// <param name="RunId">The run whose folder holds it.</param>
/// <param name="Directory">The experiment's folder in that run, e.g. <c>results/7/cnn</c>.</param>
/// <param name="Epoch">Its last finished epoch.</param>
/// <param name="TotalEpochs">The experiment's epochs.</param>
/// <param name="TrainingIsOver">
/// Whether training had ended there (<see cref="TrainingStateInfo.TrainingIsOver"/>): its run could not keep the
/// result (not recorded, or no checkpoint written), and going on from it trains nothing more.
/// </param>
internal sealed record ResumePoint(long RunId, string Directory, int Epoch, int TotalEpochs, bool TrainingIsOver = false)
{
    /// <summary>How messages say it: <c>epoch 3 of 5 of run 7</c>.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture, $"epoch {Epoch} of {TotalEpochs} of run {RunId}");
}

/// <summary>
/// Finds what <c>--resume</c> goes on from: for an experiment this run trains, the training states
/// (<see cref="TrainingStateFile"/>) that earlier runs of the run history left in their folder of it, an interruption
/// (or a failure) having stopped them before it completed. Of those with the experiment's run cache key (same
/// configuration, code and dataset, so the same training), the one furthest along, the newest run of those. A state
/// of a run up to one whose completed result (its checkpoint in place) has that key is not one: that training's
/// model is kept, and the state is left over (from before such states were removed, or a removal that failed).
/// </summary>
internal static class InterruptedTrainings
{
    /// <summary>
    /// The state to go on from, or null. Each state that cannot be used (damaged, of another configuration, an
    /// L-BFGS training) is reported through <paramref name="report"/>, named with its run and file.
    /// </summary>
    /// <param name="earlierRuns">The run history's runs before this one.</param>
    /// <param name="resultsDirectory">The results folder, in which each run has its folder.</param>
    /// <param name="experiment">The experiment this run trains.</param>
    /// <param name="key">Its run cache key, or null when it has none (it cannot be resumed then).</param>
    /// <param name="report">Says why a state found is not gone on from.</param>
    /// <param name="supersededUpTo">The newest run with a completed result of this key whose checkpoint is in place, or null: states of it and earlier runs are passed over.</param>
    public static ResumePoint? Find(IEnumerable<long> earlierRuns, string resultsDirectory, IExperiment experiment, RunCacheKey? key, Action<string> report, long? supersededUpTo = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(report);
        ResumePoint? best = null;
        foreach (var run in earlierRuns.Where(r => r > supersededUpTo.GetValueOrDefault(long.MinValue)).OrderDescending())
        {
            var directory = FolderOf(resultsDirectory, run, experiment);
            if (!File.Exists(TrainingStateFile.PathIn(directory)))
            {
                continue;
            }

            TrainingStateInfo info;
            try
            {
                info = TrainingStateFile.Inspect(directory);
            }
            catch (Exception exception) when (exception is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                report(string.Create(CultureInfo.InvariantCulture, $"{experiment.Name}: the training state run {run} left cannot be resumed: {exception.Message}"));
                continue;
            }

            if (info.ProblemFor(experiment, key) is { } problem)
            {
                report(string.Create(CultureInfo.InvariantCulture, $"{experiment.Name}: not resuming after epoch {info.Epoch} of run {run} ({TrainingStateFile.PathIn(directory)}): {problem}"));
                continue;
            }

            // Newest first: a later run's state replaces an earlier one only when it got further.
            if (best is null || info.Epoch > best.Epoch)
            {
                best = new ResumePoint(run, directory, info.Epoch, info.TotalEpochs, info.TrainingIsOver(experiment.Settings.EarlyStoppingPatience));
            }
        }

        return best;
    }

    /// <summary>
    /// The folders of <paramref name="runs"/> holding a state of <paramref name="experiment"/>'s training with
    /// <paramref name="key"/> (one that can be read and says so); damaged states and those of other keys are not.
    /// </summary>
    public static IEnumerable<string> StatesOf(IEnumerable<long> runs, string resultsDirectory, IExperiment experiment, RunCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        foreach (var run in runs)
        {
            var directory = FolderOf(resultsDirectory, run, experiment);
            if (TryInspect(directory) is { } info && string.Equals(info.Experiment, experiment.Name, StringComparison.Ordinal) && key.Equals(info.Key))
            {
                yield return directory;
            }
        }
    }

    /// <summary>The experiment's folder in run <paramref name="runId"/>: where its checkpoint and training state go.</summary>
    public static string FolderOf(string resultsDirectory, long runId, IExperiment experiment) =>
        Path.Combine(resultsDirectory, runId.ToString(CultureInfo.InvariantCulture), RunPlots.FolderName(experiment.Name));

    /// <summary>
    /// What the state in <paramref name="directory"/> says, or null when there is none or it cannot be read (the
    /// message after an interruption says what <c>--resume</c> would go on from).
    /// </summary>
    public static TrainingStateInfo? TryInspect(string directory)
    {
        try
        {
            return File.Exists(TrainingStateFile.PathIn(directory)) ? TrainingStateFile.Inspect(directory) : null;
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
