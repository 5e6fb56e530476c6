using System.Globalization;
using Experiments.History;
using Experiments.Results;

namespace Experiments.Reporting;

/// <summary>The tables of the <c>runs</c>, <c>show</c>, <c>history</c> and <c>export</c> commands and of the report.</summary>
public static class HistoryTables
{
    /// <summary>The columns of <see cref="Runs"/>.</summary>
    public static IReadOnlyList<Column<RunRecord>> RunColumns { get; } =
    [
        new("Run", run => new Cell(Id(run.Id), run.Id), Numeric: true),
        new("Started (UTC)", run => Time(run.StartedAt)),
        new("Seconds", run => run.EndedAt is { } end ? Cell.Of((end - run.StartedAt).TotalSeconds, "F1") : "-", Numeric: true),
        new("Status", run => run.Progress is { } progress && run.Status == RunStatus.Running
            ? new Cell(string.Create(CultureInfo.InvariantCulture, $"{run.Status} ({progress.Done}/{progress.Tasks} done)"), null, Status(run.Status).Mark)
            : Status(run.Status)),
        new("Commit", run => Commit(run.Info)),
        new("Results", ResultCount, Numeric: true),
        new("Best accuracy (%)", run => Cell.Of(run.BestTestAccuracy, "F2"), Numeric: true),
        new("Command", run => run.Info.CommandLine),
    ];

    public static TextTable Runs(IReadOnlyList<RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return TextTable.Of("Runs", RunColumns, runs) with { Notes = StatusNotes(runs) };
    }

    /// <summary>What a reader should know about runs whose status is not plain: abandoned, running elsewhere, results missing.</summary>
    public static IReadOnlyList<string> StatusNotes(IEnumerable<RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var notes = new List<string>();
        foreach (var run in runs)
        {
            if (run.StatusNote is { } note)
            {
                notes.Add($"Run {Id(run.Id)} is {run.Status}: {note}.");
            }

            if (run.Progress is { } progress)
            {
                notes.Add($"Run {Id(run.Id)} ({SchedulingText(progress)}): {ProgressText(progress)}.");
            }

            if (run.MissingResults > 0)
            {
                notes.Add($"Run {Id(run.Id)} recorded {run.ResultCount.ToString(CultureInfo.InvariantCulture)} of {run.PlannedResults!.Value.ToString(CultureInfo.InvariantCulture)} results: {run.MissingResults.ToString(CultureInfo.InvariantCulture)} missing.");
            }
        }

        return notes;
    }

    /// <summary>The facts of one run as name/value rows, with what its status means when that is not plain.</summary>
    public static TextTable RunFacts(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        IReadOnlyList<Cell>[] rows =
        [
            ["Run", Id(run.Id)],
            ["Status", run.StatusNote is null ? Status(run.Status) : new Cell($"{run.Status}: {run.StatusNote}", null, Status(run.Status).Mark)],
            ["Results", ResultCount(run)],
            .. run.Progress is { } progress
                ? new IReadOnlyList<Cell>[] { ["Scheduler", SchedulingText(progress)], ["Progress", ProgressText(progress)] }
                : [],
            ["Started (UTC)", Time(run.StartedAt)],
            ["Ended (UTC)", run.EndedAt is { } end ? Time(end) : "-"],
            ["Command", run.Info.CommandLine],
            ["Git commit", run.Info.GitCommit is null ? "unknown" : run.Info.GitCommit + (run.Info.GitDirty == true ? " (uncommitted changes)" : "")],
            ["Machine", run.Info.Machine],
            ["Process", run.Info.RecordedBy is { } process ? $"pid {process.ProcessId.ToString(CultureInfo.InvariantCulture)} on {process.Host}" : "unknown"],
            ["Operating system", run.Info.OperatingSystem],
            [".NET", run.Info.DotnetVersion],
            ["TorchSharp", run.Info.TorchSharpVersion ?? "unknown"],
        ];
        return new TextTable($"Run {Id(run.Id)}", ["Field", "Value"], rows);
    }

    /// <summary>
    /// The columns of <see cref="Results"/>: the results table's (<see cref="ResultTable.Columns"/>), its Status
    /// showing the stored word (kept even when this build does not know it), and the YAML hash.
    /// </summary>
    public static IReadOnlyList<Column<StoredResult>> ResultColumns { get; } =
    [
        .. ResultTable.Columns.Select(column => ReferenceEquals(column, ResultTable.Status)
            ? new Column<StoredResult>(column.Header, stored => stored.Result.CachedFromRun is null ? Status(stored.Status) : new Cell(ResultTable.StatusText(stored.Result, stored.Status), null, CellMark.Note))
            : column.For<StoredResult>(stored => stored.Result)),
        new("YAML", stored => ShortHash(stored.SourceSha256)),
    ];

    /// <summary>
    /// Every result of a run: the results table's columns plus the YAML hash, and which worker recorded each when a
    /// worker did (a queued run); why each failed or diverged one did, under it.
    /// </summary>
    public static TextTable Results(string title, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        IReadOnlyList<Column<StoredResult>> columns = results.Any(r => r.WorkerName is not null)
            ? [.. ResultColumns, new("Worker", stored => stored.WorkerName ?? (stored.Result.CachedFromRun is null ? "-" : "run cache"))]
            : ResultColumns;
        return TextTable.Of(title, columns, results) with { Notes = ResultTable.Notes(results.Select(r => r.Result), markdown: false) };
    }

    /// <summary>
    /// Where a queued run stands, e.g. <c>3/6 done, 2 training, 1 pending · 2 of 4 workers</c>: its tasks (done, failed,
    /// training, whose lease expired, pending) and its workers (live of registered).
    /// </summary>
    public static string ProgressText(RunProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"{progress.Done}/{progress.Tasks} done") };
        void Add(int count, string what)
        {
            if (count > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{count} {what}"));
            }
        }

        Add(progress.Failed, "failed");
        Add(progress.Training, "training");
        Add(progress.Expired, "lease expired (its worker is presumed dead; another takes it)");
        Add(progress.Pending, "pending");
        var workers = progress.Workers == 0
            ? "no worker yet"
            : string.Create(CultureInfo.InvariantCulture, $"{progress.LiveWorkers} of {progress.Workers} worker{(progress.Workers == 1 ? "" : "s")} live");
        return string.Join(", ", parts) + " · " + workers;
    }

    /// <summary>Who runs a queued run's workers: the scheduler, with its job id.</summary>
    private static string SchedulingText(RunProgress progress) =>
        (progress.Scheduler ?? "queued") + (progress.JobId is { } job ? $" job {job}" : "");

    /// <summary>A queued run's workers: name, status (lost when not heard from within the lease), host and pid, when it started and was last heard from, how many results it recorded.</summary>
    public static TextTable Workers(string title, IReadOnlyList<WorkerRecord> workers)
    {
        ArgumentNullException.ThrowIfNull(workers);
        var rows = workers.Select(worker => (IReadOnlyList<Cell>)
        [
            worker.Name,
            new Cell(worker.Status, null, worker.Status is WorkerStatus.Lost or WorkerStatus.Interrupted ? CellMark.Worse : CellMark.None),
            $"pid {worker.Process.ProcessId.ToString(CultureInfo.InvariantCulture)} on {worker.Process.Host}",
            Time(worker.StartedAt),
            Time(worker.HeartbeatAt),
            worker.EndedAt is { } end ? Time(end) : "-",
            new Cell(worker.Results.ToString(CultureInfo.InvariantCulture), worker.Results),
        ]).ToList();
        return new TextTable(title, ["Worker", "Status", "Process", "Started (UTC)", "Last heard (UTC)", "Ended (UTC)", "Results"], rows)
        {
            NumericColumns = new HashSet<int> { 6 },
        };
    }

    /// <summary>
    /// A model's layers (name, type, output shape, parameters) in forward order, with a last row of the total; a
    /// note gives the input shape. A user module whose layers the build did not know shows only the total.
    /// </summary>
    public static TextTable Layers(string title, Models.ModelSummary model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var rows = model.Layers.Select(layer => (IReadOnlyList<Cell>)
        [
            layer.Name,
            layer.Type,
            layer.OutputShape is { } shape ? Shape(shape) : "-",
            new Cell(ResultTable.FormatCount(layer.Parameters), layer.Parameters),
        ]).ToList();
        rows.Add(["Total", model.Architecture, "", model.ParameterCount >= 0 ? new Cell(ResultTable.FormatCount(model.ParameterCount), model.ParameterCount) : "-"]);
        return new TextTable(title, ["Layer", "Type", "Output shape", "Parameters"], rows)
        {
            NumericColumns = new HashSet<int> { 3 },
            Notes = [$"Input: {Shape(model.InputShape)} per example ({model.Kind.ToString().ToLowerInvariant()} model); output shapes leave out the batch dimension."],
        };
    }

    /// <summary>A shape as <c>1x28x28</c>.</summary>
    public static string Shape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 0 ? "scalar" : string.Join('x', shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The title of the per-class accuracy tables.</summary>
    public const string PerClassTitle = "Test accuracy per class (%)";

    /// <summary>
    /// Test accuracy per class (columns, headed by the class names) of each result with a test evaluation (rows): one
    /// table per list of class names, so that a run over datasets with other classes gets a table per dataset (titled
    /// <see cref="PerClassTitle"/> and, with more than one, the datasets). None when no result has a test evaluation.
    /// </summary>
    public static IReadOnlyList<TextTable> PerClassAccuracy(IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var groups = results
            .Where(r => r.Result.Test is not null)
            .GroupBy(r => string.Join('\u001f', ClassHeaders(r.Result)), StringComparer.Ordinal)
            .ToList();
        return [.. groups.Select(group =>
        {
            var members = group.ToList();
            var headers = ClassHeaders(members[0].Result);
            IReadOnlyList<Column<StoredResult>> columns =
            [
                new("Experiment", r => r.Experiment),
                .. headers.Select((header, c) => new Column<StoredResult>(
                    header,
                    r => Cell.Of(c < r.Result.Test!.PerClassAccuracy.Count ? r.Result.Test.PerClassAccuracy[c] : null, "F1"),
                    Numeric: true)),
            ];
            var title = groups.Count == 1
                ? PerClassTitle
                : $"{PerClassTitle}: {string.Join(", ", members.Select(m => m.Result.Dataset).Distinct(StringComparer.Ordinal))}";
            return TextTable.Of(title, columns, members);
        })];
    }

    /// <summary>
    /// The per-class columns' headers of <paramref name="result"/>: its class names (<see cref="ExperimentResult.ClassName"/>)
    /// for each class of its test evaluation; a name that is not unique, or is "Experiment", gets its index in front.
    /// </summary>
    internal static IReadOnlyList<string> ClassHeaders(ExperimentResult result)
    {
        var count = result.Test?.PerClassAccuracy.Count ?? 0;
        var names = Enumerable.Range(0, count).Select(result.ClassName).ToList();
        return [.. names.Select((name, i) =>
            names.Count(n => string.Equals(n, name, StringComparison.Ordinal)) > 1 || name == "Experiment"
                ? $"{i.ToString(CultureInfo.InvariantCulture)} {name}"
                : name)];
    }

    /// <summary>
    /// One result's test evaluation per class, a row per class: its name, accuracy, test examples, and the class it
    /// is most often mistaken for. Any name fits: names are cells, not headers.
    /// </summary>
    public static TextTable ClassDetails(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var test = result.Test;
        var rows = new List<IReadOnlyList<Cell>>();
        for (var c = 0; c < (test?.PerClassAccuracy.Count ?? 0); c++)
        {
            var row = c < test!.ConfusionMatrix.Count ? test.ConfusionMatrix[c] : [];
            var examples = row.Sum();
            var confused = Enumerable.Range(0, row.Count).Where(p => p != c && row[p] > 0).OrderByDescending(p => row[p]).ThenBy(p => p).Select(p => (int?)p).FirstOrDefault();
            rows.Add(
            [
                new Cell(c.ToString(CultureInfo.InvariantCulture), c),
                result.ClassName(c),
                Cell.Of(test.PerClassAccuracy[c], "F1"),
                new Cell(ResultTable.FormatCount(examples), examples),
                confused is { } p ? $"{result.ClassName(p)} ({ResultTable.FormatCount(row[p])})" : "-",
            ]);
        }

        return new TextTable($"{result.Experiment}: test accuracy per class", ["#", "Class", "Accuracy (%)", "Test examples", "Most often taken for"], rows)
        {
            NumericColumns = new HashSet<int> { 0, 2, 3 },
        };
    }

    /// <summary>
    /// One experiment's results over time, oldest first; a row whose YAML file differs from the row before is marked
    /// "changed", and the accuracy change from the row before is shown.
    /// </summary>
    public static TextTable History(string experiment, IReadOnlyList<StoredResult> results, IReadOnlyDictionary<long, RunRecord> runs)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(runs);
        var rows = new List<(StoredResult Stored, StoredResult? Previous)>();
        StoredResult? previous = null;
        foreach (var stored in results)
        {
            rows.Add((stored, previous));
            previous = stored;
        }

        IReadOnlyList<Column<(StoredResult Stored, StoredResult? Previous)>> columns =
        [
            new("Run", r => new Cell(Id(r.Stored.RunId), r.Stored.RunId), Numeric: true),
            new("Started (UTC)", r => Time(runs.GetValueOrDefault(r.Stored.RunId)?.StartedAt ?? r.Stored.RecordedAt)),
            new("Commit", r => runs.GetValueOrDefault(r.Stored.RunId) is { } run ? Commit(run.Info) : "-"),
            new("YAML", r => r.Previous is not null && !string.Equals(r.Previous.SourceSha256, r.Stored.SourceSha256, StringComparison.Ordinal)
                ? new Cell(ShortHash(r.Stored.SourceSha256) + " changed", null, CellMark.Note)
                : ShortHash(r.Stored.SourceSha256)),
            new("Status", r => Status(r.Stored.Status)),
            new("Accuracy (%)", r => Cell.Of(r.Stored.Result.Test?.Accuracy, "F2"), Numeric: true),
            new("Change", r => Cell.Signed(r.Stored.Result.Test?.Accuracy - r.Previous?.Result.Test?.Accuracy, "F2"), Numeric: true),
            new("Loss", r => Cell.Of(r.Stored.Result.Test?.Loss, "F4"), Numeric: true),
            new("Validation (%)", r => Cell.Of(r.Stored.Result.Validation?.Accuracy, "F2"), Numeric: true),
            new("Train (s)", r => Cell.Of(r.Stored.Result.Status == ExperimentStatus.Completed ? r.Stored.Result.TrainSeconds : null, "F2"), Numeric: true),
            new("Changed settings", r => r.Previous is null ? "(first)" : ChangedHyperparameters(r.Previous.Result, r.Stored.Result)),
        ];
        return TextTable.Of($"History of {experiment}", columns, rows) with
        {
            Notes = ["YAML: the first 12 hex digits of the SHA-256 of the experiment's configuration as built (its file and the files it extends, comments and layout aside); 'changed' where it differs from the row before."],
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

    /// <summary>The result of <paramref name="experiment"/> among a run's; throws <see cref="UsageException"/> with the closest name of the run when there is none.</summary>
    public static StoredResult RequireResult(RunRecord run, IReadOnlyList<StoredResult> results, string experiment)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(experiment);
        if (results.FirstOrDefault(r => string.Equals(r.Experiment, experiment, StringComparison.Ordinal)) is { } found)
        {
            return found;
        }

        var names = results.Select(r => r.Experiment).Distinct(StringComparer.Ordinal).ToList();
        var hint = names.Count == 0 ? "it has no results" : Spelling.NameHint.For(experiment, names, "its experiments", null);
        throw new UsageException($"Run {Id(run.Id)} has no result of '{TerminalText.Shorten(experiment)}'; {hint}");
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

    /// <summary>"4", or "1 of 4" when the run planned more than it recorded; "4 (3 cached)" when the run cache reused some.</summary>
    private static Cell ResultCount(RunRecord run) => new(
        (run.MissingResults > 0 ? $"{run.ResultCount.ToString(CultureInfo.InvariantCulture)} of {run.PlannedResults!.Value.ToString(CultureInfo.InvariantCulture)}" : run.ResultCount.ToString(CultureInfo.InvariantCulture))
            + (run.CachedResults > 0 ? $" ({run.CachedResults.ToString(CultureInfo.InvariantCulture)} cached)" : ""),
        run.ResultCount,
        run.MissingResults > 0 ? CellMark.Worse : CellMark.None);

    private static Cell Status(string status) => new(status, null, status switch
    {
        RunStatus.Completed => CellMark.None,
        RunStatus.Running or RunStatus.Interrupted => CellMark.Note,
        _ => CellMark.Worse,
    });
}
