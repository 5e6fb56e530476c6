using Experiments.Core.Tests.Data;
using Experiments.Data;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The second dataset, from Debian's package <c>dataset-fashion-mnist</c> (which ./test.sh installs): found in
/// /usr/share/datasets without any flag, verified, and trainable with the same code as MNIST.
/// </summary>
public sealed class FashionMnistTests
{
    private const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    [Fact]
    public void Fashion_mnist_loads_from_the_debian_package_and_trains()
    {
        Assert.True(
            File.Exists(Path.Combine(DebianDirectory, "train-images-idx3-ubyte.gz")),
            "Fashion-MNIST is missing: run 'sudo apt-get install -y dataset-fashion-mnist' (./test.sh does it for you)");
        using var emptyRoot = new TemporaryDirectory();
        using var store = new DatasetStore(new DatasetStoreOptions { DataRoot = emptyRoot.Path, VerificationCachePath = null, Datasets = Experiments.Generated.DatasetCatalog.All });

        var data = store.Load("fashion-mnist");

        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.Equal("Ankle boot", data.ClassNames[9]);
        var settings = TestExperiment.BlogRecipe with { Epochs = 1, LearningRate = 0.05, Momentum = 0.9 };
        var result = new TestExperiment(settings, dataset: "fashion-mnist").Run(new ExperimentContext(data));
        Assert.InRange(result.Test!.Accuracy, 75, 90);
    }
}
