using System.Collections.Concurrent;
using Experiments.History;
using Npgsql;

namespace Experiments.Core.Tests.History;

/// <summary>A PostgreSQL server that goes away: briefly (a restart) loses and duplicates nothing; for good, a clear error after RetryFor.</summary>
public sealed class StoreRetryTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Restarts_between_and_during_writes_lose_nothing_and_duplicate_nothing()
    {
        var connection = server.CreateDatabase();
        var log = new ConcurrentQueue<string>();
        var location = StoreLocation.Parse(connection, Path.GetTempPath());
        using var store = ResultStore.Open(location, create: true, new StoreOptions { RetryFor = TimeSpan.FromMinutes(1), Log = log.Enqueue });
        var queue = new WorkQueue(store);
        var names = Enumerable.Range(0, 24).Select(i => $"e{i:00}").ToArray();
        var run = queue.CreateRun("restarts", StoreSamples.Info(), names, new RunScheduling(Schedulers.Slurm, 1), Start);
        var worker = queue.RegisterWorker(run, new WorkerInfo("w", ProcessIdentity.Current()));
        var plain = store.StartRun(StoreSamples.Info(), Start);
        Thread? restarting = null;
        var completed = 0;
        while (queue.ClaimNext(run, worker) is { } lease)
        {
            queue.Complete(lease, StoreSamples.Completed(lease.Experiment, 90), new ExperimentSource("e.yaml", null));
            store.AddResult(plain, StoreSamples.Completed(lease.Experiment, 80));
            completed++;
            if (completed == 6)
            {
                server.Restart(); // between two writes: every pooled connection is gone
            }

            if (completed == 12)
            {
                restarting = new Thread(server.Restart); // while the next writes run
                restarting.Start();
            }
        }

        restarting!.Join();
        Assert.Equal(24, completed);
        Assert.Equal(names, store.ResultsOfRun(run).Select(r => r.Experiment));
        Assert.Equal(names, store.ResultsOfRun(plain).Select(r => r.Experiment));
        Assert.Equal(RunStatus.Completed, store.Run(run)!.Status);
        var database = new NpgsqlConnectionStringBuilder(connection).Database!;
        Assert.Equal("48", server.Psql("SELECT count(*) FROM results", database));
        Assert.NotEmpty(log);
        Assert.All(log, line => Assert.Contains(location.Display, line, StringComparison.Ordinal));
    }

    [Fact]
    public void A_server_gone_for_good_is_a_store_exception_naming_it_without_its_password_after_retry_for()
    {
        using var own = PostgresServer.StartOwn();
        var connection = own.CreateDatabase() + ";Password=hunter2";
        var log = new ConcurrentQueue<string>();
        var location = StoreLocation.Parse(connection, Path.GetTempPath());
        using var store = ResultStore.Open(location, create: true, new StoreOptions { RetryFor = TimeSpan.FromSeconds(2), Log = log.Enqueue });
        var run = store.StartRun(StoreSamples.Info(), Start);

        own.Stop();
        var error = Assert.Throws<StoreException>(() => store.AddResult(run, StoreSamples.Completed("a", 90)));

        Assert.Contains(location.Display, error.Message, StringComparison.Ordinal);
        Assert.Contains("could not record the result of 'a'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(log);
        Assert.All(log, line => Assert.DoesNotContain("hunter2", line, StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", location.Display, StringComparison.Ordinal);
    }
}
