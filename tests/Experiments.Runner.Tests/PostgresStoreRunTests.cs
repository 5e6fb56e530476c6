using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// The command line against a PostgreSQL run history (<c>--store</c>, <c>EXPERIMENTS_STORE</c>): a run records there,
/// every history command reads it as it reads an SQLite file, and <c>--parallel</c> workers share it.
/// </summary>
public sealed class PostgresStoreRunTests(PostgresServer server) : IClassFixture<PostgresServer>, IDisposable
{
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(320);
        var exitCode = ExperimentHost.Run(args, TestHost.Catalog(ExperimentCatalog.All), new ExperimentHostOptions { Console = console });
        return (exitCode, console.Output);
    }

    [Fact]
    public void A_run_recorded_in_PostgreSQL_reads_back_through_every_history_command_as_one_in_SQLite_does()
    {
        var connection = server.CreateDatabase();
        var sqlite = Path.Combine(results.Path, "sqlite");
        var postgres = Path.Combine(results.Path, "postgres");
        foreach (var (folder, store) in new[] { (sqlite, (string?)null), (postgres, connection) })
        {
            string[] run = ["run", "digits-csv", "--data-root", RepositoryPaths.Data, "--results", folder, .. store is null ? [] : new[] { "--store", store }];
            var (exitCode, output) = Run(run);
            Assert.True(exitCode == 0, output);
        }

        Assert.False(File.Exists(Path.Combine(postgres, ResultStore.FileName)), "a PostgreSQL run wrote an SQLite file");
        Assert.True(Directory.Exists(Path.Combine(postgres, "1")), "the run's folder (checkpoints, pictures) is still in --results");

        // The same commands on both stores say the same about the same run (bar times and paths).
        foreach (var command in new[] { new[] { "export", "--format", "json" }, ["history", "digits-csv", "--format", "json"], ["show", "1"], ["runs"], ["compare"], ["report", "--output", "-"] })
        {
            var (sqliteCode, fromSqlite) = Run([.. command, "--results", sqlite]);
            var (postgresCode, fromPostgres) = Run([.. command, "--results", postgres, "--store", connection]);
            Assert.True(sqliteCode == 0, fromSqlite);
            Assert.True(postgresCode == 0, $"{string.Join(' ', command)} on PostgreSQL: {fromPostgres}");
            Assert.True(command[0] == "history" || fromPostgres.Contains("digits-csv", StringComparison.Ordinal), $"{string.Join(' ', command)} on PostgreSQL: {fromPostgres}");
            if (command[0] is "export" or "history")
            {
                Assert.Equal(Accuracies(fromSqlite), Accuracies(fromPostgres));
            }
        }
    }

    [Fact]
    public void Parallel_workers_share_a_PostgreSQL_store_given_by_the_environment()
    {
        var connection = server.CreateDatabase();
        string[] names = ["digits-csv", "digits-images"];
        using var runner = new RunnerProcess([], ["run", .. names, "--parallel", "2", "--data-root", RepositoryPaths.Data, "--results", results.Path], new Dictionary<string, string> { [StoreLocation.EnvironmentVariable] = connection });
        var exitCode = runner.WaitForExit();
        Assert.True(exitCode == 0, runner.Output);
        Assert.Contains("[w2]", runner.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results.Path, ResultStore.FileName)));

        using var store = ResultStore.Open(StoreLocation.Parse(connection, results.Path), create: false);
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Completed, run.Status);
        var stored = store.ResultsOfRun(run.Id);
        Assert.Equal(names, stored.Select(r => r.Experiment).Order(StringComparer.Ordinal));
        Assert.Equal(2, new WorkQueue(store).Workers(run.Id).Count);
    }

    private static List<string> Accuracies(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json[json.IndexOfAny(['{', '['])..]);
        var found = Find(document.RootElement, "accuracy").ToList();
        Assert.NotEmpty(found);
        return found;
    }

    private static IEnumerable<string> Find(System.Text.Json.JsonElement element, string name)
    {
        if (element.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase))
                {
                    yield return property.Value.ToString();
                }

                foreach (var inner in Find(property.Value, name))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray().SelectMany(e => Find(e, name)))
            {
                yield return item;
            }
        }
    }
}
