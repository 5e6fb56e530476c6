using System.Collections;
using System.Globalization;
using System.Reflection;
using Experiments.History;
using Experiments.Models;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>Everything a result holds survives the store, and a store of any older schema opens and migrates.</summary>
public sealed class StoreCompletenessTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Properties the store does not keep, each with where it is kept instead: a result read back has null there.
    /// </summary>
    private static readonly HashSet<string> NotStored = new(StringComparer.Ordinal)
    {
        // The input transform (divisor, deskew, 784 means and deviations) is in the checkpoint's config.json, whose
        // path and SHA-256 the store keeps in the checkpoint column.
        "ExperimentResult.Inputs",

        // A warning of the run that trained it (the per-epoch state could not be written): printed then; what the
        // result is does not depend on it.
        "ExperimentResult.TrainingStateError",

        // Why a --resume went back to the first epoch: a warning of that run, printed then (the result is a training
        // from the first epoch, which resumed_from_epoch = NULL says).
        "ExperimentResult.ResumeError",
    };

    [Fact]
    public void Every_property_of_a_result_survives_the_store()
    {
        // Driven by reflection: a property added to ExperimentResult (or to what it holds) later is filled here too,
        // so one the store forgets fails this test.
        var counter = 0;
        var result = (ExperimentResult)Fill(typeof(ExperimentResult), nameof(ExperimentResult), ref counter);
        using var directory = new TemporaryDirectory();
        using (var store = ResultStore.OpenOrCreate(directory.Path))
        {
            store.AddResult(store.StartRun(StoreSamples.Info(), Start), result);
        }

        using var reopened = ResultStore.OpenExisting(directory.Path);
        var stored = Assert.Single(reopened.ResultsOfRun(1, withWeights: true)).Result;
        AssertSame(result, stored, nameof(ExperimentResult));
        Assert.All(NotStored, path => Assert.Null(typeof(ExperimentResult).GetProperty(path.Split('.')[1])!.GetValue(stored)));
    }

    [Fact]
    public void The_filler_sets_every_property_to_something_other_than_its_default()
    {
        var counter = 0;
        var result = (ExperimentResult)Fill(typeof(ExperimentResult), nameof(ExperimentResult), ref counter);
        foreach (var property in Properties(typeof(ExperimentResult)))
        {
            var value = property.GetValue(result);
            Assert.True(value is not null && !Equals(value, property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null), property.Name);
            Assert.False(value is IEnumerable list and not string && !list.Cast<object>().Any(), property.Name + " is empty");
        }
    }

    public static TheoryData<int> OlderVersions()
    {
        var versions = new TheoryData<int>();
        for (var version = 1; version < ResultStore.SchemaVersion; version++)
        {
            versions.Add(version);
        }

        return versions;
    }

    [Theory]
    [MemberData(nameof(OlderVersions))]
    public void A_store_at_any_older_version_opens_migrates_and_keeps_its_rows(int version)
    {
        using var directory = new TemporaryDirectory();
        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = string.Concat(Schema.Migrations.Take(version)) + $$"""
                PRAGMA application_id = {{ResultStore.ApplicationId}};
                PRAGMA user_version = {{version}};
                INSERT INTO runs (started_at, command_line, machine, operating_system, dotnet_version, status)
                VALUES ('2026-01-01T00:00:00.000Z', 'experiments all', 'old', 'Linux', '.NET 10', 'running');
                INSERT INTO results (run_id, recorded_at, experiment, dataset, status, hyperparameters, train_seconds, evaluation_seconds, epochs, test_accuracy)
                VALUES (1, '2026-01-01T00:00:01.000Z', 'old-one', 'mnist', 'diverged', '{"learningRate":0.1}', 1, 0.1, '[{"epoch":1,"trainLoss":null,"seconds":0.5}]', 88.5);
                """;
            command.ExecuteNonQuery();
        }

        using var store = ResultStore.OpenOrCreate(directory.Path);
        var old = Assert.Single(store.ResultsOf("old-one"));
        Assert.Equal(ExperimentStatus.Diverged, old.Result.Status);
        Assert.Null(old.Result.DivergenceReason);
        Assert.Null(old.Result.BestEpoch);
        Assert.False(old.Result.StoppedEarly);
        Assert.Null(old.Result.Epochs[0].ValidationLoss);

        // A run recorded before runs kept their process cannot be told apart from one still going: it stays running, and says why.
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Null(run.PlannedResults);
        Assert.Contains("unknown", run.StatusNote, StringComparison.Ordinal);

        var next = store.StartRun(StoreSamples.Info(), Start, plannedResults: 2);
        store.AddResult(next, StoreSamples.Completed("new-one", 90) with { DivergenceReason = "why", BestEpoch = 2 });
        var added = Assert.Single(store.ResultsOfRun(next, withWeights: true)).Result;
        Assert.Equal(("why", 2), (added.DivergenceReason, added.BestEpoch));
        Assert.Equal(1, store.Run(next)!.MissingResults);
        Assert.Equal("ok", store.IntegrityCheck());
    }

    /// <summary>An instance of <paramref name="type"/> with every property set to a non-default value.</summary>
    private static object Fill(Type type, string path, ref int counter)
    {
        counter++;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            return $"{path} {counter.ToString(CultureInfo.InvariantCulture)}";
        }

        if (underlying == typeof(double))
        {
            return counter + 0.5;
        }

        if (underlying == typeof(int))
        {
            return counter;
        }

        if (underlying == typeof(long))
        {
            return (long)counter;
        }

        if (underlying == typeof(bool))
        {
            return true;
        }

        if (underlying.IsEnum)
        {
            return Enum.GetValues(underlying).Cast<object>().Last(); // not the default (the first member)
        }

        if (underlying == typeof(IReadOnlyList<KeyValuePair<string, object>>))
        {
            return new List<KeyValuePair<string, object>>
            {
                new("text", "a b"), new("count", counter), new("big", 1L << 40), new("rate", 0.25), new("flag", true),
            };
        }

        if (underlying == typeof(ModelWeights))
        {
            return new ModelWeights(2, 3, [0.5f, -1.5f, 2, 3, 4, counter]);
        }

        if (underlying == typeof(StateEntry))
        {
            // Its values must fit its shape (the store checks); the name and the values still differ per entry.
            var first = counter;
            return new StateEntry($"{path}.Name {first.ToString(CultureInfo.InvariantCulture)}", [2, 3], [first, -1.5f, float.Epsilon, float.MaxValue, float.NaN, 0.25f], IsParameter: true);
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = underlying.GetGenericArguments()[0];
            var list = Array.CreateInstance(element, 2);
            for (var i = 0; i < list.Length; i++)
            {
                list.SetValue(Fill(element, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", ref counter), i);
            }

            return list;
        }

        if (underlying == typeof(float[]))
        {
            return new[] { counter + 0.25f, -1.5f };
        }

        if (underlying.IsClass && underlying.Namespace is { } ns && (ns == typeof(ExperimentResult).Namespace || ns == typeof(ModelSummary).Namespace || ns == typeof(Experiments.Checkpoints.CheckpointRecord).Namespace))
        {
            // Records: through the constructor with the most parameters (positional ones), then every settable property.
            var constructor = underlying.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var arguments = new List<object?>();
            foreach (var parameter in constructor.GetParameters())
            {
                arguments.Add(Fill(parameter.ParameterType, path + "." + parameter.Name, ref counter));
            }

            var instance = constructor.Invoke([.. arguments]);
            foreach (var property in Properties(underlying).Where(p => p.SetMethod is not null))
            {
                property.SetValue(instance, Fill(property.PropertyType, path + "." + property.Name, ref counter));
            }

            return instance;
        }

        throw new NotSupportedException($"{path}: the filler does not know how to make a {type}; teach it, so that this property is checked too");
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0);

    /// <summary>Compares two values property by property, element by element; the message names the first difference.</summary>
    private static void AssertSame(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: stored {expected ?? "null"}, read back {actual ?? "null"}");
            return;
        }

        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string)
        {
            Assert.True(Equals(expected, actual), $"{path}: stored {expected} ({type.Name}), read back {actual} ({actual.GetType().Name})");
            return;
        }

        if (expected is IEnumerable expectedItems)
        {
            var left = expectedItems.Cast<object?>().ToList();
            var right = ((IEnumerable)actual).Cast<object?>().ToList();
            Assert.True(left.Count == right.Count, $"{path}: stored {left.Count} items, read back {right.Count}");
            for (var i = 0; i < left.Count; i++)
            {
                AssertSame(left[i], right[i], $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]");
            }

            return;
        }

        foreach (var property in Properties(type).Where(p => !NotStored.Contains(path + "." + p.Name)))
        {
            AssertSame(property.GetValue(expected), property.GetValue(actual), path + "." + property.Name);
        }
    }
}
