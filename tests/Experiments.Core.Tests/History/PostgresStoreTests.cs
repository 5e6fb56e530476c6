using Experiments.History;
using Npgsql;

namespace Experiments.Core.Tests.History;

/// <summary>What only PostgreSQL has: its schema_version, the migration lock, the pool's size, databases that are not ours.</summary>
public sealed class PostgresStoreTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Database(string connection) => new NpgsqlConnectionStringBuilder(connection).Database!;

    [Fact]
    public void Workers_opening_a_new_database_together_migrate_it_once()
    {
        var connection = server.CreateDatabase();
        var location = StoreLocation.Parse(connection, Path.GetTempPath());
        using var ready = new Barrier(4);
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            try
            {
                ready.SignalAndWait();
                using var store = ResultStore.Open(location, create: true);
                store.StartRun(StoreSamples.Info(), Start);
            }
            catch (Exception exception)
            {
                errors.Add(exception);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.Equal(ResultStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), server.Psql("SELECT string_agg(version::text, ',') FROM schema_version", Database(connection)));
        Assert.Equal("4", server.Psql("SELECT count(*) FROM runs", Database(connection)));
    }

    [Fact]
    public void A_database_with_other_tables_but_no_schema_version_is_refused_and_left_as_it_is()
    {
        var connection = server.CreateDatabase();
        server.Psql("CREATE TABLE runs (id int); INSERT INTO runs VALUES (7);", Database(connection));
        var location = StoreLocation.Parse(connection, Path.GetTempPath());

        var error = Assert.Throws<StoreException>(() => ResultStore.Open(location, create: true));

        Assert.Contains("no schema_version", error.Message, StringComparison.Ordinal);
        Assert.Contains(location.Display, error.Message, StringComparison.Ordinal);
        Assert.Equal("7", server.Psql("SELECT string_agg(id::text, ',') FROM runs", Database(connection)));
        Assert.Equal("", server.Psql("SELECT to_regclass('schema_version')", Database(connection)));
    }

    [Fact]
    public void An_empty_database_is_not_a_store_to_read_and_a_newer_one_is_refused()
    {
        var connection = server.CreateDatabase();
        var location = StoreLocation.Parse(connection, Path.GetTempPath());

        var missing = Assert.Throws<StoreException>(() => ResultStore.Open(location, create: false));
        Assert.Contains("No run history in", missing.Message, StringComparison.Ordinal);
        Assert.Equal("0", server.Psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", Database(connection)));

        ResultStore.Open(location, create: true).Dispose();
        server.Psql($"INSERT INTO schema_version VALUES ({ResultStore.SchemaVersion + 1}, 'later')", Database(connection));
        var newer = Assert.Throws<StoreException>(() => ResultStore.Open(location, create: false));
        Assert.Contains("newer than this build understands", newer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_holds_at_most_two_connections_however_many_threads_use_it()
    {
        var connection = server.CreateDatabase();
        using var store = ResultStore.Open(StoreLocation.Parse(connection, Path.GetTempPath()), create: true);
        var run = store.StartRun(StoreSamples.Info(), Start);
        using var stop = new ManualResetEventSlim();
        var most = 0;
        var threads = Enumerable.Range(0, 6).Select(i => new Thread(() =>
        {
            for (var n = 0; n < 10; n++)
            {
                store.AddResult(run, StoreSamples.Completed($"e{i}-{n}", 90));
                store.Runs();
            }
        })).ToList();
        var watcher = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                most = Math.Max(most, int.Parse(server.Psql($"SELECT count(*) FROM pg_stat_activity WHERE datname = '{Database(connection)}'"), System.Globalization.CultureInfo.InvariantCulture));
            }
        });
        watcher.Start();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        stop.Set();
        watcher.Join();

        Assert.Equal(60, store.ResultsOfRun(run).Count);
        Assert.InRange(most, 1, PostgresBackendSize);
    }

    private const int PostgresBackendSize = 2;

    [Fact]
    public void The_lease_times_are_the_servers_clock()
    {
        var connection = server.CreateDatabase();
        using var store = ResultStore.Open(StoreLocation.Parse(connection, Path.GetTempPath()), create: true);
        var queue = new WorkQueue(store, new WorkQueueOptions { LeaseDuration = TimeSpan.FromSeconds(30) });
        var run = queue.CreateRun("clock", StoreSamples.Info(), ["a"], new RunScheduling(Schedulers.Slurm, 1), Start);
        var lease = queue.ClaimNext(run, queue.RegisterWorker(run, new WorkerInfo("w", ProcessIdentity.Current())))!;

        var serverNow = DateTimeOffset.Parse(server.Psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(lease.ExpiresAt - serverNow, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));
        Assert.Equal("claimed", server.Psql($"SELECT status FROM tasks WHERE id = {lease.TaskId}", Database(connection)));
    }
}
