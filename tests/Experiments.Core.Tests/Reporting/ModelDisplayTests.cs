using System.Globalization;
using System.Text.Json;
using Experiments.Core.Tests.History;
using Experiments.Data;
using Experiments.Generated;
using Experiments.History;
using Experiments.Models;
using Experiments.Reporting;
using Experiments.Results;
using SkiaSharp;

namespace Experiments.Core.Tests.Reporting;

/// <summary>The model's architecture, parameter count and layers in the tables, latest.json, the report and its pictures; the run cache's keys.</summary>
public sealed class ModelDisplayTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ModelSummary Mlp = new(
        ModelKind.Mlp,
        "mlp 784-1000-10 relu",
        [1, 28, 28],
        [new LayerSummary("fc1", "linear 1000", [1000], 785_000), new LayerSummary("relu1", "relu", [1000], 0), new LayerSummary("fc2", "linear 10", [10], 10_010)],
        795_010);

    [Fact]
    public void The_layer_table_lists_every_layer_and_the_total_with_invariant_thousands_separators()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var table = HistoryTables.Layers("layers", Mlp);
            Assert.Equal(["Layer", "Type", "Output shape", "Parameters"], table.Headers);
            Assert.Equal(
                ["fc1|linear 1000|1000|785,000", "relu1|relu|1000|0", "fc2|linear 10|10|10,010", "Total|mlp 784-1000-10 relu||795,010"],
                table.Rows.Select(r => string.Join('|', r.Select(c => c.Text))));
            Assert.Contains("Input: 1x28x28", Assert.Single(table.Notes), StringComparison.Ordinal);
            Assert.Equal(795_010, table.Rows[^1][3].Number);
            Assert.Contains("| Total | mlp 784-1000-10 relu |  | 795,010 |", table.ToMarkdown(), StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void The_results_table_and_latest_json_carry_the_architecture_the_parameter_count_and_the_cache_marker()
    {
        var trained = StoreSamples.Completed("a", 90) with { Model = Mlp };
        var cached = StoreSamples.Completed("b", 91) with { Model = ModelStateStoreTests.Cnn, CachedFromRun = 4 };
        var unknown = StoreSamples.Completed("c", 92) with { Model = Mlp with { ParameterCount = -1 }, State = ModelStateStoreTests.CnnState() };
        var table = ResultTable.Table([trained, cached, unknown]);
        var model = table.Headers.ToList().IndexOf("Model");
        var parameters = table.Headers.ToList().IndexOf("Params");
        var status = table.Headers.ToList().IndexOf("Status");
        Assert.Equal(("mlp 784-1000-10 relu", "795,010", "completed"), (table.Rows[0][model].Text, table.Rows[0][parameters].Text, table.Rows[0][status].Text));
        Assert.Equal(("conv(2)-relu-fc(3)", "47", "cached (run 4)"), (table.Rows[1][model].Text, table.Rows[1][parameters].Text, table.Rows[1][status].Text));
        Assert.Equal("47", table.Rows[2][parameters].Text); // counted in the state when the summary does not know it

        using var json = JsonDocument.Parse(ResultFiles.ToJson([trained, cached]));
        var (a, b) = (json.RootElement[0], json.RootElement[1]);
        Assert.False(a.GetProperty("cached").GetBoolean());
        Assert.False(a.TryGetProperty("cachedFrom", out _));
        Assert.Equal("mlp 784-1000-10 relu", a.GetProperty("architecture").GetString());
        Assert.Equal(795_010, a.GetProperty("parameterCount").GetInt64());
        Assert.True(b.GetProperty("cached").GetBoolean());
        Assert.Equal(4, b.GetProperty("cachedFrom").GetInt64());

        using var old = JsonDocument.Parse(ResultFiles.ToJson([StoreSamples.Completed("old", 80)]));
        Assert.Equal(JsonValueKind.Null, old.RootElement[0].GetProperty("architecture").ValueKind);
        Assert.Equal(JsonValueKind.Null, old.RootElement[0].GetProperty("parameterCount").ValueKind);
    }

    [Fact]
    public void A_conv_model_gets_its_first_layer_filters_instead_of_weight_templates_and_an_mlp_gets_neither()
    {
        var conv = StoreSamples.Completed("conv", 98) with { Model = ModelStateStoreTests.Cnn, State = ModelStateStoreTests.CnnState() };
        var mlp = StoreSamples.Completed("mlp", 97) with { Model = Mlp };
        var linear = StoreSamples.Completed("linear", 92) with { Model = ModelSummary.Linear(4, 2) };
        var pictures = RunPlots.Draw([conv, mlp, linear]).Where(p => p.Experiment is not null).Select(p => p.RelativePath).ToList();
        Assert.Contains("conv/" + RunPlots.FiltersFile, pictures);
        Assert.DoesNotContain("conv/" + RunPlots.WeightsFile, pictures);
        Assert.DoesNotContain(pictures, p => p.StartsWith("mlp/", StringComparison.Ordinal) && p.EndsWith(RunPlots.WeightsFile, StringComparison.Ordinal));
        Assert.Contains("linear/" + RunPlots.WeightsFile, pictures);

        // Filter 0 is negative, filter 1 positive (values (i - 9) / 8): both colours of the diverging scale show.
        var filters = RunPlots.Draw([conv]).Single(p => p.RelativePath.EndsWith(RunPlots.FiltersFile, StringComparison.Ordinal));
        Assert.Contains("conv1.weight", filters.Title, StringComparison.Ordinal);
        using var bitmap = SKBitmap.Decode(filters.Png);
        var (reddish, bluish) = (0, 0);
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                reddish += c.Red > c.Blue + 60 ? 1 : 0;
                bluish += c.Blue > c.Red + 60 ? 1 : 0;
            }
        }

        Assert.True(reddish > 100 && bluish > 100, $"red {reddish}, blue {bluish}");
    }

    [Fact]
    public void Filters_average_the_input_channels()
    {
        // Two input channels that cancel out: every filter is 0, the picture has no strong colour in its tiles.
        var weight = new StateEntry("conv.weight", [1, 2, 2, 2], [1, -1, 1, -1, -1, 1, -1, 1], IsParameter: true);
        var result = StoreSamples.Completed("x", 1) with { Weights = null, State = new ModelState([weight]) };
        Assert.Same(weight, RunPlots.FirstConvolution(result));
        var withLinearFirst = result with { State = new ModelState([new StateEntry("fc.weight", [2, 2], [1, 2, 3, 4], true), weight]) };
        Assert.Null(RunPlots.FirstConvolution(withLinearFirst));
    }

    [Fact]
    public void The_report_has_a_layer_table_per_experiment()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("mlp", 97) with { Model = Mlp });
        store.AddResult(run, StoreSamples.Completed("conv", 98) with { Model = ModelStateStoreTests.Cnn, State = ModelStateStoreTests.CnnState() });
        var stored = store.ResultsOfRun(run, withWeights: true);
        var pictures = RunPlots.Draw(stored.Select(r => r.Result).ToList());
        var html = HtmlReport.Render(store.Run(run)!, stored, [], pictures);
        Assert.Contains("<table id=\"layers-mlp\">", html, StringComparison.Ordinal);
        Assert.Contains("<td>fc1</td><td>linear 1000</td><td>1000</td><td class=\"num\">785,000</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">795,010</td>", html, StringComparison.Ordinal);
        Assert.Contains("<table id=\"layers-conv\">", html, StringComparison.Ordinal);
        Assert.Contains("conv/" + RunPlots.FiltersFile, html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("layers-conv", StringComparison.Ordinal) < html.IndexOf("conv/" + RunPlots.FiltersFile, StringComparison.Ordinal), "the layers come before the pictures");
    }

    [Fact]
    public void Each_cache_key_changes_with_what_it_stands_for()
    {
        var mnist = RunCacheKey.DatasetKey(DatasetCatalog.Mnist);
        Assert.Equal(mnist, RunCacheKey.DatasetKey(DatasetCatalog.Mnist with { Mirrors = [] })); // where it comes from does not count
        Assert.NotEqual(mnist, RunCacheKey.DatasetKey(DatasetCatalog.FashionMnist));
        Assert.NotEqual(mnist, RunCacheKey.DatasetKey(DatasetCatalog.Mnist with { Sha256 = new Dictionary<string, string>(DatasetCatalog.Mnist.Sha256) { [IdxFileNames.TestLabels] = new string('0', 64) } }));
        Assert.Matches("^[0-9a-f]{64}$", mnist);

        var experiment = new Training.TestExperiment(Training.TestExperiment.BlogRecipe);
        Assert.Null(RunCacheKey.CodeKey(experiment)); // no fingerprint: never cached
        Assert.Null(RunCacheKey.For(experiment, mnist));
        Assert.False(RunCacheKey.IsCacheable(experiment));
        Assert.Contains("core ", RunCacheKey.RuntimeFingerprint, StringComparison.Ordinal);
        Assert.Contains("torchsharp 0.107", RunCacheKey.RuntimeFingerprint, StringComparison.Ordinal);
    }
}
