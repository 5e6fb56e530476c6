using Experiments.Core.Tests.History;
using Experiments.History;
using Experiments.Reporting;

namespace Experiments.Core.Tests.Reporting;

public sealed class ComparisonTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory directory = new();
    private readonly ResultStore store;

    public ComparisonTests()
    {
        store = ResultStore.OpenOrCreate(directory.Path);
    }

    public void Dispose()
    {
        store.Dispose();
        directory.Dispose();
    }

    private long Run(string commit, params (string Name, double Accuracy, string Sha)[] results)
    {
        var run = store.StartRun(StoreSamples.Info() with { GitCommit = commit }, Start);
        foreach (var (name, accuracy, sha) in results)
        {
            store.AddResult(run, StoreSamples.Completed(name, accuracy), new ExperimentSource($"experiments/{name}.yaml", sha));
        }

        store.FinishRun(run, RunStatus.Completed, Start);
        return run;
    }

    private static string? NoGit(string reference) => null;

    [Fact]
    public void Default_baseline_is_each_experiments_previous_result_and_big_changes_are_beyond_the_binomial_band()
    {
        Run("c1", ("a", 80.0, "h1"), ("b", 90.0, "h1"), ("c", 50.0, "h1"));
        Run("c2", ("a", 82.0, "h1"), ("b", 89.9, "h1"));
        Run("c3", ("c", 45.0, "h2"), ("d", 70.0, "h1"));

        var (label, rows) = Comparison.Compare(store, null, NoGit);
        Assert.Equal("each experiment's previous run", label);
        var byName = rows.ToDictionary(r => r.Experiment);
        Assert.Equal(["a", "b", "c", "d"], byName.Keys);

        // a: +2.00 points on 10,000 images each; the binomial band of two such accuracies is about 1.1 points.
        Assert.Equal(Verdict.Better, byName["a"].Verdict);
        Assert.Equal(2.0, byName["a"].AccuracyDelta!.Value, 6);
        Assert.InRange(byName["a"].Noise!.Value, 1.0, 1.2);
        Assert.Equal(1, byName["a"].Baseline!.RunId);
        Assert.False(byName["a"].SourceChanged);

        Assert.Equal(Verdict.WithinNoise, byName["b"].Verdict);
        Assert.Equal(Verdict.Worse, byName["c"].Verdict);
        Assert.True(byName["c"].SourceChanged);
        Assert.Equal(Verdict.New, byName["d"].Verdict);
        Assert.Null(byName["d"].Baseline);
    }

    [Fact]
    public void With_three_repeats_of_the_same_yaml_that_spread_widely_the_band_is_twice_their_standard_deviation()
    {
        Run("c1", ("a", 78.0, "h"));
        Run("c2", ("a", 81.0, "h"));
        Run("c3", ("a", 79.0, "h"));
        Run("c4", ("a", 80.5, "h"));

        var row = Assert.Single(Comparison.Compare(store, null, NoGit).Rows);
        var repeats = new[] { 78.0, 81.0, 79.0, 80.5 };
        var mean = repeats.Average();
        var deviation = Math.Sqrt(repeats.Sum(a => (a - mean) * (a - mean)) / 3);
        Assert.Equal(2 * deviation, row.Noise!.Value, 9);
        Assert.InRange(row.Noise!.Value, 2.7, 2.8); // wider than the binomial band of about 1.1 points
        Assert.Equal(Verdict.WithinNoise, row.Verdict); // +1.50 is inside it, though beyond the binomial band
    }

    [Fact]
    public void Identical_reruns_do_not_shrink_the_band_below_the_binomial_one()
    {
        // Same seed, same code: reruns agree to the last digit, so their standard deviation is 0.
        Run("c1", ("a", 80.0, "h"));
        Run("c2", ("a", 80.0, "h"));
        Run("c3", ("a", 80.0, "h"));
        Run("c4", ("a", 80.0, "h"));
        Assert.InRange(Assert.Single(Comparison.Compare(store, null, NoGit).Rows).Noise!.Value, 1.1, 1.12);

        // Then the same file gives 80.30 (other code, another machine): the spread of five repeats is 2 x 0.134.
        Run("c5", ("a", 80.3, "h"));
        var row = Assert.Single(Comparison.Compare(store, null, NoGit).Rows);
        Assert.InRange(row.Noise!.Value, 1.1, 1.12); // 1.96 * 100 * sqrt(0.803 * 0.197 / 10000 + 0.8 * 0.2 / 10000)
        Assert.Equal(Verdict.WithinNoise, row.Verdict); // +0.30 would be 'better' with a band of 0.27
    }

    [Fact]
    public void Only_completed_results_count_as_repeats()
    {
        foreach (var accuracy in new[] { 95.0, 60.0 })
        {
            // Results that did not complete, but still have a test accuracy: no measure of rerun noise.
            var run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, StoreSamples.Completed("a", accuracy) with { Status = ExperimentStatus.Failed }, new ExperimentSource("experiments/a.yaml", "h"));
        }

        Run("c1", ("a", 70.0, "h"));
        Run("c2", ("a", 73.0, "h"));
        var row = Assert.Single(Comparison.Compare(store, null, NoGit).Rows);
        Assert.Equal(ExperimentStatus.Completed, row.Baseline!.Result.Status);
        Assert.InRange(row.Noise!.Value, 1.2, 1.3); // binomial: two completed results are fewer than three repeats
        Assert.Equal(Verdict.Better, row.Verdict);
    }

    [Fact]
    public void Baseline_can_be_a_run_an_experiment_or_a_git_ref()
    {
        var first = Run("1111111aaaaaaa", ("a", 80.0, "h"), ("b", 70.0, "h"));
        Run("2222222bbbbbbb", ("a", 85.0, "h"), ("b", 75.0, "h"));

        var (runLabel, byRun) = Comparison.Compare(store, first.ToString(System.Globalization.CultureInfo.InvariantCulture), NoGit);
        Assert.Equal("run 1", runLabel);
        Assert.All(byRun, r => Assert.Equal(first, r.Baseline!.RunId));
        Assert.Equal([5.0, 5.0], byRun.Select(r => Math.Round(r.AccuracyDelta!.Value, 6)));

        var (experimentLabel, byExperiment) = Comparison.Compare(store, "b", NoGit);
        Assert.StartsWith("experiment b", experimentLabel, StringComparison.Ordinal);
        Assert.Equal([10.0, 0.0], byExperiment.Select(r => Math.Round(r.AccuracyDelta!.Value, 6)));

        var (gitLabel, byGit) = Comparison.Compare(store, "v1.0", reference => reference == "v1.0" ? "1111111aaaaaaa" : null);
        Assert.Contains("v1.0", gitLabel, StringComparison.Ordinal);
        Assert.All(byGit, r => Assert.Equal(first, r.Baseline!.RunId));

        // A commit prefix that git does not know (e.g. another clone) still matches the recorded commit.
        Assert.All(Comparison.Compare(store, "1111111a", NoGit).Rows, r => Assert.Equal(first, r.Baseline!.RunId));
    }

    [Fact]
    public void Prefixes_say_whether_a_baseline_is_a_run_an_experiment_or_a_git_ref()
    {
        var first = Run("1234567abcdef", ("a", 80.0, "h"), ("1", 70.0, "h"));
        Run("2222222bbbbbbb", ("a", 85.0, "h"), ("1", 75.0, "h"));

        // An all-digit commit prefix reads as a run id; git: says it is a commit.
        Assert.Contains("there is no run 1234567", Assert.Throws<UsageException>(() => Comparison.Compare(store, "1234567", NoGit)).Message, StringComparison.Ordinal);
        Assert.All(Comparison.Compare(store, "git:1234567", NoGit).Rows, r => Assert.Equal(first, r.Baseline!.RunId));

        Assert.Equal("run 1", Comparison.Compare(store, "run:1", NoGit).BaselineLabel);
        Assert.Equal("run 1", Comparison.Compare(store, "1", NoGit).BaselineLabel);
        Assert.StartsWith("experiment 1 ", Comparison.Compare(store, "experiment:1", NoGit).BaselineLabel, StringComparison.Ordinal);

        Assert.Contains("is not a run id", Assert.Throws<UsageException>(() => Comparison.Compare(store, "run:main", NoGit)).Message, StringComparison.Ordinal);
        Assert.Contains("no results of an experiment 'b'", Assert.Throws<UsageException>(() => Comparison.Compare(store, "experiment:b", NoGit)).Message, StringComparison.Ordinal);
        Assert.Contains("'7777777' is not a git ref", Assert.Throws<UsageException>(() => Comparison.Compare(store, "git:7777777", NoGit)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7", "there is no run 7")]
    [InlineData("nothing-like-it", "is not a run id, an experiment in the run history, or a git ref")]
    [InlineData(" ", "--baseline needs a run id")]
    public void A_baseline_that_names_nothing_is_an_error_that_says_so(string baseline, string expected)
    {
        Run("c1", ("a", 80.0, "h"));
        var error = Assert.Throws<UsageException>(() => Comparison.Compare(store, baseline, NoGit));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_git_ref_without_recorded_runs_is_an_error_naming_the_commit()
    {
        Run("c1", ("a", 80.0, "h"));
        var error = Assert.Throws<UsageException>(() => Comparison.Compare(store, "main", _ => "feedfacefeedface"));
        Assert.Contains("feedfacefe", error.Message, StringComparison.Ordinal);
        Assert.Contains("no recorded run", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_result_is_not_comparable_and_an_empty_store_is_an_error()
    {
        Assert.Throws<StoreException>(() => Comparison.Compare(store, null, NoGit));
        Run("c1", ("a", 80.0, "h"));
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Failed("a"));
        var row = Assert.Single(Comparison.Compare(store, null, NoGit).Rows);
        Assert.Equal(Verdict.NotComparable, row.Verdict);
        Assert.Contains("not comparable (failed vs completed)", Comparison.Table("x", [row]).ToCsv(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_column_says_when_the_architecture_changed_or_the_result_was_cached()
    {
        var first = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(first, StoreSamples.Completed("a", 80) with { Model = Experiments.Models.ModelSummary.Linear(784, 10) });
        store.AddResult(first, StoreSamples.Completed("b", 80) with { Model = Experiments.Models.ModelSummary.Linear(784, 10) });
        var second = store.StartRun(StoreSamples.Info(), Start.AddHours(1));
        store.AddResult(second, StoreSamples.Completed("a", 90) with { Model = Experiments.Models.ModelSummary.Linear(784, 10) with { Architecture = "mlp 784-100-10 relu" } });
        store.AddResult(second, StoreSamples.Completed("b", 80) with { Model = Experiments.Models.ModelSummary.Linear(784, 10), CachedFromRun = first });
        var (label, rows) = Comparison.Compare(store, null, NoGit);
        var table = Comparison.Table(label, rows);
        var model = table.Headers.ToList().IndexOf("Model");
        Assert.Equal(("mlp 784-100-10 relu (was linear 784-10)", CellMark.Note), (table.Rows[0][model].Text, table.Rows[0][model].Mark));
        Assert.Equal("linear 784-10 (cached from run 1)", table.Rows[1][model].Text);
    }

    [Fact]
    public void The_table_marks_changes_beyond_noise_in_every_format()
    {
        Run("c1", ("a", 80.0, "h"), ("b", 90.0, "h"));
        Run("c2", ("a", 84.0, "h2"), ("b", 86.0, "h"));
        var (label, rows) = Comparison.Compare(store, null, NoGit);
        var table = Comparison.Table(label, rows);

        var markdown = table.ToMarkdown();
        Assert.Contains("| a | 1 | 80.00 | 2 | 84.00 | **+4.00** |", markdown, StringComparison.Ordinal);
        Assert.Contains("**-4.00**", markdown, StringComparison.Ordinal);
        Assert.Contains("| changed | - | **better** |", markdown, StringComparison.Ordinal); // no model summary stored: "-"

        using var json = System.Text.Json.JsonDocument.Parse(table.ToJson());
        var a = json.RootElement[0];
        Assert.Equal(4.0, a.GetProperty("Change").GetDouble(), 6);
        Assert.Equal("better", a.GetProperty("Change mark").GetString());
        Assert.Equal("worse", json.RootElement[1].GetProperty("Verdict").GetString());

        var csv = table.ToCsv().Split("\r\n");
        Assert.Equal("Experiment,Baseline run,Baseline (%),Run,Accuracy (%),Change,Noise ±,Loss change,YAML,Model,Verdict", csv[0]);
        Assert.StartsWith("a,1,80.00,2,84.00,+4.00,", csv[1], StringComparison.Ordinal);
    }
}
