using System.Diagnostics;
using System.IO.Compression;
using Experiments.Data;
using Experiments.Generated;
using Xunit.Abstractions;

namespace Experiments.Core.Tests.Data;

/// <summary>Reads the MNIST files shipped in the repository's data/mnist/ (never writes there).</summary>
public sealed class MnistTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly LogLines _log = new();
    private readonly ITestOutputHelper _output;

    public MnistTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _temp.Dispose();

    private DatasetStore Store(string dataRoot) => new(new DatasetStoreOptions
    {
        DataRoot = dataRoot,
        SystemSearchDirectories = [],
        VerificationCachePath = _temp.Combine("verified-data.json"),
        Log = _log.Sink,
        Datasets = DatasetCatalog.All,
    });

    private static void AssertMnist(RawImageDataset raw)
    {
        Assert.Equal("mnist", raw.Name);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], raw.ClassNames);
        Assert.Equal((60000, 28, 28), (raw.TrainImages.Count, raw.TrainImages.Rows, raw.TrainImages.Columns));
        Assert.Equal((10000, 28, 28), (raw.TestImages.Count, raw.TestImages.Rows, raw.TestImages.Columns));
        Assert.Equal(60000 * 28 * 28, raw.TrainImages.Pixels.Length);
        Assert.Equal(60000, raw.TrainLabels.Count);
        Assert.Equal(10000, raw.TestLabels.Count);
        Assert.Equal(5, raw.TrainLabels.Labels[0]);
        Assert.Equal(7, raw.TestLabels.Labels[0]);
    }

    [Fact]
    public void The_shipped_files_match_the_known_checksums()
    {
        var mnist = DatasetCatalog.Mnist;

        var trainImages = IdxReader.ReadImages(Path.Combine(RepositoryPaths.MnistDirectory, "train-images-idx3-ubyte.gz"));
        var trainLabels = IdxReader.ReadLabels(Path.Combine(RepositoryPaths.MnistDirectory, "train-labels-idx1-ubyte.gz"), 10);
        var testImages = IdxReader.ReadImages(Path.Combine(RepositoryPaths.MnistDirectory, "t10k-images-idx3-ubyte.gz"));
        var testLabels = IdxReader.ReadLabels(Path.Combine(RepositoryPaths.MnistDirectory, "t10k-labels-idx1-ubyte.gz"), 10);

        Assert.Equal(mnist.Sha256[IdxFileNames.TrainImages], trainImages.Sha256);
        Assert.Equal(mnist.Sha256[IdxFileNames.TrainLabels], trainLabels.Sha256);
        Assert.Equal(mnist.Sha256[IdxFileNames.TestImages], testImages.Sha256);
        Assert.Equal(mnist.Sha256[IdxFileNames.TestLabels], testLabels.Sha256);
        AssertMnist(new RawImageDataset("mnist", mnist.ClassNames, trainImages, trainLabels, testImages, testLabels));
    }

    [Fact]
    public void The_store_reads_the_shipped_gzip_files_and_then_trusts_its_cache()
    {
        string dataRoot = Path.Combine(RepositoryPaths.Root, "data");
        var cold = Stopwatch.StartNew();
        using (var store = Store(dataRoot))
        {
            AssertMnist(store.Read("mnist"));
        }

        cold.Stop();
        var warm = Stopwatch.StartNew();
        using (var store = Store(dataRoot))
        {
            AssertMnist(store.Read("mnist"));
        }

        warm.Stop();
        _output.WriteLine($"read mnist: {cold.Elapsed.TotalMilliseconds:0} ms hashing, {warm.Elapsed.TotalMilliseconds:0} ms with the verification cache");
        Assert.Equal(4, _log.Count("SHA-256 verified"));
        Assert.Equal(4, _log.Count("verified earlier (verification cache)"));
    }

    [Fact]
    public void The_uncompressed_files_work_too()
    {
        string directory = Directory.CreateDirectory(_temp.Combine("data", "mnist")).FullName;
        foreach (string gz in Directory.GetFiles(RepositoryPaths.MnistDirectory, "*.gz"))
        {
            using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
            using var output = File.Create(Path.Combine(directory, Path.GetFileNameWithoutExtension(gz)));
            input.CopyTo(output);
        }

        using var store = Store(_temp.Combine("data"));

        var paths = store.Locate("mnist");
        AssertMnist(store.Read("mnist"));

        Assert.Equal(Path.Combine(directory, "train-images-idx3-ubyte"), paths.TrainImages);
        Assert.Equal(4, _log.Count("SHA-256 verified"));
    }

    /// <summary>The one test that builds tensors: it needs TorchSharp's native library.</summary>
    [Fact]
    public void Load_builds_the_tensors_once_and_shares_them()
    {
        var native = Stopwatch.StartNew();
        using (TorchSharp.torch.zeros(1))
        {
            // Loads libtorch, so that the timing below is the dataset's alone.
        }

        native.Stop();
        using var store = Store(Path.Combine(RepositoryPaths.Root, "data"));
        var cold = Stopwatch.StartNew();
        var dataset = store.Load("mnist");
        cold.Stop();
        var again = Stopwatch.StartNew();
        var same = store.Load("MNIST");
        again.Stop();
        var concurrent = Enumerable.Range(0, 8).AsParallel().Select(_ => store.Load("mnist")).ToList();
        _output.WriteLine($"torch init {native.Elapsed.TotalMilliseconds:0} ms; Load(mnist): {cold.Elapsed.TotalMilliseconds:0} ms first, {again.Elapsed.TotalMilliseconds:0.000} ms afterwards");

        Assert.Same(dataset, same);
        Assert.All(concurrent, d => Assert.Same(dataset, d));
        Assert.Equal(1, _log.Count("train and 10000 test images"));
        Assert.Equal(10, dataset.NumClasses);
        Assert.Equal(TorchSharp.torch.ScalarType.Byte, dataset.Train.Inputs.dtype);
        Assert.Equal(new long[] { 60000, 1, 28, 28 }, dataset.Train.Inputs.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, dataset.Test.Labels.dtype);
        Assert.Equal(new long[] { 10000 }, dataset.Test.Labels.shape);
        Assert.Equal(5L, dataset.Train.Labels[0].item<long>());
        Assert.Equal(7L, dataset.Test.Labels[0].item<long>());
        Assert.Equal(0, dataset.Train.Inputs.squeeze(1)[0, 0, 0].item<byte>());
        long pixelSum = dataset.Test.Inputs.squeeze(1).sum().item<long>();
        long expectedSum = store.Read("mnist").TestImages.Pixels.Sum(p => (long)p);
        Assert.Equal(expectedSum, pixelSum);

        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Load("mnist"));
    }
}
