using Experiments.Core.Tests.Data;
using Experiments.Data;

namespace Experiments.Core.Tests.Training;

/// <summary>The shipped MNIST, loaded once for all training tests, and a small subset of it.</summary>
public sealed class MnistFixture : IDisposable
{
    private readonly DatasetStore store;

    public MnistFixture()
    {
        store = new DatasetStore(new DatasetStoreOptions
        {
            DataRoot = Path.Combine(RepositoryPaths.Root, "data"),
            SystemSearchDirectories = [],
            VerificationCachePath = null,
        });
        Full = store.Load("mnist");
        Subset = new ImageDataset(
            "mnist",
            new ImageSplit(Full.Train.Images.narrow(0, 0, 3000).clone(), Full.Train.Labels.narrow(0, 0, 3000).clone()),
            new ImageSplit(Full.Test.Images.narrow(0, 0, 1000).clone(), Full.Test.Labels.narrow(0, 0, 1000).clone()),
            Full.ClassNames);
    }

    public ImageDataset Full { get; }

    /// <summary>The first 3,000 training and 1,000 test images.</summary>
    public ImageDataset Subset { get; }

    public void Dispose()
    {
        Subset.Dispose();
        store.Dispose();
    }
}
