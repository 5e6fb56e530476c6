using Experiments.Data;
using Experiments.Generated;

namespace Experiments.Core.Tests.Data;

/// <summary>The digits shipped in data/digits/ as CSV and as an image folder (never written to).</summary>
public sealed class ShippedDigitsTests : IDisposable
{
    /// <summary>The content hash of data/digits/images/ (for datasets/digits-images.yaml).</summary>
    public const string ImagesSha256 = "2ee255cdafce167011b86221d5e372185ca835be2b441965c55b9a171ff097cb";

    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private DatasetStore Store(DatasetDescription? images = null) => new(new DatasetStoreOptions
    {
        DataRoot = RepositoryPaths.Data,
        SystemSearchDirectories = [],
        Datasets = [DatasetCatalog.DigitsCsv, images ?? DatasetCatalog.DigitsImages],
        VerificationCachePath = null,
        DecodedCacheDirectory = _temp.Combine("cache"),
    });

    [Fact]
    public void The_csv_and_the_images_hold_the_same_digits_in_the_same_split()
    {
        using var store = Store();
        var csv = store.Load("digits-csv");
        var images = store.Load("digits-images");

        Assert.Equal(1797, csv.Train.Count + csv.Test.Count);
        Assert.Equal((csv.Train.Count, csv.Test.Count), (images.Train.Count, images.Test.Count));
        // round(0.25 x count) per class, half away from zero: classes of 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.
        Assert.Equal(45 + 46 + 44 + 46 + 45 + 46 + 45 + 45 + 44 + 45, csv.Test.Count);
        Assert.Equal([64], csv.ExampleShape);
        Assert.Equal([1, 8, 8], images.Train.ExampleShape);
        foreach (var (csvSplit, imageSplit) in new[] { (csv.Train, images.Train), (csv.Test, images.Test) })
        {
            var cells = Fixtures.Floats(csvSplit.Inputs);
            var pixels = Fixtures.Bytes(imageSplit.Inputs);
            var csvLabels = Fixtures.Longs(csvSplit.Labels);
            var imageLabels = Fixtures.Longs(imageSplit.Labels);
            for (int c = 0; c < 10; c++)
            {
                // The image folder holds the rows class by class; within a class both are in row order.
                var fromCsv = Enumerable.Range(0, csvLabels.Length).Where(i => csvLabels[i] == c)
                    .SelectMany(i => cells.Skip(i * 64).Take(64).Select(v => (byte)Math.Round(v * 255 / 16, MidpointRounding.AwayFromZero))).ToArray();
                var fromImages = Enumerable.Range(0, imageLabels.Length).Where(i => imageLabels[i] == c)
                    .SelectMany(i => pixels.Skip(i * 64).Take(64)).ToArray();
                Assert.Equal(fromCsv, fromImages);
            }
        }
    }

    [Fact]
    public void The_image_folder_has_its_documented_content_hash()
    {
        using var store = Store(DatasetCatalog.DigitsImages with { Sha256 = new Dictionary<string, string> { ["images"] = ImagesSha256 } });

        Assert.Equal(1797, store.Load("digits-images").Train.Count + store.Load("digits-images").Test.Count);
    }

    [Fact]
    public void The_csv_has_its_documented_checksum()
    {
        Assert.Equal(DatasetCatalog.DigitsCsv.Sha256["digits.csv.gz"], Idx.Sha256(Fixtures.Gunzip(Path.Combine(RepositoryPaths.Data, "digits", "digits.csv.gz"))));
    }
}
