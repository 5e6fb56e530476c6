using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary>Dataset files are parsed one by one: an experiment edit reparses none, a dataset edit re-resolves the experiments.</summary>
public sealed class DatasetIncrementalityTests
{
    private readonly InMemoryAdditionalText iris = GeneratorHarness.Dataset("iris.yaml", DatasetTests.Csv);
    private readonly InMemoryAdditionalText pets = GeneratorHarness.Dataset("pets.yaml", DatasetTests.Images);
    private readonly InMemoryAdditionalText alpha = GeneratorHarness.File("alpha.yaml", "dataset: iris\nepochs: 1\nbatchSize: 10\nlearningRate: 0.1\n");
    private readonly InMemoryAdditionalText beta = GeneratorHarness.File("beta.yaml", "dataset: pets\nepochs: 1\nbatchSize: 10\nlearningRate: 0.1\n");

    [Fact]
    public void The_first_run_parses_each_dataset_file_once()
    {
        var (_, result) = FirstRun();

        Assert.Equal(2, result.TrackedSteps[ExperimentGenerator.TrackingNames.DatasetParse].Length);
        Assert.Single(result.TrackedSteps[ExperimentGenerator.TrackingNames.Datasets]);
        Assert.Equal(2, result.TrackedSteps[ExperimentGenerator.TrackingNames.Parse].Length);
        Assert.Contains(result.GeneratedSources, s => s.HintName == GeneratorHarness.DatasetCatalogHintName);
    }

    [Fact]
    public void Editing_an_experiment_reparses_no_dataset_and_keeps_the_dataset_catalog()
    {
        var (driver, _) = FirstRun();
        var edited = new InMemoryAdditionalText(alpha.Path, alpha.GetText()!.ToString().Replace("epochs: 1", "epochs: 2", StringComparison.Ordinal));

        var result = driver.ReplaceAdditionalText(alpha, edited).RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult().Results.Single();

        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.DatasetParse), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.Datasets), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.Equal(IncrementalStepRunReason.Modified, ExperimentReasons(result)["alpha"]);
        Assert.Contains(ExperimentReasons(result)["beta"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
    }

    [Fact]
    public void Editing_a_dataset_reparses_that_file_only_and_re_resolves_the_experiments_on_it()
    {
        var (driver, _) = FirstRun();
        var edited = new InMemoryAdditionalText(iris.Path, DatasetTests.Csv.Replace("testFraction: 0.2", "testFraction: 0.3", StringComparison.Ordinal));

        var result = driver.ReplaceAdditionalText(iris, edited).RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult().Results.Single();

        var parses = result.TrackedSteps[ExperimentGenerator.TrackingNames.DatasetParse].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Equal(1, parses.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, parses.Count(r => r == IncrementalStepRunReason.Cached));
        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.Datasets), reason => Assert.Equal(IncrementalStepRunReason.Modified, reason));
        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.Parse), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));

        // The experiment on the edited dataset has a new configuration hash; the other is emitted as it was.
        Assert.Equal(IncrementalStepRunReason.Modified, ExperimentReasons(result)["alpha"]);
        Assert.Contains(ExperimentReasons(result)["beta"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
    }

    [Fact]
    public void A_comment_in_a_dataset_file_changes_nothing_downstream()
    {
        var (driver, _) = FirstRun();
        var edited = new InMemoryAdditionalText(iris.Path, "# Fisher's irises\n" + DatasetTests.Csv);

        var result = driver.ReplaceAdditionalText(iris, edited).RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Unchanged, Outputs(result, ExperimentGenerator.TrackingNames.DatasetParse));
        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.Datasets), reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
        Assert.All(ExperimentReasons(result).Values, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));

        // The file's text changed, so its entry in the catalog's table of files as built (the stale-build check)
        // did; that is the one source output that runs again.
        var built = result.TrackedSteps[ExperimentGenerator.TrackingNames.DatasetBuiltFile].SelectMany(s => s.Outputs).ToDictionary(o => ((Model.BuiltFile)o.Value).SourceFile, o => o.Reason);
        Assert.Equal(IncrementalStepRunReason.Modified, built["datasets/iris.yaml"]);
        Assert.Equal(IncrementalStepRunReason.Cached, built["datasets/pets.yaml"]);
        Assert.Single(result.TrackedOutputSteps["SourceOutput"].SelectMany(s => s.Outputs), o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        var catalog = result.GeneratedSources.Single(s => s.HintName == GeneratorHarness.CatalogHintName).SourceText.ToString();
        Assert.Contains($"DatasetsDirectory + \"iris.yaml\", \"{ExperimentFile.HashText("# Fisher's irises\n" + DatasetTests.Csv)}\"", catalog, StringComparison.Ordinal);
    }

    private (GeneratorDriver Driver, GeneratorRunResult Result) FirstRun()
    {
        var driver = GeneratorHarness.CreateDriver([alpha, beta], datasets: [iris, pets]).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();
        Assert.Empty(result.Diagnostics);
        return (driver, result);
    }

    private static IEnumerable<IncrementalStepRunReason> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    /// <summary>The reason of each experiment's output of the Experiments step, by experiment name.</summary>
    private static Dictionary<string, IncrementalStepRunReason> ExperimentReasons(GeneratorRunResult result) =>
        result.TrackedSteps[ExperimentGenerator.TrackingNames.Experiments]
            .SelectMany(s => s.Outputs)
            .ToDictionary(o => ((Model.ExperimentSpec)o.Value).Name, o => o.Reason);
}
