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
    public void TheDatasetsTheGeneratorAcceptsAreTheDatasetsTheRuntimeKnows()
    {
        Assert.Equal(
            KnownDatasets.All.Select(d => d.Name).Order(StringComparer.Ordinal),
            ExperimentSchema.Dataset.Choices.Order(StringComparer.Ordinal));
        foreach (var dataset in KnownDatasets.All)
        {
            Assert.Equal((784, dataset.ClassNames.Count), ExperimentSchema.DatasetShape(dataset.Name));
        }
    }

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
                key.Choices.Select(c => Parsing.Naming.ToTypePrefix(c)).Order(StringComparer.Ordinal));
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
}
