using Experiments.History;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

public sealed class ResultStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_run_and_its_results_round_trip_through_the_store()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("nested", "results");
        long runId;
        using (var store = ResultStore.OpenOrCreate(results))
        {
            runId = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(runId, StoreSamples.Completed("a", 91.25, learningRate: 0.05, seed: 42), new ExperimentSource("experiments/a.yaml", "abc123"));
            store.AddResult(runId, StoreSamples.Failed("b", "data | missing"));
            store.FinishRun(runId, RunStatus.Failed, Start.AddSeconds(5));
        }

        using var reopened = ResultStore.OpenExisting(results);
        var run = Assert.Single(reopened.Runs());
        Assert.Equal(runId, run.Id);
        Assert.Equal(Start, run.StartedAt);
        Assert.Equal(Start.AddSeconds(5), run.EndedAt);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(2, run.ResultCount);
        Assert.Equal(StoreSamples.Info(), run.Info);

        Assert.Null(reopened.ResultsOfRun(runId)[0].Result.Weights); // only read when asked for
        var stored = reopened.ResultsOfRun(runId, withWeights: true);
        Assert.Equal(["a", "b"], stored.Select(r => r.Experiment));
        var a = stored[0];
        Assert.Equal("completed", a.Status);
        Assert.Equal("experiments/a.yaml", a.SourceFile);
        Assert.Equal("abc123", a.SourceSha256);
        var expected = StoreSamples.Completed("a", 91.25, learningRate: 0.05, seed: 42);
        Assert.Equal(expected.Hyperparameters.Select(p => (p.Key, ExperimentSettings.Format(p.Value))), a.Result.Hyperparameters.Select(p => (p.Key, ExperimentSettings.Format(p.Value))));
        Assert.Equal(0.05, Assert.IsType<double>(a.Result.Hyperparameters.Single(p => p.Key == "learningRate").Value));
        Assert.Equal(expected.Epochs, a.Result.Epochs);
        Assert.True(double.IsNaN(a.Result.Epochs[1].TrainLoss));
        Assert.Equal(91.25, a.Result.Test!.Accuracy);
        Assert.Equal(92.25, a.Result.Validation!.Accuracy);
        Assert.Equal(expected.Test!.ConfusionMatrix, a.Result.Test.ConfusionMatrix);
        Assert.Equal(expected.Test.PerClassAccuracy, a.Result.Test.PerClassAccuracy);
        Assert.Equal(0.75, a.Result.TrainSeconds);
        Assert.Equal(expected.Weights!.Values, a.Result.Weights!.Values);
        Assert.Equal((2, 4), (a.Result.Weights.Rows, a.Result.Weights.Columns));

        var b = stored[1];
        Assert.Equal(ExperimentStatus.Failed, b.Result.Status);
        Assert.Equal("data | missing", b.Result.Error);
        Assert.Null(b.Result.Test);
        Assert.Null(b.Result.Weights);
        Assert.Equal("ok", reopened.IntegrityCheck());
    }

    [Fact]
    public void The_store_is_in_wal_mode_with_the_current_schema_version_and_its_application_id()
    {
        using var directory = new TemporaryDirectory();
        using (ResultStore.OpenOrCreate(directory.Path))
        {
        }

        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False");
        connection.Open();
        Assert.Equal("wal", Pragma(connection, "journal_mode"));
        Assert.Equal(ResultStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Pragma(connection, "user_version"));
        Assert.Equal(ResultStore.ApplicationId.ToString(System.Globalization.CultureInfo.InvariantCulture), Pragma(connection, "application_id"));
    }

    [Fact]
    public void A_status_word_this_build_does_not_know_is_kept_and_read_as_not_completed()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("a", 50));
        using (var connection = new SqliteConnection($"Data Source={store.Path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE results SET status = 'exploded'";
            command.ExecuteNonQuery();
        }

        var result = Assert.Single(store.ResultsOfRun(run));
        Assert.Equal("exploded", result.Status);
        Assert.NotEqual(ExperimentStatus.Completed, result.Result.Status);
    }

    [Fact]
    public void Latest_results_and_history_follow_the_order_of_recording()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var first = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(first, StoreSamples.Completed("a", 80));
        store.AddResult(first, StoreSamples.Completed("b", 70));
        var second = store.StartRun(StoreSamples.Info(), Start.AddHours(1));
        store.AddResult(second, StoreSamples.Completed("a", 85));

        Assert.Equal([("a", 85.0), ("b", 70.0)], store.LatestResults().Select(r => (r.Experiment, r.Result.Test!.Accuracy)));
        Assert.Equal([80.0, 85.0], store.ResultsOf("a").Select(r => r.Result.Test!.Accuracy));
        Assert.Equal(["a", "b"], store.ExperimentNames());
        Assert.Equal([first, second], store.Runs().Select(r => r.Id));
        Assert.Null(store.Run(99));
    }

    [Fact]
    public void A_store_of_an_older_schema_is_migrated_and_keeps_its_rows()
    {
        using var directory = new TemporaryDirectory();
        var path = ResultStore.PathIn(directory.Path);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Schema.Migrations[0] + $$"""
                PRAGMA application_id = {{ResultStore.ApplicationId}};
                PRAGMA user_version = 1;
                INSERT INTO runs (started_at, command_line, machine, operating_system, dotnet_version, status)
                VALUES ('2026-01-01T00:00:00.000Z', 'experiments all', 'old', 'Linux', '.NET 10', 'completed');
                INSERT INTO results (run_id, recorded_at, experiment, dataset, status, hyperparameters, train_seconds, evaluation_seconds, epochs, test_accuracy)
                VALUES (1, '2026-01-01T00:00:01.000Z', 'old-one', 'mnist', 'completed', '{"learningRate":0.1}', 1, 0.1, '[]', 88.5);
                """;
            command.ExecuteNonQuery();
        }

        using var store = ResultStore.OpenOrCreate(directory.Path);
        var old = Assert.Single(store.ResultsOf("old-one"));
        Assert.Null(old.Result.Weights);
        Assert.Equal("old", Assert.Single(store.Runs()).Info.Machine);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("new-one", 90));
        Assert.NotNull(Assert.Single(store.ResultsOfRun(run, withWeights: true)).Result.Weights);
    }

    [Fact]
    public void A_store_from_a_newer_schema_is_refused_and_left_byte_for_byte()
    {
        using var directory = new TemporaryDirectory();
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            store.StartRun(StoreSamples.Info(), Start);
        }

        var path = ResultStore.PathIn(directory.Path);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {ResultStore.SchemaVersion + 5}; PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }

        var before = Snapshot(directory.Path);
        var error = Assert.Throws<StoreException>(() => ResultStore.OpenOrCreate(directory.Path));
        Assert.Contains($"schema version {ResultStore.SchemaVersion + 5}, newer than this build understands ({ResultStore.SchemaVersion})", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Throws<StoreException>(() => ResultStore.OpenExisting(directory.Path));
        Assert.Equal(before, Snapshot(directory.Path));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("damaged-pages")]
    [InlineData("truncated")]
    public void A_corrupt_store_is_refused_with_its_path_and_never_changed(string damage)
    {
        using var directory = new TemporaryDirectory();
        var path = ResultStore.PathIn(directory.Path);
        if (damage == "text")
        {
            File.WriteAllText(path, "these are my notes, not a database\n");
        }
        else
        {
            using (var store = ResultStore.OpenOrCreate(directory.Path))
            {
                var run = store.StartRun(StoreSamples.Info(), Start);
                for (var i = 0; i < 20; i++)
                {
                    store.AddResult(run, StoreSamples.Completed("e" + i, 50 + i));
                }
            }

            var bytes = File.ReadAllBytes(path);
            Assert.True(bytes.Length > 8192, $"the store is {bytes.Length} bytes");
            if (damage == "truncated")
            {
                bytes = bytes[..(bytes.Length / 2 + 100)];
            }
            else
            {
                // Overwrite the second page onwards (the schema's tables), keeping the valid header.
                for (var i = 4096; i < bytes.Length; i += 7)
                {
                    bytes[i] = 0xA5;
                }
            }

            File.WriteAllBytes(path, bytes);
        }

        var before = Snapshot(directory.Path);
        var error = Assert.Throws<StoreException>(() => ResultStore.OpenOrCreate(directory.Path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("left as it is", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(directory.Path));
    }

    [Fact]
    public void A_foreign_sqlite_database_is_not_taken_for_a_store()
    {
        using var directory = new TemporaryDirectory();
        var path = ResultStore.PathIn(directory.Path);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat');";
            command.ExecuteNonQuery();
        }

        var before = Snapshot(directory.Path);
        var error = Assert.Throws<StoreException>(() => ResultStore.OpenOrCreate(directory.Path));
        Assert.Contains("not a run history of this framework", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(directory.Path));
    }

    [Fact]
    public void Reading_a_missing_store_says_how_to_make_one_and_creates_nothing()
    {
        using var directory = new TemporaryDirectory();
        var error = Assert.Throws<StoreException>(() => ResultStore.OpenExisting(directory.Path));
        Assert.Contains("No run history at", error.Message, StringComparison.Ordinal);
        Assert.Contains("'all' or 'run'", error.Message, StringComparison.Ordinal);
        Assert.Empty(directory.Files());
    }

    [Fact]
    public void A_write_protected_results_directory_gives_a_clear_error_and_keeps_the_store()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("results");
        using (var store = ResultStore.OpenOrCreate(results))
        {
            store.AddResult(store.StartRun(StoreSamples.Info(), Start), StoreSamples.Completed("kept", 75));
        }

        var before = Snapshot(results);
        WriteProtection.Run(results, () =>
        {
            var error = Assert.Throws<StoreException>(() =>
            {
                using var store = ResultStore.OpenOrCreate(results);
                store.StartRun(StoreSamples.Info(), Start);
            });
            Assert.Contains(results, error.Message, StringComparison.Ordinal);
            Assert.Equal(before, Snapshot(results));
        });

        using var reopened = ResultStore.OpenExisting(results);
        Assert.Equal("kept", Assert.Single(reopened.LatestResults()).Experiment);
    }

    [Fact]
    public void A_store_in_a_write_protected_folder_can_still_be_read_but_not_written()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("results with space");
        using (var store = ResultStore.OpenOrCreate(results))
        {
            store.AddResult(store.StartRun(StoreSamples.Info(), Start), StoreSamples.Completed("kept", 75));
        }

        var before = Snapshot(results);
        WriteProtection.Run(results, () =>
        {
            using var readOnly = ResultStore.OpenExisting(results);
            Assert.Null(readOnly.Warning);
            Assert.Equal("kept", Assert.Single(readOnly.LatestResults()).Experiment);
            Assert.Single(readOnly.Runs());
            var error = Assert.Throws<StoreException>(() => readOnly.StartRun(StoreSamples.Info(), Start));
            Assert.Contains(results, error.Message, StringComparison.Ordinal);
            Assert.Equal(before, Snapshot(results));
        });
    }

    [Fact]
    public void Threads_with_their_own_connections_writing_at_once_lose_nothing()
    {
        using var directory = new TemporaryDirectory();
        const int Writers = 4;
        const int PerWriter = 25;
        Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, writer =>
        {
            using var store = ResultStore.OpenOrCreate(directory.Path);
            var run = store.StartRun(StoreSamples.Info($"writer {writer}"), Start);
            for (var i = 0; i < PerWriter; i++)
            {
                store.AddResult(run, StoreSamples.Completed($"w{writer}-{i}", i));
            }

            store.FinishRun(run, RunStatus.Completed, Start);
        });

        using var reopened = ResultStore.OpenExisting(directory.Path);
        Assert.Equal(Writers, reopened.Runs().Count);
        Assert.All(reopened.Runs(), r => Assert.Equal(PerWriter, r.ResultCount));
        Assert.Equal(Writers * PerWriter, reopened.ExperimentNames().Count);
        Assert.Equal("ok", reopened.IntegrityCheck());
    }

    [Fact]
    public void Four_openers_creating_a_new_store_at_once_all_get_it()
    {
        // Each opener has its own connection, as separate processes do; a barrier lines them up so that their first
        // looks at the new, empty file and the migration of whichever is first overlap.
        const int Iterations = 20;
        const int Openers = 4;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            using var directory = new TemporaryDirectory();
            using var barrier = new Barrier(Openers);
            var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable.Range(0, Openers).Select(_ => new Thread(() =>
            {
                try
                {
                    barrier.SignalAndWait();
                    using var store = ResultStore.OpenOrCreate(directory.Path);
                }
                catch (Exception exception)
                {
                    failures.Add(exception);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());

            Assert.True(failures.IsEmpty, $"iteration {iteration}: " + string.Join("\n", failures.Select(f => f.Message)));
            using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False");
            connection.Open();
            Assert.Equal(ResultStore.ApplicationId.ToString(System.Globalization.CultureInfo.InvariantCulture), Pragma(connection, "application_id"));
            Assert.Equal(ResultStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Pragma(connection, "user_version"));
        }
    }

    /// <summary>
    /// A store as a crash leaves it: the last transaction (here one that sets <c>user_version</c> to
    /// <paramref name="version"/>) is only in the write-ahead log, which no one copied into the database yet.
    /// </summary>
    private static void CrashedStoreWithPendingWal(string source, string target, int version)
    {
        using (var store = ResultStore.OpenOrCreate(source))
        {
            store.AddResult(store.StartRun(StoreSamples.Info(), Start), StoreSamples.Completed("kept", 75));
        }

        Directory.CreateDirectory(target);
        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(source)};Pooling=False");
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = $"PRAGMA wal_autocheckpoint = 0; PRAGMA user_version = {version};";
            command.ExecuteNonQuery();
        }

        foreach (var suffix in new[] { "", "-wal" })
        {
            File.Copy(ResultStore.PathIn(source) + suffix, ResultStore.PathIn(target) + suffix);
        }

        Assert.True(new FileInfo(ResultStore.PathIn(target) + "-wal").Length > 0);
    }

    [Fact]
    public void A_refused_store_with_a_pending_write_ahead_log_is_not_checkpointed()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("results");
        CrashedStoreWithPendingWal(directory.Combine("source"), results, ResultStore.SchemaVersion + 1);

        // The newer version is only in the log: a read-write connection would see it, refuse the store, and then,
        // as the last connection to close, copy the log into the database and delete it.
        var before = Snapshot(results);
        var error = Assert.Throws<StoreException>(() => ResultStore.OpenOrCreate(results));
        Assert.Contains("newer than this build understands", error.Message, StringComparison.Ordinal);

        // SQLite may add the log's index (-shm), which holds no data; the database and its log are as they were.
        var after = Snapshot(results);
        after.Remove(ResultStore.FileName + "-shm");
        Assert.Equal(before, after);
    }

    [Fact]
    public void Reading_from_a_write_protected_folder_warns_about_writes_only_in_the_log()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("results");
        CrashedStoreWithPendingWal(directory.Combine("source"), results, ResultStore.SchemaVersion);

        WriteProtection.Run(results, () =>
        {
            using var store = ResultStore.OpenExisting(results);
            Assert.Equal("kept", Assert.Single(store.LatestResults()).Experiment);
            Assert.NotNull(store.Warning);
            Assert.Contains(ResultStore.FileName + "-wal", store.Warning, StringComparison.Ordinal);
            Assert.Contains("not shown", store.Warning, StringComparison.Ordinal);
        });
    }

    private static string Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    /// <summary>Every file in the directory with its bytes, to prove that nothing was touched.</summary>
    private static Dictionary<string, string> Snapshot(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), f => Convert.ToBase64String(File.ReadAllBytes(f)));
}
