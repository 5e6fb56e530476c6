using Experiments.Checkpoints;
using Experiments.History;

namespace Experiments.Core.Tests.History;

/// <summary>What every store does the same, SQLite or PostgreSQL: results round trip whole, runs list, the cache finds.</summary>
public abstract class StoreRoundTripTests : BackendTest
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RunCacheKey Key = new("c0nf", "c0de", "da7a");

    private static readonly CheckpointRecord Checkpoint = new(
        "1/cnn",
        [new CheckpointFile(CheckpointFiles.Model, new string('a', 64), 248681), new CheckpointFile(CheckpointFiles.Config, new string('b', 64), 5210)]);

    [Fact]
    public void Every_column_of_a_result_round_trips()
    {
        var expected = ModelStateStoreTests.WithModel(StoreSamples.Completed("cnn", 91.25, learningRate: 0.05, seed: 42)) with
        {
            ClassNames = ["zero", "one"],
            PreprocessSeconds = 0.125,
            BestEpoch = 2,
            StoppedEarly = true,
            ResumedFromEpoch = 1,
            Checkpoint = Checkpoint,
        };
        long runId;
        long resultId;
        using (var store = Open())
        {
            runId = store.StartRun(StoreSamples.Info(), Start, plannedResults: 3);
            resultId = store.AddResult(runId, expected, new ExperimentSource("experiments/cnn.yaml", "abc123") { CacheKey = Key }, Start.AddSeconds(1));
            store.AddResult(runId, StoreSamples.Failed("b", "data | missing"), recordedAt: Start.AddSeconds(2));
            store.AddResult(runId, StoreSamples.Completed("nan", 50) with { Status = ExperimentStatus.Diverged, DivergenceReason = "NaN loss", PreprocessSeconds = double.NaN }, recordedAt: Start.AddSeconds(3));
            store.FinishRun(runId, RunStatus.Failed, Start.AddSeconds(5));
        }

        using var reopened = ResultStore.Open(Location, create: false);
        var run = Assert.Single(reopened.Runs());
        Assert.Equal((runId, Start, Start.AddSeconds(5), RunStatus.Failed, 3, 3), (run.Id, run.StartedAt, run.EndedAt, run.Status, run.ResultCount, run.PlannedResults));
        Assert.Equal(StoreSamples.Info(), run.Info);
        Assert.Equal(91.25, run.BestTestAccuracy);
        Assert.Null(run.Progress);
        Assert.Equal(run, reopened.Run(runId));
        Assert.Null(reopened.Run(runId + 100));

        var stored = reopened.ResultsOfRun(runId, withWeights: true);
        Assert.Equal(["cnn", "b", "nan"], stored.Select(r => r.Experiment));
        var a = stored[0];
        Assert.Equal((resultId, runId, Start.AddSeconds(1), "completed", "experiments/cnn.yaml", "abc123", Key), (a.Id, a.RunId, a.RecordedAt, a.Status, a.SourceFile, a.SourceSha256, a.CacheKey));
        var r = a.Result;
        Assert.Equal(expected.Hyperparameters.Select(p => (p.Key, ExperimentSettings.Format(p.Value))), r.Hyperparameters.Select(p => (p.Key, ExperimentSettings.Format(p.Value))));
        Assert.Equal(expected.Epochs, r.Epochs);
        Assert.Equal(expected.Test!.ConfusionMatrix, r.Test!.ConfusionMatrix);
        Assert.Equal(expected.Test.PerClassAccuracy, r.Test.PerClassAccuracy);
        Assert.Equal(92.25, r.Validation!.Accuracy);
        Assert.Equal((0.75, 0.01, 0.125, 2, true, 1), (r.TrainSeconds, r.EvaluationSeconds, r.PreprocessSeconds, r.BestEpoch, r.StoppedEarly, r.ResumedFromEpoch));
        Assert.Equal(["zero", "one"], r.ClassNames);
        Assert.Equal(expected.Weights!.Values, r.Weights!.Values);
        Assert.Equal((2, 4), (r.Weights.Rows, r.Weights.Columns));
        Assert.Equal((expected.Model!.Kind, expected.Model.Architecture, expected.Model.ParameterCount), (r.Model!.Kind, r.Model.Architecture, r.Model.ParameterCount));
        Assert.Equal(expected.Model.InputShape, r.Model.InputShape);
        Assert.Equal(expected.Model.Layers, r.Model.Layers.Select(l => l with { OutputShape = l.OutputShape }).ToList(), (x, y) => x.Name == y.Name && x.Type == y.Type && x.Parameters == y.Parameters && (x.OutputShape ?? []).SequenceEqual(y.OutputShape ?? []));
        Assert.Equal(expected.State!.Entries.Select(e => (e.Name, e.IsParameter)), r.State!.Entries.Select(e => (e.Name, e.IsParameter)));
        Assert.Equal(expected.State.Entries.Select(e => e.Shape.ToArray()), r.State.Entries.Select(e => e.Shape.ToArray()));
        Assert.Equal(expected.State.Entries.Select(e => e.Values), r.State.Entries.Select(e => e.Values));
        Assert.Equal(Checkpoint.Directory, r.Checkpoint!.Directory);
        Assert.Equal(Checkpoint.Files, r.Checkpoint.Files);
        Assert.Equal("data | missing", stored[1].Result.Error);
        Assert.Equal((ExperimentStatus.Diverged, "NaN loss"), (stored[2].Result.Status, stored[2].Result.DivergenceReason));
        Assert.True(double.IsNaN(stored[2].Result.PreprocessSeconds));
        Assert.Null(reopened.ResultsOfRun(runId)[0].Result.Weights);
        Assert.Equal(["b", "cnn", "nan"], reopened.ExperimentNames());
        Assert.Equal("ok", reopened.IntegrityCheck());
        Assert.Empty(reopened.SkippedRows);
    }

    [Fact]
    public void The_cache_finds_the_latest_completed_result_with_its_state_and_a_cached_result_shares_it()
    {
        using var store = Open();
        var source = new ExperimentSource("cnn.yaml", Key.Configuration) { CacheKey = Key };
        var first = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(first, ModelStateStoreTests.WithModel(StoreSamples.Completed("cnn", 80)), source);
        var second = store.StartRun(StoreSamples.Info(), Start.AddMinutes(1));
        var trained = store.AddResult(second, ModelStateStoreTests.WithModel(StoreSamples.Completed("cnn", 81)), source);
        store.AddResult(store.StartRun(StoreSamples.Info(), Start.AddMinutes(2)), ModelStateStoreTests.WithModel(StoreSamples.Failed("cnn")), source);

        var hit = store.FindCached(Key).Hit!;
        Assert.Equal(trained, hit.Id);
        Assert.Equal(81, hit.Result.Test!.Accuracy);
        Assert.Equal(5, hit.Result.State!.Entries.Count);
        Assert.Equal(new CacheLookup(null, null), store.FindCached(Key with { Code = "other" }));

        var third = store.StartRun(StoreSamples.Info(), Start.AddMinutes(3));
        var cached = store.AddResult(third, hit.Result with { CachedFromRun = second }, source, cachedFrom: hit);
        var reread = Assert.Single(store.ResultsOfRun(third, withWeights: true));
        Assert.Equal((cached, second, trained), (reread.Id, reread.Result.CachedFromRun, reread.StateResultId));
        Assert.Equal(hit.Result.State.Entries.Select(e => e.Values), reread.Result.State!.Entries.Select(e => e.Values));
        Assert.Equal(1, store.Run(third)!.CachedResults);
        Assert.Equal([80.0, 81, 0, 81], store.ResultsOf("cnn").Select(x => x.Result.Test?.Accuracy ?? 0));
        Assert.Equal(cached, Assert.Single(store.LatestResults()).Id);
    }

    [Fact]
    public void Runs_list_oldest_first_and_one_of_a_gone_process_reads_as_abandoned()
    {
        using var store = Open();
        var gone = store.StartRun(StoreSamples.Info() with { RecordedBy = new ProcessIdentity(Environment.MachineName, int.MaxValue - 1, "linux:not-this-boot:1") }, Start);
        var alive = store.StartRun(StoreSamples.Info() with { RecordedBy = ProcessIdentity.Current() }, Start.AddSeconds(1));
        var done = store.StartRun(StoreSamples.Info(), Start.AddSeconds(2));
        store.FinishRun(done, RunStatus.Completed, Start.AddSeconds(3));

        var runs = store.Runs();
        Assert.Equal([gone, alive, done], runs.Select(r => r.Id));
        Assert.Equal([RunStatus.Abandoned, RunStatus.Running, RunStatus.Completed], runs.Select(r => r.Status));
        Assert.Contains("is gone", runs[0].StatusNote, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_again_migrates_nothing_and_a_missing_store_is_not_created_by_a_reader()
    {
        using (var store = Open())
        {
            store.StartRun(StoreSamples.Info(), Start);
        }

        using (var again = Open())
        {
            Assert.Single(again.Runs());
            Assert.Equal(Location.Display, again.Path);
        }
    }
}

public sealed class SqliteStoreRoundTripTests : StoreRoundTripTests
{
    private readonly SqliteStoreTest store = new();

    protected override StoreLocation Location => store.Location;

    public override void Dispose()
    {
        store.Dispose();
        base.Dispose();
    }
}

public sealed class PostgresStoreRoundTripTests(PostgresServer server) : StoreRoundTripTests, IClassFixture<PostgresServer>
{
    private readonly PostgresStoreTest store = new(server);

    protected override StoreLocation Location => store.Location;
}
