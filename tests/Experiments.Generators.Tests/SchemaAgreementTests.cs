using System.Collections.Immutable;
using Experiments.Data;
using Experiments.Generators.Model;

namespace Experiments.Generators.Tests;

/// <summary>
/// The generator (netstandard2.0, inside the compiler) cannot reference the runtime, so the facts both need are
/// written twice; these tests keep the two copies in step.
/// </summary>
public sealed class SchemaAgreementTests
{
    [Fact]
    public void EveryChoiceMapsToAMemberOfTheRuntimesEnums()
    {
        var enums = ExperimentSchema.Keys.Where(k => k.EnumType is not null).ToList();
        Assert.NotEmpty(enums);
        foreach (var key in enums)
        {
            var type = typeof(IExperiment).Assembly.GetType(key.EnumType!["global::".Length..]);
            Assert.True(type is { IsEnum: true }, $"{key.Name}: {key.EnumType} is not an enum of Experiments.Core");
            Assert.Equal(
                Enum.GetNames(type!).Order(StringComparer.Ordinal),
                key.Choices.Select(ExperimentSchema.EnumMember).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void EverySettingIsAPropertyOfExperimentSettingsOfTheSameType()
    {
        foreach (var key in ExperimentSchema.Keys.Where(k => k.Role == KeyRole.Setting))
        {
            var property = typeof(ExperimentSettings).GetProperty(key.PropertyName);
            Assert.True(property is not null, $"ExperimentSettings has no property {key.PropertyName} for key {key.Name}");
            var expected = key.Kind switch
            {
                ValueKind.Integer => key.IntegerType == "long" ? "Int64" : "Int32",
                ValueKind.Number => "Double",
                ValueKind.Boolean => "Boolean",
                ValueKind.Choice when key.EnumType is not null => key.EnumType[(key.EnumType.LastIndexOf('.') + 1)..],
                _ => "String",
            };
            Assert.Equal(expected, property!.PropertyType.Name);
        }
    }

    [Fact]
    public void EveryPropertyIsAMemberOfIExperiment()
    {
        foreach (var key in ExperimentSchema.Keys.Where(k => k.Role == KeyRole.Property))
        {
            Assert.NotNull(typeof(IExperiment).GetProperty(key.PropertyName));
        }
    }

    [Fact]
    public void TheRuntimesNamedValuesUseTheSchemasKeyNames()
    {
        var settings = new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1, LearningRate = 0.1 };
        var runtimeKeys = settings.ToNamedValues().Select(p => p.Key).ToList();
        Assert.Equal(ExperimentSchema.Keys.Where(k => k.Role == KeyRole.Setting).Select(k => k.Name), runtimeKeys);
    }

    /// <summary>The key table owns the defaults: the runtime's, for settings made in C#, must be the same.</summary>
    [Fact]
    public void EveryDefaultOfTheKeyTableIsTheRuntimesDefault()
    {
        foreach (var key in ExperimentSchema.Keys.Where(k => k.Role == KeyRole.Setting && !k.Required && !k.DefaultFromDataset))
        {
            Assert.True(key.Default is not null, key.Name);
            Assert.True(Equals(Runtime(key, key.Default!), Property(key).GetValue(Settings([]))), $"{key.Name}: the runtime's default is {Property(key).GetValue(Settings([]))}, the key table's {key.Default}");
        }

        Assert.NotEmpty(ExperimentSchema.ConditionalDefaults);
        foreach (var conditional in ExperimentSchema.ConditionalDefaults)
        {
            var settings = Settings([(conditional.When, conditional.WhenValue)]);
            Assert.Equal(Runtime(conditional.Key, conditional.Value), Property(conditional.Key).GetValue(settings));
        }
    }

    /// <summary>
    /// The key table owns the rules between keys: over every combination of telling values of the keys the rules
    /// read (each also left unset, so that defaults, conditional ones included, take part), ExperimentSettings.Validate
    /// accepts exactly what the rules accept.
    /// </summary>
    [Fact]
    public void TheRuntimeAcceptsExactlyWhatTheKeyTablesRulesAccept()
    {
        var keys = ExperimentSchema.Rules.SelectMany(r => r.Keys).Distinct().ToList();
        var broken = new HashSet<KeyRule>();
        var combinations = keys.Aggregate(
            new[] { ImmutableList<(KeyDefinition Key, string Value)>.Empty }.AsEnumerable(),
            (sofar, key) => sofar.SelectMany(set => Samples(key).Select(v => v is null ? set : set.Add((key, v)))));
        var count = 0;
        foreach (var set in combinations)
        {
            count++;
            string Value(KeyDefinition key) => set.FirstOrDefault(s => s.Key == key).Value ?? ExperimentSchema.DefaultOf(key, Value);
            var failing = ExperimentSchema.Rules.Where(r => !r.Holds(Value)).ToList();
            broken.UnionWith(failing);
            string? runtimeError = null;
            try
            {
                Settings(set).Validate();
            }
            catch (ArgumentException exception)
            {
                runtimeError = exception.Message;
            }

            var described = string.Join(", ", set.Select(s => $"{s.Key.Name}: {s.Value}"));
            Assert.True(
                failing.Count == 0 == (runtimeError is null),
                $"{{{described}}}: the key table {(failing.Count == 0 ? "accepts it" : "refuses it (" + failing[0].Key.Name + " must be " + failing[0].Expectation(Value) + ")")}, the runtime {(runtimeError is null ? "accepts it" : "refuses it: " + runtimeError)}");
        }

        Assert.True(count >= 100, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExperimentSchema.Rules.Length, broken.Count);
    }

    /// <summary>Unset (null), then values of <paramref name="key"/> that rules tell apart: every word, the bounds, one inside.</summary>
    private static IEnumerable<string?> Samples(KeyDefinition key)
    {
        IEnumerable<string> values = key.Kind switch
        {
            ValueKind.Choice => key.Choices,
            ValueKind.Boolean => ["true", "false"],
            _ => new[]
            {
                key.Minimum is { } min && !key.MinimumExclusive ? min : (double?)null,
                key.Default is null ? null : double.Parse(key.Default, System.Globalization.CultureInfo.InvariantCulture),
                key.Maximum is { } max ? ((key.Minimum ?? 0) + max) / 2 : (key.Minimum ?? 0) + 1,
            }
            .OfType<double>()
            .Select(v => key.Kind == ValueKind.Integer ? Math.Floor(v) : v)
            .Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
        };
        return values.Distinct().Prepend(null);
    }

    private static System.Reflection.PropertyInfo Property(KeyDefinition key) => typeof(ExperimentSettings).GetProperty(key.PropertyName)!;

    /// <summary>Settings with the required keys and <paramref name="values"/> set (canonical YAML values), the rest left to the runtime's defaults.</summary>
    private static ExperimentSettings Settings(IEnumerable<(KeyDefinition Key, string Value)> values)
    {
        var settings = new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1, LearningRate = 0.1 };
        foreach (var (key, value) in values)
        {
            Property(key).SetValue(settings, Runtime(key, value));
        }

        return settings;
    }

    /// <summary>A canonical YAML value as the runtime's property holds it.</summary>
    private static object Runtime(KeyDefinition key, string value)
    {
        var type = Property(key).PropertyType;
        return type.IsEnum ? Enum.Parse(type, ExperimentSchema.EnumMember(value))
            : type == typeof(bool) ? value == "true"
            : Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }
}
