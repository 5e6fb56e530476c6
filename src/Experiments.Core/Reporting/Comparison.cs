using System.Globalization;
using Experiments.History;

namespace Experiments.Reporting;

/// <summary>How a result compares with its baseline.</summary>
public enum Verdict
{
    /// <summary>No baseline to compare with.</summary>
    New,

    /// <summary>Accuracy rose by more than the noise band.</summary>
    Better,

    /// <summary>Accuracy fell by more than the noise band.</summary>
    Worse,

    /// <summary>The change is within the noise band.</summary>
    WithinNoise,

    /// <summary>One of the two has no test accuracy (failed, diverged, ...).</summary>
    NotComparable,
}

/// <summary>One experiment's latest result against its baseline.</summary>
public sealed record ComparisonRow(string Experiment, StoredResult Current, StoredResult? Baseline, double? AccuracyDelta, double? LossDelta, double? Noise, Verdict Verdict)
{
    /// <summary>The experiment's source file (its content hash) differs between the baseline and now.</summary>
    public bool SourceChanged => Baseline is not null && !string.Equals(Baseline.SourceSha256, Current.SourceSha256, StringComparison.Ordinal);

    /// <summary>The run of <see cref="Current"/>, when known.</summary>
    public RunRecord? CurrentRun { get; init; }

    /// <summary>The run of <see cref="Baseline"/>, when known.</summary>
    public RunRecord? BaselineRun { get; init; }
}

/// <summary>
/// <c>compare</c>: the latest result of each experiment against a baseline, with the change in test accuracy and
/// loss, and whether the accuracy change is beyond run-to-run noise.
/// </summary>
/// <remarks>
/// The noise band of an accuracy change is 1.96 standard errors of the difference of two accuracies each measured
/// on its test set (binomial: sqrt(p(1-p)/n)), the 95% band for two independent estimates; when the store holds at
/// least <see cref="MinimumRepeats"/> completed results of the experiment with the same source content, twice their
/// standard deviation if that is wider (what reruns of this configuration actually vary by, e.g. across code
/// versions and machines). Identical reruns (standard deviation 0) so leave the binomial band. It is at least 0.01
/// points, the resolution of the printed figures.
/// </remarks>
public static class Comparison
{
    public const int MinimumRepeats = 3;

    /// <summary>Compares the latest result of every experiment in the store with the baseline <paramref name="baseline"/> names.</summary>
    /// <param name="store">The run history.</param>
    /// <param name="baseline">Null for each experiment's previous result; else a run id, an experiment name, or a git ref (see <see cref="BaselineResolver"/>).</param>
    /// <param name="resolveGitRef">Turns a git ref into a full commit id, or null.</param>
    public static (string BaselineLabel, IReadOnlyList<ComparisonRow> Rows) Compare(ResultStore store, string? baseline, Func<string, string?> resolveGitRef)
    {
        ArgumentNullException.ThrowIfNull(store);
        var latest = store.LatestResults();
        if (latest.Count == 0)
        {
            throw new StoreException($"The run history '{store.Path}' holds no results yet: record some with 'all' or 'run'");
        }

        var (label, pick) = BaselineResolver.Resolve(store, baseline, resolveGitRef);
        var runs = store.Runs().ToDictionary(r => r.Id);
        var rows = latest.Select(current =>
        {
            var history = store.ResultsOf(current.Experiment);
            return WithRuns(Row(current, pick(current, history), history), runs);
        }).ToList();
        return (label, rows);
    }

    /// <summary>Each result of one run against the same experiment's previous result (from an earlier run).</summary>
    public static IReadOnlyList<ComparisonRow> AgainstPrevious(ResultStore store, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(results);
        var runs = store.Runs().ToDictionary(r => r.Id);
        return results.Select(current =>
        {
            var history = store.ResultsOf(current.Experiment);
            return WithRuns(Row(current, history.LastOrDefault(r => r.RunId < current.RunId), history.Where(r => r.RunId <= current.RunId).ToList()), runs);
        }).ToList();
    }

    private static ComparisonRow WithRuns(ComparisonRow row, IReadOnlyDictionary<long, RunRecord> runs) => row with
    {
        CurrentRun = runs.GetValueOrDefault(row.Current.RunId),
        BaselineRun = row.Baseline is null ? null : runs.GetValueOrDefault(row.Baseline.RunId),
    };

    public static ComparisonRow Row(StoredResult current, StoredResult? baseline, IReadOnlyList<StoredResult> history)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(history);
        if (baseline is null)
        {
            return new ComparisonRow(current.Experiment, current, null, null, null, null, Verdict.New);
        }

        var now = current.Result.Test;
        var before = baseline.Result.Test;
        if (now is null || before is null || !double.IsFinite(now.Accuracy) || !double.IsFinite(before.Accuracy))
        {
            return new ComparisonRow(current.Experiment, current, baseline, null, null, null, Verdict.NotComparable);
        }

        var delta = now.Accuracy - before.Accuracy;
        var noise = NoiseBand(current, baseline, history);
        var verdict = Math.Abs(delta) <= noise ? Verdict.WithinNoise : delta > 0 ? Verdict.Better : Verdict.Worse;
        var lossDelta = double.IsFinite(now.Loss) && double.IsFinite(before.Loss) ? now.Loss - before.Loss : (double?)null;
        return new ComparisonRow(current.Experiment, current, baseline, delta, lossDelta, noise, verdict);
    }

    /// <summary>The noise band, in accuracy points, that a change must exceed to count (see the class remarks).</summary>
    public static double NoiseBand(StoredResult current, StoredResult baseline, IReadOnlyList<StoredResult> history)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(history);
        var band = 1.96 * Math.Sqrt(Variance(current.Result.Test!) + Variance(baseline.Result.Test!));
        var repeats = history
            .Where(r => string.Equals(r.Status, RunStatus.Completed, StringComparison.Ordinal))
            .Where(r => r.SourceSha256 is not null && string.Equals(r.SourceSha256, current.SourceSha256, StringComparison.Ordinal))
            .Select(r => r.Result.Test?.Accuracy ?? double.NaN)
            .Where(double.IsFinite)
            .ToList();
        if (repeats.Count >= MinimumRepeats)
        {
            var mean = repeats.Average();
            var deviation = Math.Sqrt(repeats.Sum(a => (a - mean) * (a - mean)) / (repeats.Count - 1));
            band = Math.Max(band, 2 * deviation);
        }

        return Math.Max(band, 0.01);

        static double Variance(Evaluation evaluation)
        {
            var p = evaluation.Accuracy / 100;
            return evaluation.Count > 0 ? 100 * 100 * p * (1 - p) / evaluation.Count : 0;
        }
    }

    public static TextTable Table(string baselineLabel, IReadOnlyList<ComparisonRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var cells = rows.Select(row =>
        {
            var mark = row.Verdict switch
            {
                Verdict.Better => CellMark.Better,
                Verdict.Worse => CellMark.Worse,
                _ => CellMark.None,
            };
            return (IReadOnlyList<Cell>)
            [
                row.Experiment,
                row.Baseline is null ? "-" : new Cell(HistoryTables.Id(row.Baseline.RunId), row.Baseline.RunId, row.BaselineRun?.Incomplete == true ? CellMark.Note : CellMark.None),
                row.Baseline is null ? "-" : Cell.Of(row.Baseline.Result.Test?.Accuracy, "F2"),
                new(HistoryTables.Id(row.Current.RunId), row.Current.RunId, row.CurrentRun?.Incomplete == true ? CellMark.Note : CellMark.None),
                Cell.Of(row.Current.Result.Test?.Accuracy, "F2"),
                Cell.Signed(row.AccuracyDelta, "F2", mark),
                Cell.Of(row.Noise, "F2"),
                Cell.Signed(row.LossDelta, "F4"),
                row.Baseline is null ? "-" : row.SourceChanged ? new Cell("changed", null, CellMark.Note) : "same",
                ModelCell(row),
                new(VerdictText(row), null, mark),
            ];
        }).ToList();
        return new TextTable($"Latest results against {baselineLabel}", ["Experiment", "Baseline run", "Baseline (%)", "Run", "Accuracy (%)", "Change", "Noise ±", "Loss change", "YAML", "Model", "Verdict"], cells)
        {
            NumericColumns = new HashSet<int> { 1, 2, 3, 4, 5, 6, 7 },
            Notes =
            [
                .. IncompleteRunNotes(rows),
                "Change and Noise ± are in accuracy points; a change beyond the noise band is 'better' or 'worse'.",
                string.Create(CultureInfo.InvariantCulture, $"Noise band: 1.96 binomial standard errors of the two test accuracies, or twice the standard deviation of this experiment's completed results with the same YAML when the history holds {MinimumRepeats} or more and that is wider."),
            ],
        };
    }

    /// <summary>
    /// The latest result's architecture line, with "(changed)" when the baseline's differs; a result reused by the run
    /// cache says so (it is the baseline's training again, not a rerun). "-" when unknown.
    /// </summary>
    private static Cell ModelCell(ComparisonRow row)
    {
        var current = row.Current.Result.Model?.Architecture;
        var baseline = row.Baseline?.Result.Model?.Architecture;
        var cached = row.Current.Result.CachedFromRun is { } run ? $" (cached from run {HistoryTables.Id(run)})" : "";
        if (current is null)
        {
            return "-" + cached;
        }

        return baseline is not null && !string.Equals(baseline, current, StringComparison.Ordinal)
            ? new Cell($"{current} (was {baseline}){cached}", null, CellMark.Note)
            : current + cached;
    }

    /// <summary>One line for each baseline or latest run that did not end with all its results (running, abandoned, interrupted, failed).</summary>
    public static IReadOnlyList<string> IncompleteRunNotes(IReadOnlyList<ComparisonRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var latest = rows.Where(r => r.CurrentRun?.Incomplete == true).GroupBy(r => r.CurrentRun!.Id)
            .Select(g => $"Compared against an incomplete run: the latest result of {Names(g)} is from run {Describe(g.First().CurrentRun!)}.");
        var baselines = rows.Where(r => r.BaselineRun?.Incomplete == true).GroupBy(r => r.BaselineRun!.Id)
            .Select(g => $"Compared against an incomplete run: the baseline of {Names(g)} is from run {Describe(g.First().BaselineRun!)}.");
        return [.. baselines, .. latest];

        static string Names(IEnumerable<ComparisonRow> group) => string.Join(", ", group.Select(r => r.Experiment));

        static string Describe(RunRecord run)
        {
            var text = HistoryTables.Id(run.Id) + ", which is " + run.Status;
            if (run.PlannedResults is { } planned && run.MissingResults > 0)
            {
                text += string.Create(CultureInfo.InvariantCulture, $" with {run.ResultCount} of {planned} results recorded");
            }

            return run.StatusNote is null ? text : text + " (" + run.StatusNote + ")";
        }
    }

    private static string VerdictText(ComparisonRow row) => row.Verdict switch
    {
        Verdict.New => "new",
        Verdict.Better => "better",
        Verdict.Worse => "worse",
        Verdict.WithinNoise => "within noise",
        _ => $"not comparable ({row.Current.Status} vs {row.Baseline?.Status})",
    };
}

/// <summary>
/// What <c>compare --baseline</c> accepts: a run id, an experiment name, or a git ref (commit, branch, tag). A plain
/// value is tried in that order, and a number of up to 9 digits is always a run id; <c>run:ID</c>,
/// <c>experiment:NAME</c> and <c>git:REF</c> say which is meant (e.g. <c>git:1234567</c> for an all-digit commit prefix).
/// </summary>
public static class BaselineResolver
{
    /// <summary>Returns a label and a function that picks the baseline result of an experiment from its history (oldest first).</summary>
    public static (string Label, Func<StoredResult, IReadOnlyList<StoredResult>, StoredResult?> Pick) Resolve(ResultStore store, string? baseline, Func<string, string?> resolveGitRef)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(resolveGitRef);
        if (baseline is null)
        {
            return ("each experiment's previous run", (current, history) => history.LastOrDefault(r => r.RunId < current.RunId));
        }

        if (string.IsNullOrWhiteSpace(baseline))
        {
            throw new UsageException("--baseline needs a run id, an experiment name or a git ref");
        }

        var runs = store.Runs();
        if (Prefixed(baseline, RunPrefix) is { } runText)
        {
            return long.TryParse(runText, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? ByRun(store, runs, baseline, id)
                : throw new UsageException($"--baseline {baseline}: '{runText}' is not a run id (a whole number, see 'runs')");
        }

        if (Prefixed(baseline, ExperimentPrefix) is { } experimentName)
        {
            return store.ExperimentNames().Contains(experimentName, StringComparer.Ordinal)
                ? ByExperiment(store, experimentName)
                : throw new UsageException($"--baseline {baseline}: the run history has no results of an experiment '{experimentName}'");
        }

        if (Prefixed(baseline, GitPrefix) is { } reference)
        {
            return ByCommit(runs, baseline, reference, resolveGitRef);
        }

        if (long.TryParse(baseline, NumberStyles.None, CultureInfo.InvariantCulture, out var runId) && baseline.Length < 10)
        {
            return ByRun(store, runs, baseline, runId);
        }

        if (store.ExperimentNames().Contains(baseline, StringComparer.Ordinal))
        {
            return ByExperiment(store, baseline);
        }

        return ByCommit(runs, baseline, baseline, resolveGitRef);
    }

    private const string RunPrefix = "run:";
    private const string ExperimentPrefix = "experiment:";
    private const string GitPrefix = "git:";

    private static string? Prefixed(string baseline, string prefix) =>
        baseline.StartsWith(prefix, StringComparison.Ordinal) ? baseline[prefix.Length..] : null;

    private static (string, Func<StoredResult, IReadOnlyList<StoredResult>, StoredResult?>) ByRun(ResultStore store, IReadOnlyList<RunRecord> runs, string baseline, long runId)
    {
        if (runs.All(r => r.Id != runId))
        {
            var known = runs.Count == 0 ? "there are no runs" : $"runs are {runs[0].Id} to {runs[^1].Id}";
            throw new UsageException($"--baseline {baseline}: there is no run {runId.ToString(CultureInfo.InvariantCulture)} in '{store.Path}' ({known})");
        }

        return ($"run {runId.ToString(CultureInfo.InvariantCulture)}", (current, history) => history.LastOrDefault(r => r.RunId == runId));
    }

    private static (string, Func<StoredResult, IReadOnlyList<StoredResult>, StoredResult?>) ByExperiment(ResultStore store, string experiment)
    {
        var reference = store.ResultsOf(experiment)[^1];
        return ($"experiment {experiment} (run {HistoryTables.Id(reference.RunId)})", (_, _) => reference);
    }

    private static (string, Func<StoredResult, IReadOnlyList<StoredResult>, StoredResult?>) ByCommit(IReadOnlyList<RunRecord> runs, string baseline, string reference, Func<string, string?> resolveGitRef)
    {
        var commit = (reference.Length > 0 ? resolveGitRef(reference) : null)
            ?? runs.Select(r => r.Info.GitCommit).FirstOrDefault(c => c is not null && reference.Length >= 7 && c.StartsWith(reference, StringComparison.OrdinalIgnoreCase));
        if (commit is null)
        {
            throw new UsageException(reference == baseline
                ? $"--baseline '{baseline}' is not a run id, an experiment in the run history, or a git ref (commit, branch or tag)"
                : $"--baseline '{baseline}': '{reference}' is not a git ref (commit, branch or tag) here, nor a prefix of a recorded commit");
        }

        var atCommit = runs.Where(r => string.Equals(r.Info.GitCommit, commit, StringComparison.OrdinalIgnoreCase)).Select(r => r.Id).ToHashSet();
        if (atCommit.Count == 0)
        {
            throw new UsageException($"--baseline '{baseline}' is commit {commit[..Math.Min(10, commit.Length)]}, but no recorded run was made at that commit");
        }

        return ($"{baseline} (commit {commit[..Math.Min(10, commit.Length)]})", (_, history) => history.LastOrDefault(r => atCommit.Contains(r.RunId)));
    }
}
