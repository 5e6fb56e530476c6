using System.Globalization;
using Experiments.History;
using Experiments.Results;

namespace Experiments.Reporting;

/// <summary>The tables of the <c>runs</c>, <c>show</c>, <c>history</c> and <c>export</c> commands and of the report.</summary>
public static class HistoryTables
{
    public static TextTable Runs(IReadOnlyList<RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var rows = runs.Select(run => (IReadOnlyList<Cell>)
        [
            new(Id(run.Id), run.Id),
            Time(run.StartedAt),
            run.EndedAt is { } end ? Cell.Of((end - run.StartedAt).TotalSeconds, "F1") : "-",
            Status(run.Status),
            Commit(run.Info),
            new(run.ResultCount.ToString(CultureInfo.InvariantCulture), run.ResultCount),
            Cell.Of(run.BestTestAccuracy, "F2"),
            run.Info.CommandLine,
        ]).ToList();
        return new TextTable("Runs", ["Run", "Started (UTC)", "Seconds", "Status", "Commit", "Results", "Best accuracy (%)", "Command"], rows)
        {
            NumericColumns = new HashSet<int> { 0, 2, 5, 6 },
        };
    }

    /// <summary>The facts of one run as name/value rows.</summary>
    public static TextTable RunFacts(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        IReadOnlyList<Cell>[] rows =
        [
            ["Run", Id(run.Id)],
            ["Status", Status(run.Status)],
            ["Started (UTC)", Time(run.StartedAt)],
            ["Ended (UTC)", run.EndedAt is { } end ? Time(end) : "-"],
            ["Command", run.Info.CommandLine],
            ["Git commit", run.Info.GitCommit is null ? "unknown" : run.Info.GitCommit + (run.Info.GitDirty == true ? " (uncommitted changes)" : "")],
            ["Machine", run.Info.Machine],
            ["Operating system", run.Info.OperatingSystem],
            [".NET", run.Info.DotnetVersion],
            ["TorchSharp", run.Info.TorchSharpVersion ?? "unknown"],
        ];
        return new TextTable($"Run {Id(run.Id)}", ["Field", "Value"], rows);
    }

    /// <summary>Every result of a run: the results table's columns plus validation metrics and the YAML hash.</summary>
    public static TextTable Results(string title, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var headers = ResultTable.Headers.Take(ResultTable.Headers.Count - 1)
            .Concat(["Validation (%)", "YAML", "Status"]).ToList();
        var numeric = Enumerable.Range(0, ResultTable.Headers.Count - 1).Where(ResultTable.IsNumeric).Append(ResultTable.Headers.Count - 1).ToHashSet();
        var rows = results.Select(stored =>
        {
            var row = ResultTable.Row(stored.Result);
            var cells = row.Take(row.Count - 1).Select((text, column) => ResultTable.IsNumeric(column) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? new Cell(text, v) : new Cell(text)).ToList();
            cells.Add(Cell.Of(stored.Result.Validation?.Accuracy, "F2"));
            cells.Add(ShortHash(stored.SourceSha256));
            cells.Add(Status(stored.Status));
            return (IReadOnlyList<Cell>)cells;
        }).ToList();
        var notes = results.Where(r => r.Result.Error is not null).Select(r => $"{r.Experiment} {r.Status}: {r.Result.Error!.ReplaceLineEndings(" ")}").ToList();
        return new TextTable(title, headers, rows) { NumericColumns = numeric, Notes = notes };
    }

    /// <summary>Test accuracy per class (columns) of each result (rows).</summary>
    public static TextTable PerClassAccuracy(IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var classes = results.Select(r => r.Result.Test?.PerClassAccuracy.Count ?? 0).DefaultIfEmpty(0).Max();
        var headers = new List<string> { "Experiment" };
        headers.AddRange(Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)));
        var rows = results.Where(r => r.Result.Test is not null).Select(r =>
        {
            var cells = new List<Cell> { r.Experiment };
            cells.AddRange(Enumerable.Range(0, classes).Select(c => Cell.Of(c < r.Result.Test!.PerClassAccuracy.Count ? r.Result.Test.PerClassAccuracy[c] : null, "F1")));
            return (IReadOnlyList<Cell>)cells;
        }).ToList();
        return new TextTable("Test accuracy per class (%)", headers, rows) { NumericColumns = Enumerable.Range(1, classes).ToHashSet() };
    }

    /// <summary>
    /// One experiment's results over time, oldest first; a row whose YAML file differs from the row before is marked
    /// "changed", and the accuracy change from the row before is shown.
    /// </summary>
    public static TextTable History(string experiment, IReadOnlyList<StoredResult> results, IReadOnlyDictionary<long, RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(runs);
        var rows = new List<IReadOnlyList<Cell>>();
        StoredResult? previous = null;
        foreach (var stored in results)
        {
            var run = runs.GetValueOrDefault(stored.RunId);
            var yamlChanged = previous is not null && !string.Equals(previous.SourceSha256, stored.SourceSha256, StringComparison.Ordinal);
            var accuracy = stored.Result.Test?.Accuracy;
            var delta = accuracy - previous?.Result.Test?.Accuracy;
            rows.Add(
            [
                new(Id(stored.RunId), stored.RunId),
                Time(run?.StartedAt ?? stored.RecordedAt),
                run is null ? "-" : Commit(run.Info),
                yamlChanged ? new Cell(ShortHash(stored.SourceSha256) + " changed", null, CellMark.Note) : ShortHash(stored.SourceSha256),
                Status(stored.Status),
                Cell.Of(accuracy, "F2"),
                Cell.Signed(delta, "F2"),
                Cell.Of(stored.Result.Test?.Loss, "F4"),
                Cell.Of(stored.Result.Validation?.Accuracy, "F2"),
                Cell.Of(stored.Result.Status == ExperimentStatus.Completed ? stored.Result.TrainSeconds : null, "F2"),
                previous is null ? "(first)" : ChangedHyperparameters(previous.Result, stored.Result),
            ]);
            previous = stored;
        }

        return new TextTable($"History of {experiment}", ["Run", "Started (UTC)", "Commit", "YAML", "Status", "Accuracy (%)", "Change", "Loss", "Validation (%)", "Train (s)", "Changed settings"], rows)
        {
            NumericColumns = new HashSet<int> { 0, 5, 6, 7, 8, 9 },
            Notes = ["YAML: the first 12 hex digits of the SHA-256 of the experiment's file when the run started; 'changed' where it differs from the row before."],
        };
    }

    /// <summary>Every result of <paramref name="experiment"/>; throws <see cref="ArgumentException"/> with the closest known name when there is none.</summary>
    public static IReadOnlyList<StoredResult> RequireResults(ResultStore store, string experiment)
    {
        ArgumentNullException.ThrowIfNull(store);
        var stored = store.ResultsOf(experiment);
        if (stored.Count > 0)
        {
            return stored;
        }

        var names = store.ExperimentNames();
        var hint = names.Count == 0 ? "experiments with results: none" : Spelling.NameHint.For(experiment, names, "experiments with results", null);
        throw new UsageException($"No results of '{TerminalText.Shorten(experiment)}' in '{store.Path}'; {hint}");
    }

    /// <summary>The hyperparameters that differ from <paramref name="before"/>, as <c>name=value (was old)</c>; "-" when none.</summary>
    public static string ChangedHyperparameters(ExperimentResult before, ExperimentResult after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = before.Hyperparameters.ToDictionary(p => p.Key, p => ExperimentSettings.Format(p.Value), StringComparer.Ordinal);
        var changes = after.Hyperparameters
            .Select(p => (p.Key, Value: ExperimentSettings.Format(p.Value), Old: old.GetValueOrDefault(p.Key)))
            .Where(p => !string.Equals(p.Value, p.Old, StringComparison.Ordinal))
            .Select(p => p.Old is null ? $"{p.Key}={p.Value} (new)" : $"{p.Key}={p.Value} (was {p.Old})")
            .ToList();
        return changes.Count == 0 ? "-" : string.Join(", ", changes);
    }

    /// <summary>The hyperparameters as <c>name=value</c> pairs.</summary>
    public static string HyperparameterText(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Join(' ', result.Hyperparameters.Select(p => p.Key + "=" + ExperimentSettings.Format(p.Value)));
    }

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string ShortHash(string? sha) => sha is null ? "-" : sha[..Math.Min(12, sha.Length)];

    private static string Commit(RunInfo info) => info.GitCommit is null ? "-" : info.GitCommit[..Math.Min(10, info.GitCommit.Length)] + (info.GitDirty == true ? "+dirty" : "");

    private static Cell Status(string status) => new(status, null, status switch
    {
        RunStatus.Completed => CellMark.None,
        RunStatus.Running or RunStatus.Interrupted => CellMark.Note,
        _ => CellMark.Worse,
    });
}
