using System.Globalization;
using System.Text.Json;
using Experiments.Core.Tests.History;
using Experiments.History;
using Experiments.Models;
using Experiments.Reporting;

namespace Experiments.Core.Tests.Reporting;

public sealed class TablesAndExportTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static (RunRecord Run, IReadOnlyList<StoredResult> Results) Recorded(TemporaryDirectory directory)
    {
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info("experiments all --results \"a b\""), Start);
        store.AddResult(run, StoreSamples.Completed("a", 91.5, learningRate: 0.05) with { Model = ModelSummary.Linear(784, 10) }, new ExperimentSource("experiments/a.yaml", "00ff"));
        store.AddResult(run, StoreSamples.Failed("b,\"quoted\"", "line one\nline two"));
        store.FinishRun(run, RunStatus.Failed, Start.AddSeconds(3));
        return (store.Run(run)!, store.ResultsOfRun(run));
    }

    [Fact]
    public void Csv_quotes_commas_quotes_and_line_breaks_and_has_a_column_per_hyperparameter()
    {
        using var directory = new TemporaryDirectory();
        var (run, results) = Recorded(directory);
        var csv = RunExport.Csv(run, results);
        var lines = csv.Split("\r\n");
        var headers = lines[0].Split(',');
        Assert.Equal(["run", "experiment", "dataset", "status", "yaml_sha256"], headers[..5]);
        Assert.Contains("hp.learningRate", headers);
        Assert.Contains("test_accuracy", headers);
        var a = lines[1].Split(',');
        Assert.Equal("0.05", a[Array.IndexOf(headers, "hp.learningRate")]);
        Assert.Equal("91.5", a[Array.IndexOf(headers, "test_accuracy")]);
        Assert.StartsWith("1,\"b,\"\"quoted\"\"\",mnist,failed,", lines[2], StringComparison.Ordinal);
        Assert.Contains("\"line one\nline two\"", csv, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_export_holds_the_run_and_every_result()
    {
        using var directory = new TemporaryDirectory();
        var (run, results) = Recorded(directory);
        using var json = JsonDocument.Parse(RunExport.Json(run, results));
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("run").GetProperty("id").GetInt64());
        Assert.Equal("failed", root.GetProperty("run").GetProperty("status").GetString());
        Assert.True(root.GetProperty("run").GetProperty("gitDirty").GetBoolean());
        Assert.Equal("0.107.0", root.GetProperty("run").GetProperty("torchSharpVersion").GetString());
        Assert.Equal(2, root.GetProperty("run").GetProperty("resultCount").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("run").GetProperty("plannedResults").ValueKind);
        var a = root.GetProperty("results")[0];
        Assert.Equal("a", a.GetProperty("experiment").GetString());
        Assert.Equal("00ff", a.GetProperty("yamlSha256").GetString());
        Assert.Equal(91.5, a.GetProperty("accuracy").GetDouble());
        Assert.Equal(92.5, a.GetProperty("validation").GetProperty("accuracy").GetDouble());
        Assert.Equal(91.5, a.GetProperty("epochs")[1].GetProperty("testAccuracy").GetDouble());
        Assert.Equal("line one\nline two", root.GetProperty("results")[1].GetProperty("error").GetString());
    }

    [Fact]
    public void Markdown_export_has_the_facts_the_results_and_per_class_accuracy_in_the_invariant_culture()
    {
        using var directory = new TemporaryDirectory();
        var (run, results) = Recorded(directory);
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var markdown = RunExport.Markdown(run, results);
            Assert.StartsWith("# Run 1\n", markdown, StringComparison.Ordinal);
            Assert.Contains("- Git commit: 0123456789abcdef0123456789abcdef01234567 (uncommitted changes)", markdown, StringComparison.Ordinal);
            Assert.Contains("| a | mnist | linear 784-10 | 7,850 | sgd | 0.05 | 100 | 2 | none | 91.50 |", markdown, StringComparison.Ordinal);
            Assert.DoesNotContain("7.850", markdown, StringComparison.Ordinal);
            Assert.Contains("| a | 100.0 | - |", markdown, StringComparison.Ordinal);
            Assert.Contains("b,\"quoted\" failed: line one line two", markdown, StringComparison.Ordinal);
            Assert.DoesNotContain("91,50", markdown, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void History_marks_where_the_yaml_changed_and_which_settings_changed()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        foreach (var (sha, rate) in new[] { ("aaaa", 0.001), ("aaaa", 0.001), ("bbbb", 0.01) })
        {
            var run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, StoreSamples.Completed("x", 80 + rate * 100, learningRate: rate), new ExperimentSource("experiments/x.yaml", sha));
        }

        var table = HistoryTables.History("x", store.ResultsOf("x"), store.Runs().ToDictionary(r => r.Id));
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("aaaa", table.Rows[1][3].Text);
        Assert.Equal(CellMark.Note, table.Rows[2][3].Mark);
        Assert.Equal("bbbb changed", table.Rows[2][3].Text);
        Assert.Equal("+0.90", table.Rows[2][6].Text);
        Assert.Equal("learningRate=0.01 (was 0.001)", table.Rows[2][^1].Text);
        Assert.Equal("-", table.Rows[1][^1].Text);

        var error = Assert.Throws<UsageException>(() => HistoryTables.RequireResults(store, "y"));
        Assert.Contains("did you mean 'x'?", error.Message, StringComparison.Ordinal);
    }
}
