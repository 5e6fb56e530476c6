using System.Text.Json;
using Experiments.Generated;
using Experiments.History;

namespace Experiments.Runner.Tests;

/// <summary>What every orderly stop of <c>all</c> (a signal, a closed terminal, a timeout) must leave behind.</summary>
internal static class StoppedRun
{
    /// <summary>The run was recorded as interrupted with its finished results, and latest.json holds exactly those.</summary>
    public static void AssertRecordedInOrder(string results)
    {
        using var store = ResultStore.OpenExisting(results);
        Assert.Equal("ok", store.IntegrityCheck());
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Interrupted, run.Status);
        Assert.NotNull(run.EndedAt);
        var recorded = store.ResultsOfRun(run.Id);
        Assert.InRange(recorded.Count, 1, ExperimentCatalog.All.Count - 1);
        Assert.Equal(ExperimentCatalog.All[0].Name, recorded[0].Experiment);
        Assert.All(recorded, r => Assert.Equal("completed", r.Status));

        using var latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results, "latest.json")));
        Assert.Equal(recorded.Select(r => r.Experiment), latest.RootElement.EnumerateArray().Select(r => r.GetProperty("experiment").GetString()));
        Assert.True(File.Exists(Path.Combine(results, "latest.md")));
        Assert.Empty(Directory.GetFiles(results, "*.tmp-*"));
    }
}
