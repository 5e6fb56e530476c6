using Experiments.History;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>A result row whose content cannot be read is skipped, named, and left as it is; the other rows are read.</summary>
public sealed class DamagedRowTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("hyperparameters", "{\"learningRate\": 0.1")]
    [InlineData("epochs", "[{\"epoch\": \"one\"}]")]
    [InlineData("test", "not json")]
    [InlineData("validation", "{\"accuracy\": 1}")]
    [InlineData("recorded_at", "yesterday")]
    [InlineData("class_names", "{\"0\": \"zero\"}")]
    [InlineData("class_names", "[\"zero\", 1]")]
    [InlineData("checkpoint", "not json")]
    [InlineData("checkpoint", "{\"files\": []}")]
    [InlineData("checkpoint", "{\"directory\": \"1/a\", \"files\": [{\"name\": \"model.safetensors\", \"sha256\": \"aa\"}]}")]
    public void A_result_row_that_cannot_be_read_is_skipped_with_a_warning_naming_it(string column, string damage)
    {
        using var directory = new TemporaryDirectory();
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            var run = store.StartRun(StoreSamples.Info(), Start);
            store.AddResult(run, StoreSamples.Completed("good", 80));
            store.AddResult(run, StoreSamples.Completed("damaged", 81));
            store.AddResult(run, StoreSamples.Completed("also-good", 82));
        }

        Damage(directory.Path, column, damage);
        using var reopened = ResultStore.OpenExisting(directory.Path);
        Assert.Equal(["good", "also-good"], reopened.ResultsOfRun(1).Select(r => r.Experiment));
        Assert.Equal(["also-good", "good"], reopened.LatestResults().Select(r => r.Experiment));
        Assert.Empty(reopened.ResultsOf("damaged"));
        Assert.Equal(3, Assert.Single(reopened.Runs()).ResultCount);

        // Met three times, named once: the row, its run, its experiment, the column and the file.
        var warning = Assert.Single(reopened.SkippedRows);
        Assert.Contains("result 2 (run 1, experiment 'damaged')", warning, StringComparison.Ordinal);
        Assert.Contains($"its {column} column cannot be read", warning, StringComparison.Ordinal);
        Assert.Contains(reopened.Path, warning, StringComparison.Ordinal);
        Assert.Equal("ok", reopened.IntegrityCheck());
    }

    /// <summary>Overwrites one column of result 2 with raw SQL, as a bad disk or a hand edit might.</summary>
    internal static void Damage(string directory, string column, string damage)
    {
        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE results SET {column} = $damage WHERE id = 2";
        command.Parameters.AddWithValue("$damage", damage);
        Assert.Equal(1, command.ExecuteNonQuery());
    }
}
