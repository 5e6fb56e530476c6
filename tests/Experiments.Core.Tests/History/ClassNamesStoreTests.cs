using System.Text.Json;
using Experiments.History;
using Experiments.Reporting;
using Experiments.Results;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>A result's class names (schema 5): stored, read back, migrated from older rows, and written to latest.json.</summary>
public sealed class ClassNamesStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Fashion = ["T-shirt/top", "Trouser"];

    [Fact]
    public void Class_names_survive_the_store_in_order_and_an_empty_list_stays_empty()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, StoreSamples.Completed("named", 80) with { Dataset = "fashion-mnist", ClassNames = Fashion });
        store.AddResult(run, StoreSamples.Failed("failed-before-loading"));

        var stored = store.ResultsOfRun(run);
        Assert.Equal(Fashion, stored[0].Result.ClassNames);
        Assert.Empty(stored[1].Result.ClassNames); // not "0".."n-1": a result written with no names has none
    }

    [Fact]
    public void A_row_written_before_schema_5_reads_as_the_indices_of_its_confusion_matrix()
    {
        using var directory = new TemporaryDirectory();
        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = string.Concat(Schema.Migrations.Take(4)) + $$"""
                PRAGMA application_id = {{ResultStore.ApplicationId}};
                PRAGMA user_version = 4;
                INSERT INTO runs (started_at, command_line, machine, operating_system, dotnet_version, status)
                VALUES ('2026-01-01T00:00:00.000Z', 'experiments all', 'old', 'Linux', '.NET 10', 'completed');
                INSERT INTO results (run_id, recorded_at, experiment, dataset, status, hyperparameters, train_seconds, evaluation_seconds, epochs, test)
                VALUES (1, '2026-01-01T00:00:01.000Z', 'three-classes', 'mnist', 'completed', '{}', 1, 0.1, '[]',
                    '{"accuracy":50,"loss":1,"count":6,"perClassAccuracy":[50,50,50],"confusionMatrix":[[1,1,0],[0,1,1],[1,0,1]]}');
                INSERT INTO results (run_id, recorded_at, experiment, dataset, status, hyperparameters, train_seconds, evaluation_seconds, epochs)
                VALUES (1, '2026-01-01T00:00:02.000Z', 'failed', 'mnist', 'failed', '{}', 1, 0.1, '[]');
                """;
            command.ExecuteNonQuery();
        }

        using var store = ResultStore.OpenOrCreate(directory.Path);
        var old = store.ResultsOfRun(1);
        Assert.Equal(["0", "1", "2"], old[0].Result.ClassNames);
        Assert.Empty(old[1].Result.ClassNames);
        Assert.True(ResultStore.SchemaVersion >= 5, "the store is at schema 5 or later after opening");

        // And the tables name the classes as before: by index.
        var table = Assert.Single(HistoryTables.PerClassAccuracy(old));
        Assert.Equal(["Experiment", "0", "1", "2"], table.Headers);
    }

    [Fact]
    public void Latest_json_and_the_json_export_carry_the_class_names()
    {
        var result = StoreSamples.Completed("named", 80) with { ClassNames = Fashion };
        using var document = JsonDocument.Parse(ResultFiles.ToJson([result, StoreSamples.Failed("failed")]));
        var first = document.RootElement[0];
        Assert.Equal(Fashion, first.GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, document.RootElement[1].GetProperty("classNames").GetArrayLength());

        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info(), Start);
        store.AddResult(run, result);
        using var export = JsonDocument.Parse(RunExport.Json(store.Run(run)!, store.ResultsOfRun(run)));
        Assert.Equal(Fashion, export.RootElement.GetProperty("results")[0].GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
    }
}
