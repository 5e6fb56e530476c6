using Experiments.Checkpoints;
using Experiments.History;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>
/// A result's checkpoint in the run history (schema 6): its folder and files with their SHA-256s recorded and read
/// back, a failed write's reason kept, a cached result's row repeating the checkpoint, and a schema-5 store migrated.
/// </summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly CheckpointRecord Record = new(
        "1/cnn",
        [new CheckpointFile(CheckpointFiles.Model, new string('a', 64), 248681), new CheckpointFile(CheckpointFiles.Config, new string('b', 64), 5210)]);

    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void The_checkpoint_and_a_failed_writes_reason_are_recorded_and_read_back()
    {
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            var run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, StoreSamples.Completed("cnn", 99) with { Checkpoint = Record });
            store.AddResult(run, StoreSamples.Completed("full-disk", 90) with { CheckpointError = "the checkpoint could not be written into '/r/1/full-disk': No space left on device" });
            store.AddResult(run, StoreSamples.Failed("failed"));
        }

        using var reopened = ResultStore.OpenExisting(directory.Path);
        var results = reopened.ResultsOfRun(1);
        var saved = results[0].Result.Checkpoint!;
        Assert.Equal(Record.Directory, saved.Directory);
        Assert.Equal(Record.Files, saved.Files);
        Assert.Null(results[0].Result.CheckpointError);
        Assert.Null(results[1].Result.Checkpoint);
        Assert.Equal("the checkpoint could not be written into '/r/1/full-disk': No space left on device", results[1].Result.CheckpointError);
        Assert.Null(results[2].Result.Checkpoint);
        Assert.Null(results[2].Result.CheckpointError);
        Assert.Equal(["0", "0", "1"], Column("SELECT checkpoint IS NULL FROM results ORDER BY id"));
    }

    [Fact]
    public void A_cached_results_row_repeats_the_checkpoint_of_the_result_it_reuses()
    {
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var first = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(first, StoreSamples.Completed("cnn", 99) with { Checkpoint = Record });
        var trained = Assert.Single(store.ResultsOfRun(first, withWeights: true));

        var second = store.StartRun(StoreSamples.Info(), Start.AddHours(1));
        store.AddResult(second, trained.Result with { CachedFromRun = first }, cachedFrom: trained);

        var cached = Assert.Single(store.ResultsOfRun(second)).Result;
        Assert.Equal(first, cached.CachedFromRun);
        Assert.Equal(Record.Directory, cached.Checkpoint!.Directory);
        Assert.Equal(Record.Files, cached.Checkpoint.Files);
        Assert.Equal(2, Column("SELECT count(*) FROM results WHERE checkpoint LIKE '%\"directory\":\"1/cnn\"%'").Select(int.Parse).Single());
    }

    [Fact]
    public void A_schema_5_store_migrates_to_6_and_its_rows_have_no_checkpoint()
    {
        using (var connection = Open())
        {
            using var command = connection.CreateCommand();
            command.CommandText = string.Concat(Schema.Migrations.Take(5)) + $$"""
                PRAGMA application_id = {{ResultStore.ApplicationId}};
                PRAGMA user_version = 5;
                INSERT INTO runs (started_at, command_line, machine, operating_system, dotnet_version, status)
                VALUES ('2026-01-01T00:00:00.000Z', 'experiments all', 'old', 'Linux', '.NET 10', 'completed');
                INSERT INTO results (run_id, recorded_at, experiment, dataset, status, hyperparameters, train_seconds, evaluation_seconds, epochs, class_names)
                VALUES (1, '2026-01-01T00:00:01.000Z', 'before-checkpoints', 'mnist', 'completed', '{}', 1, 0.1, '[]', '["0","1"]');
                """;
            command.ExecuteNonQuery();
        }

        using var store = ResultStore.OpenOrCreate(directory.Path);
        Assert.Equal(ResultStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Column("PRAGMA user_version").Single());
        Assert.Contains("checkpoint", Column("SELECT name FROM pragma_table_info('results')"));
        var old = Assert.Single(store.ResultsOf("before-checkpoints")).Result;
        Assert.Null(old.Checkpoint);
        Assert.Null(old.CheckpointError);

        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("after", 95) with { Checkpoint = Record });
        Assert.Equal(Record.Files, Assert.Single(store.ResultsOf("after")).Result.Checkpoint!.Files);
        Assert.Equal("ok", store.IntegrityCheck());
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False");
        connection.Open();
        return connection;
    }

    private List<string> Column(string sql)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return values;
    }
}
