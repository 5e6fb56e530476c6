using Experiments.History;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>Schema 8's result_key: recording a result of an experiment again in the same run records nothing new.</summary>
public sealed class IdempotentResultTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_result_recorded_twice_in_a_run_is_one_row_and_the_first_wins()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        var other = store.StartRun(StoreSamples.Info(), Start);

        var first = store.AddResult(run, StoreSamples.Completed("a", 80));
        var again = store.AddResult(run, StoreSamples.Completed("a", 99));
        var elsewhere = store.AddResult(other, StoreSamples.Completed("a", 70));

        Assert.Equal(first, again);
        Assert.NotEqual(first, elsewhere);
        var stored = Assert.Single(store.ResultsOfRun(run));
        Assert.Equal(80, stored.Result.Test!.Accuracy);
        Assert.Null(stored.WorkerName);
        Assert.Equal(1, Assert.Single(store.Runs(), r => r.Id == run).ResultCount);

        using var connection = new SqliteConnection($"Data Source={store.Location.Target};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT result_key FROM results ORDER BY id";
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        Assert.Equal([$"{run}/a", $"{other}/a"], keys);
    }

    [Fact]
    public void A_store_at_version_7_gains_the_queue_tables_and_keeps_its_rows()
    {
        using var directory = new TemporaryDirectory();
        long run;
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, StoreSamples.Completed("a", 80));
        }

        // Back to what version 7 had: no queue tables, no keys (rows written before schema 8 have none).
        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP TABLE tasks; DROP TABLE workers; DROP INDEX runs_by_key; DROP INDEX results_by_key;
                ALTER TABLE runs DROP COLUMN run_key; ALTER TABLE runs DROP COLUMN scheduler; ALTER TABLE runs DROP COLUMN job_id; ALTER TABLE runs DROP COLUMN lease_seconds;
                ALTER TABLE results DROP COLUMN result_key; ALTER TABLE results DROP COLUMN worker_id;
                PRAGMA user_version = 7;
                """;
            command.ExecuteNonQuery();
        }

        using var reopened = ResultStore.OpenOrCreate(directory.Path);
        Assert.Equal(80, Assert.Single(reopened.ResultsOfRun(run)).Result.Test!.Accuracy);
        var queue = new WorkQueue(reopened);
        var queued = queue.CreateRun("k", StoreSamples.Info(), ["x"], new RunScheduling(Schedulers.Local, 1), Start);
        Assert.Equal("x", Assert.Single(queue.Tasks(queued)).Experiment);
    }
}
