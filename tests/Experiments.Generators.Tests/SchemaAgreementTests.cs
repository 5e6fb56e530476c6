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
        Assert.Equal(
            Enum.GetNames<OptimizerKind>().Order(StringComparer.Ordinal),
            ExperimentSchema.Optimizer.Choices.Select(c => Parsing.Naming.ToTypePrefix(c)).Order(StringComparer.Ordinal));
        Assert.Equal(
            Enum.GetNames<OutputActivation>().Order(StringComparer.Ordinal),
            ExperimentSchema.OutputActivation.Choices.Select(c => Parsing.Naming.ToTypePrefix(c)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheRuntimesNamedValuesUseTheSchemasKeyNames()
    {
        var settings = new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1, LearningRate = 0.1 };
        var runtimeKeys = settings.ToNamedValues().Select(p => p.Key).ToList();
        Assert.Equal(ExperimentSchema.Keys.Where(k => k.Role == KeyRole.Setting).Select(k => k.Name), runtimeKeys);
    }
}
