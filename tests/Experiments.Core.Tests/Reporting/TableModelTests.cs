using Experiments.Core.Tests.History;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;

namespace Experiments.Core.Tests.Reporting;

/// <summary>One table model for every table: no header twice, the results table's columns shared, why a run diverged shown.</summary>
public sealed class TableModelTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory directory = new();
    private readonly ResultStore store;

    public TableModelTests()
    {
        store = ResultStore.OpenOrCreate(directory.Path);
    }

    public void Dispose()
    {
        store.Dispose();
        directory.Dispose();
    }

    private static ExperimentResult Diverged(string name) => StoreSamples.Completed(name, 10) with
    {
        Status = ExperimentStatus.Diverged,
        Test = null,
        DivergenceReason = "training loss NaN at epoch 2",
    };

    private long Record(string status, int? planned, params ExperimentResult[] results)
    {
        var run = store.StartRun(StoreSamples.Info(), Start, planned);
        foreach (var result in results)
        {
            store.AddResult(run, result, new ExperimentSource($"experiments/{result.Experiment}.yaml", "abcdef0123456789"));
        }

        store.FinishRun(run, status, Start.AddSeconds(1));
        return run;
    }

    [Fact]
    public void No_table_has_a_repeated_header()
    {
        var first = Record(RunStatus.Completed, 3, StoreSamples.Completed("a", 80), Diverged("b"), StoreSamples.Failed("c"));
        Record(RunStatus.Completed, 3, StoreSamples.Completed("a", 85), Diverged("b"), StoreSamples.Failed("c"));
        var stored = store.ResultsOfRun(first);
        var run = store.Run(first)!;
        TextTable[] tables =
        [
            ResultTable.Table(stored.Select(r => r.Result).ToList()),
            HistoryTables.Results("Results", stored),
            HistoryTables.Runs(store.Runs()),
            HistoryTables.RunFacts(run),
            .. HistoryTables.PerClassAccuracy(stored),
            HistoryTables.History("a", store.ResultsOf("a"), store.Runs().ToDictionary(r => r.Id)),
            Comparison.Table("each experiment's previous run", Comparison.Compare(store, null, _ => null).Rows),
        ];
        foreach (var table in tables)
        {
            Assert.True(table.Headers.Distinct(StringComparer.Ordinal).Count() == table.Headers.Count, $"{table.Title}: {string.Join(", ", table.Headers)}");
            Assert.All(table.Rows, row => Assert.Equal(table.Headers.Count, row.Count));
        }

        // What show, export --format md and the report print had Status twice.
        Assert.Single(HistoryTables.Results("Results", stored).Headers, h => h == "Status");
        Assert.Single(RunExport.Markdown(run, stored).Split('\n')[0..].Where(l => l.StartsWith("| Experiment | Dataset", StringComparison.Ordinal)).Single().Split(" | "), c => c == "Status");

        // And a table that would repeat one is refused, naming it.
        var error = Assert.Throws<ArgumentException>(() => new TextTable("Twice", ["Status", "Input", "Status"], []));
        Assert.Contains("'Twice' has the column 'Status' 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_has_the_results_tables_columns_in_its_order_with_the_same_cells()
    {
        var run = Record(RunStatus.Completed, null, StoreSamples.Completed("a", 80), Diverged("b"));
        var stored = store.ResultsOfRun(run);
        var live = ResultTable.Table(stored.Select(r => r.Result).ToList());
        var show = HistoryTables.Results("Results", stored);

        Assert.Equal(live.Headers, show.Headers.Where(live.Headers.Contains));
        foreach (var (header, index) in live.Headers.Select((h, i) => (h, i)))
        {
            var showIndex = show.Headers.ToList().IndexOf(header);
            Assert.Equal(live.Rows.Select(r => r[index].Text), show.Rows.Select(r => r[showIndex].Text));
            Assert.Equal(live.NumericColumns.Contains(index), show.NumericColumns.Contains(showIndex));
        }
    }

    [Fact]
    public void Show_and_the_report_say_why_a_result_diverged()
    {
        var run = Record(RunStatus.Completed, null, Diverged("blows-up"));
        var stored = store.ResultsOfRun(run);
        Assert.Contains("blows-up diverged: training loss NaN at epoch 2", HistoryTables.Results("Results", stored).Notes);
        var html = HtmlReport.Render(store.Run(run)!, stored, [], []);
        Assert.Contains("blows-up diverged: training loss NaN at epoch 2", html, StringComparison.Ordinal);
        Assert.Contains("**blows-up** diverged: training loss NaN at epoch 2", ResultFiles.ToMarkdown(stored.Select(r => r.Result).ToList()), StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_show_how_many_of_the_planned_results_were_recorded()
    {
        var run = Record(RunStatus.Failed, 4, StoreSamples.Completed("a", 80));
        var runs = HistoryTables.Runs(store.Runs());
        var column = runs.Headers.ToList().IndexOf("Results");
        Assert.Equal("1 of 4", runs.Rows.Single()[column].Text);
        Assert.Contains(runs.Notes, n => n.Contains("recorded 1 of 4 results: 3 missing", StringComparison.Ordinal));
        Assert.Contains(HistoryTables.RunFacts(store.Run(run)!).Rows, r => r[0].Text == "Results" && r[1].Text == "1 of 4");
    }

    [Theory]
    [InlineData(RunStatus.Interrupted, "baseline")]
    [InlineData(RunStatus.Failed, "latest")]
    [InlineData(RunStatus.Running, "latest")]
    public void Compare_says_when_it_compares_against_an_incomplete_run(string status, string which)
    {
        var baselineStatus = which == "baseline" ? status : RunStatus.Completed;
        var latestStatus = which == "latest" ? status : RunStatus.Completed;
        var baseline = Record(baselineStatus, 1, StoreSamples.Completed("a", 80));
        var latest = Record(latestStatus, 1, StoreSamples.Completed("a", 81));

        var (label, rows) = Comparison.Compare(store, null, _ => null);
        var table = Comparison.Table(label, rows);
        var incomplete = which == "baseline" ? baseline : latest;
        var note = Assert.Single(table.Notes, n => n.StartsWith("Compared against an incomplete run", StringComparison.Ordinal));
        Assert.Contains($"the {which} {(which == "baseline" ? "of a" : "result of a")} is from run {incomplete}, which is {status}", note, StringComparison.Ordinal);
        Assert.Equal(CellMark.Note, table.Rows.Single()[table.Headers.ToList().IndexOf(which == "baseline" ? "Baseline run" : "Run")].Mark);

        // Both complete: no such note.
        store.FinishRun(incomplete, RunStatus.Completed, Start);
        Assert.DoesNotContain(Comparison.Table(label, Comparison.Compare(store, null, _ => null).Rows).Notes, n => n.StartsWith("Compared against an incomplete run", StringComparison.Ordinal));
    }
}
