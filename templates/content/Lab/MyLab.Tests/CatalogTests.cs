using Experiments;

namespace MyLab.Tests;

/// <summary>What the build made of experiments/*.yaml and datasets/*.yaml: checked without training anything.</summary>
public sealed class CatalogTests
{
    private static IExperimentCatalog Catalog => ExperimentCatalog.Instance;

    [Fact]
    public void TheCatalogListsTheSeedRecipe()
    {
        Assert.Contains("seed-recipe", Catalog.Experiments.Select(e => e.Name));
    }

    [Fact]
    public void TheSeedRecipeHasTheSettingsOfItsYamlFile()
    {
        var seed = Assert.Single(Catalog.Experiments, e => e.Name == "seed-recipe");

        Assert.Equal("mnist", seed.Dataset);
        Assert.Equal(784, seed.Settings.InputSize);
        Assert.Equal(10, seed.Settings.NumClasses);
        Assert.Equal(5, seed.Settings.Epochs);
        Assert.Equal(100, seed.Settings.BatchSize);
        Assert.Equal(0.001, seed.Settings.LearningRate);
        Assert.Equal(OptimizerKind.Sgd, seed.Settings.Optimizer);
        Assert.Equal(0, seed.Settings.Seed);
    }

    [Fact]
    public void TheSeedRecipesModelRunsOnOneImage()
    {
        // Loads TorchSharp's native library in the test process too (see MyLab.Tests.csproj).
        var seed = Assert.Single(Catalog.Experiments, e => e.Name == "seed-recipe");
        using var model = seed.CreateModel();
        using var image = TorchSharp.torch.zeros(1, 784);
        using var scores = model.call(image);

        Assert.Equal(new long[] { 1, 10 }, scores.shape);
    }

    [Fact]
    public void MnistIsDescribedAsTheSeedRecipeNeedsIt()
    {
        var mnist = Assert.Single(Catalog.Datasets, d => d.Name == "mnist");

        Assert.Equal(10, mnist.ClassNames.Count);
        Assert.Equal(784, mnist.Features);
    }
}
