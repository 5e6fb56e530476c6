using Experiments.Core.Tests.History;
using Experiments.History;
using Experiments.Reporting;
using SkiaSharp;

namespace Experiments.Core.Tests.Reporting;

/// <summary>Tables and pictures name the classes as the dataset does ("T-shirt/top"), whatever their length.</summary>
public sealed class ClassNameDisplayTests
{
    private static readonly string[] Fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static ExperimentResult Fashionable(string name, IReadOnlyList<string>? classNames = null)
    {
        var confusion = Enumerable.Range(0, 10).Select(a => (IReadOnlyList<long>)Enumerable.Range(0, 10).Select(p => a == p ? 90L : a == 6 && p == 0 ? 7L : 1L).ToArray()).ToArray();
        return StoreSamples.Completed(name, 85) with
        {
            Dataset = "fashion-mnist",
            ClassNames = classNames ?? Fashion,
            Weights = null,
            Test = StoreSamples.Evaluation(85) with { ConfusionMatrix = confusion, PerClassAccuracy = Enumerable.Range(0, 10).Select(i => 80.0 + i).ToArray() },
        };
    }

    private static StoredResult Stored(ExperimentResult result, long id = 1) => new()
    {
        Id = id,
        RunId = 1,
        RecordedAt = DateTimeOffset.UnixEpoch,
        Status = "completed",
        Result = result,
    };

    [Fact]
    public void The_per_class_table_is_headed_by_the_class_names()
    {
        var table = Assert.Single(HistoryTables.PerClassAccuracy([Stored(Fashionable("a")), Stored(Fashionable("b"), 2)]));

        Assert.Equal(["Experiment", .. Fashion], table.Headers);
        Assert.Equal(HistoryTables.PerClassTitle, table.Title);
        Assert.Equal(["a", "80.0", "81.0"], table.Rows[0].Take(3).Select(c => c.Text));
        Assert.Contains("| Experiment | T-shirt/top | Trouser |", table.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void Results_of_datasets_with_other_classes_get_a_table_each()
    {
        var mnist = StoreSamples.Completed("digits", 90) with { ClassNames = ["zero", "one"] };
        var tables = HistoryTables.PerClassAccuracy([Stored(Fashionable("a")), Stored(mnist, 2), Stored(StoreSamples.Failed("c"), 3)]);

        Assert.Equal(2, tables.Count);
        Assert.Equal($"{HistoryTables.PerClassTitle}: fashion-mnist", tables[0].Title);
        Assert.Equal($"{HistoryTables.PerClassTitle}: mnist", tables[1].Title);
        Assert.Equal(["Experiment", "zero", "one"], tables[1].Headers);
        Assert.Equal("digits", Assert.Single(tables[1].Rows)[0].Text);
    }

    [Fact]
    public void A_name_repeated_or_equal_to_a_header_gets_its_index_and_missing_names_are_indices()
    {
        var odd = StoreSamples.Completed("odd", 90) with { ClassNames = ["Experiment", "Experiment"] };
        Assert.Equal(["Experiment", "0 Experiment", "1 Experiment"], Assert.Single(HistoryTables.PerClassAccuracy([Stored(odd)])).Headers);

        var unnamed = StoreSamples.Completed("unnamed", 90) with { ClassNames = [] };
        Assert.Equal(["Experiment", "0", "1"], Assert.Single(HistoryTables.PerClassAccuracy([Stored(unnamed)])).Headers);
    }

    [Fact]
    public void One_results_class_table_names_each_class_and_what_it_is_taken_for()
    {
        var table = HistoryTables.ClassDetails(Fashionable("a"));

        Assert.Equal(10, table.Rows.Count);
        var shirt = table.Rows[6];
        Assert.Equal(["6", "Shirt", "86.0", "105", "T-shirt/top (7)"], shirt.Select(c => c.Text));
        Assert.Equal("Trouser", table.Rows[1][1].Text);
    }

    [Fact]
    public void The_markdown_export_and_the_html_report_name_the_classes()
    {
        var stored = new[] { Stored(Fashionable("a")) };
        var run = new RunRecord
        {
            Id = 1,
            StartedAt = DateTimeOffset.UnixEpoch,
            Info = StoreSamples.Info(),
            Status = RunStatus.Completed,
        };
        Assert.Contains("| Experiment | T-shirt/top | Trouser | Pullover |", RunExport.Markdown(run, stored), StringComparison.Ordinal);
        Assert.Contains("T-shirt/top", HtmlReport.Render(run, stored, [], []), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("T-shirt/top", "T-shirt/top")]
    [InlineData("a very long class name indeed", "a very long c…")]
    [InlineData("two\nlines", "two lines")]
    [InlineData("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "😀😀😀😀😀😀😀😀😀😀😀😀😀…")]
    public void Long_names_are_cut_on_pictures_without_splitting_a_character(string name, string shown)
    {
        var label = RunPlots.ShortLabel(name, RunPlots.MaxLabelLength);
        Assert.Equal(shown, label);
        Assert.False(label.Any(char.IsSurrogate) && !char.IsSurrogatePair(label, label.IndexOf(label.First(char.IsSurrogate))), "a surrogate pair was split");
    }

    [Fact]
    public void The_confusion_matrix_picture_is_labelled_with_the_class_names()
    {
        static SKBitmap Confusion(ExperimentResult result) =>
            SKBitmap.Decode(RunPlots.Draw([result]).Single(p => p.RelativePath.EndsWith(RunPlots.ConfusionFile, StringComparison.Ordinal)).Png);

        using var named = Confusion(Fashionable("a"));
        using var indexed = Confusion(Fashionable("a", []));
        using var longNames = Confusion(Fashionable("a", [.. Fashion.Select(n => n + " with a much longer name than fits")]));

        Assert.Equal((720, 640), (indexed.Width, indexed.Height));
        // Names longer than a digit turn on their side and the picture grows to hold them, within bounds.
        Assert.True(named.Width > indexed.Width && named.Height > indexed.Height, $"{named.Width}x{named.Height}");
        Assert.InRange(longNames.Width, named.Width, 900);
        Assert.InRange(longNames.Height, named.Height, 800);
    }
}
