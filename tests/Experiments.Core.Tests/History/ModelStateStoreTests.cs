using Experiments.History;
using Experiments.Models;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>The model summary and full state of a result survive the store; damage to them is a clear warning; the run cache finds what it may reuse.</summary>
public sealed class ModelStateStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RunCacheKey Key = new("c0nf", "c0de", "da7a");

    internal static ModelSummary Cnn { get; } = new(
        ModelKind.Layers,
        "conv(2)-relu-fc(3)",
        [1, 4, 4],
        [
            new LayerSummary("conv1", "conv2d 2 3x3", [2, 2, 2], 20),
            new LayerSummary("relu1", "relu", [2, 2, 2], 0),
            new LayerSummary("fc1", "linear 3", [3], 27),
        ],
        47);

    internal static ModelState CnnState(float scale = 1) => new(
    [
        new StateEntry("conv1.weight", [2, 1, 3, 3], [.. Enumerable.Range(0, 18).Select(i => (i - 9) * 0.125f * scale)], IsParameter: true),
        new StateEntry("conv1.bias", [2], [0.5f, -0.5f], IsParameter: true),
        new StateEntry("fc1.weight", [3, 8], [.. Enumerable.Range(0, 24).Select(i => i * 1e-3f)], IsParameter: true),
        new StateEntry("fc1.bias", [3], [1, 2, 3], IsParameter: true),
        new StateEntry("bn.num_batches_tracked", [], [7], IsParameter: false),
    ]);

    internal static ExperimentResult WithModel(ExperimentResult result) => result with { Model = Cnn, State = CnnState() };

    [Fact]
    public void Summary_and_every_state_entry_read_back_exactly()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, WithModel(StoreSamples.Completed("cnn", 98)), new ExperimentSource("cnn.yaml", "c0nf") { CacheKey = Key });

        var stored = Assert.Single(store.ResultsOfRun(run, withWeights: true));
        Assert.Equal(Key, stored.CacheKey);
        Assert.Equal(Cnn.Architecture, stored.Result.Model!.Architecture);
        Assert.Equal(Cnn.Layers, stored.Result.Model.Layers, (a, b) => a.Name == b.Name && a.Type == b.Type && a.Parameters == b.Parameters && a.OutputShape!.SequenceEqual(b.OutputShape!));
        Assert.Equal([1, 4, 4], stored.Result.Model.InputShape);
        Assert.Equal(47, stored.Result.Model.ParameterCount);
        var expected = CnnState();
        var state = stored.Result.State!;
        Assert.Equal(expected.Entries.Select(e => (e.Name, e.IsParameter, string.Join(",", e.Shape))), state.Entries.Select(e => (e.Name, e.IsParameter, string.Join(",", e.Shape))));
        for (var i = 0; i < expected.Entries.Count; i++)
        {
            Assert.Equal(expected.Entries[i].Values, state.Entries[i].Values);
        }

        Assert.Equal(expected.ParameterCount, state.ParameterCount);

        // Without weights the state is not read (tables do not need megabytes of values), but the summary is.
        var light = Assert.Single(store.ResultsOfRun(run));
        Assert.Null(light.Result.State);
        Assert.Equal(47, light.Result.Model!.ParameterCount);
    }

    [Fact]
    public void The_state_is_little_endian_float32_with_one_row_per_entry()
    {
        using var directory = new TemporaryDirectory();
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            store.AddResult(store.StartRun(StoreSamples.Info(), Start), WithModel(StoreSamples.Completed("cnn", 98)));
        }

        using var connection = Open(directory.Path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, shape, value_count, value_data FROM result_state WHERE result_id = 1 AND position = 1";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(("conv1.bias", "[2]", 2L), (reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        Assert.Equal(new byte[] { 0, 0, 0, 0x3f, 0, 0, 0, 0xbf }, (byte[])reader.GetValue(3)); // 0.5f, -0.5f
    }

    [Theory]
    [InlineData("UPDATE result_state SET value_data = substr(value_data, 1, 7) WHERE result_id = 2 AND position = 0", "state entry 'conv1.weight' cannot be read")]
    [InlineData("UPDATE result_state SET shape = '[2, 1, 3' WHERE result_id = 2 AND position = 0", "state entry 'conv1.weight' cannot be read")]
    [InlineData("DELETE FROM result_state WHERE result_id = 2 AND position = 4", "its state has 4 of 5 entries")]
    [InlineData("DELETE FROM result_state WHERE result_id = 2 AND position = 2", "entry 2 is missing")]
    [InlineData("UPDATE results SET model = '{\"kind\": \"mlp\"' WHERE id = 2", "its model column cannot be read")]
    public void A_damaged_model_or_state_skips_the_row_with_a_warning_naming_it(string damage, string message)
    {
        using var directory = new TemporaryDirectory();
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            var run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, WithModel(StoreSamples.Completed("good", 80)));
            store.AddResult(run, WithModel(StoreSamples.Completed("damaged", 81)), new ExperimentSource(null, null) { CacheKey = Key });
        }

        Execute(directory.Path, damage);
        using var reopened = ResultStore.OpenExisting(directory.Path);
        Assert.Equal(["good"], reopened.ResultsOfRun(1, withWeights: true).Select(r => r.Experiment));
        var warning = Assert.Single(reopened.SkippedRows);
        Assert.Contains("result 2 (run 1, experiment 'damaged')", warning, StringComparison.Ordinal);
        Assert.Contains(message, warning, StringComparison.Ordinal);

        // The run cache does not reuse it, and says why.
        var lookup = reopened.FindCached(Key);
        Assert.Null(lookup.Hit);
        Assert.Contains("result 2 (run 1, experiment 'damaged')", lookup.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_entry_whose_values_do_not_fit_its_shape_is_refused_and_nothing_is_written()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        var bad = StoreSamples.Completed("bad", 80) with { State = new ModelState([new StateEntry("w", [2, 3], [1, 2, 3, 4, 5], IsParameter: true)]) };
        var error = Assert.Throws<StoreException>(() => store.AddResult(run, bad));
        Assert.Contains("state entry 'w' has shape [2, 3] but 5 values", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.ResultsOfRun(run));
        Assert.Equal(0, Count(directory.Path, "SELECT count(*) FROM result_state"));
    }

    [Fact]
    public void The_run_cache_finds_the_latest_completed_result_with_all_three_keys()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var source = new ExperimentSource("a.yaml", Key.Configuration) { CacheKey = Key };

        // One result of an experiment per run (result_key): each in a run of its own.
        store.AddResult(store.StartRun(StoreSamples.Info(), Start), WithModel(StoreSamples.Completed("a", 80)), source);
        store.AddResult(store.StartRun(StoreSamples.Info(), Start), WithModel(StoreSamples.Completed("a", 81)), source);
        store.AddResult(store.StartRun(StoreSamples.Info(), Start), WithModel(StoreSamples.Failed("a")), source);
        store.AddResult(store.StartRun(StoreSamples.Info(), Start), WithModel(StoreSamples.Completed("a", 60)) with { Status = ExperimentStatus.Diverged, DivergenceReason = "NaN" }, source);

        var hit = store.FindCached(Key).Hit!;
        Assert.Equal(2, hit.Id);
        Assert.Equal(81, hit.Result.Test!.Accuracy);
        Assert.Equal(5, hit.Result.State!.Entries.Count);
        Assert.NotNull(hit.Result.Weights);

        // A change of any one key is a miss.
        Assert.Equal(new CacheLookup(null, null), store.FindCached(Key with { Configuration = "other" }));
        Assert.Equal(new CacheLookup(null, null), store.FindCached(Key with { Code = "other" }));
        Assert.Equal(new CacheLookup(null, null), store.FindCached(Key with { Dataset = "other" }));
    }

    [Fact]
    public void Failed_and_diverged_results_are_never_reused()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        var source = new ExperimentSource("a.yaml", Key.Configuration) { CacheKey = Key };
        store.AddResult(run, WithModel(StoreSamples.Failed("a")), source);
        store.AddResult(run, WithModel(StoreSamples.Completed("a", 60)) with { Status = ExperimentStatus.Diverged, DivergenceReason = "NaN" }, source);
        Assert.Equal(new CacheLookup(null, null), store.FindCached(Key));
    }

    [Fact]
    public void A_result_stored_without_its_state_is_no_hit_and_says_so()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("a", 80), new ExperimentSource(null, null) { CacheKey = Key });
        var lookup = store.FindCached(Key);
        Assert.Null(lookup.Hit);
        Assert.Contains("stored without its model state", lookup.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cached_result_shares_the_state_of_the_result_it_reuses_and_reads_as_cached()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var source = new ExperimentSource("a.yaml", Key.Configuration) { CacheKey = Key };
        var first = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(first, WithModel(StoreSamples.Completed("a", 80)), source);
        var second = store.StartRun(StoreSamples.Info(), Start.AddHours(1));
        var hit = store.FindCached(Key).Hit!;
        store.AddResult(second, hit.Result with { CachedFromRun = hit.RunId }, source, cachedFrom: hit);

        // The third run reuses the second's row, which names the first run and shares the first row's state.
        var third = store.StartRun(StoreSamples.Info(), Start.AddHours(2));
        var again = store.FindCached(Key).Hit!;
        Assert.Equal((2L, first, 1L), (again.Id, again.Result.CachedFromRun, again.StateResultId));
        store.AddResult(third, again.Result with { CachedFromRun = again.Result.CachedFromRun ?? again.RunId }, source, cachedFrom: again);

        var stored = Assert.Single(store.ResultsOfRun(third, withWeights: true));
        Assert.Equal(first, stored.Result.CachedFromRun);
        Assert.Equal(CnnState().Entries[0].Values, stored.Result.State!.Entries[0].Values);
        Assert.Equal(1, Count(directory.Path, "SELECT count(DISTINCT result_id) FROM result_state"));
        Assert.Equal("ok", store.IntegrityCheck());
    }

    private static SqliteConnection Open(string directory)
    {
        var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory)};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(string directory, string sql)
    {
        using var connection = Open(directory);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    private static long Count(string directory, string sql)
    {
        using var connection = Open(directory);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
