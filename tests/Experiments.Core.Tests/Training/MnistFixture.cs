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
            Datasets = [Experiments.Generated.DatasetCatalog.Mnist],
        });
        Full = store.Load("mnist");
        Subset = new Dataset(
            Full.Description,
            new DataSplit(Full.Train.Inputs.narrow(0, 0, 3000).clone(), Full.Train.Labels.narrow(0, 0, 3000).clone()),
            new DataSplit(Full.Test.Inputs.narrow(0, 0, 1000).clone(), Full.Test.Labels.narrow(0, 0, 1000).clone()),
            Full.ContentKey);
    }

    public Dataset Full { get; }

    /// <summary>The first 3,000 training and 1,000 test images.</summary>
    public Dataset Subset { get; }

    public void Dispose()
    {
        Subset.Dispose();
        store.Dispose();
    }
}
