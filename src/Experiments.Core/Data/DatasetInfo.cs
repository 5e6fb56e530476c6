using System.Diagnostics.CodeAnalysis;

namespace Experiments.Data;

/// <summary>One file of a dataset.</summary>
/// <param name="Name">Standard name without <c>.gz</c>, e.g. <c>train-images-idx3-ubyte</c>; looked for as
/// <c>Name.gz</c> or raw <c>Name</c>, downloaded as <c>Name.gz</c>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's decompressed content.</param>
public sealed record DatasetFile(string Name, string Sha256)
{
    /// <summary>The compressed form's name, as stored by mirrors.</summary>
    public string GzipName => Name + ".gz";
}

/// <summary>What the store needs to know to find, fetch and verify an IDX image dataset.</summary>
/// <param name="Name">Name as used in YAML files and as the directory under the data root, e.g. <c>mnist</c>.</param>
/// <param name="ClassNames">One display name per class; labels must be below their count.</param>
/// <param name="TrainImages">The training images file.</param>
/// <param name="TrainLabels">The training labels file.</param>
/// <param name="TestImages">The test images file.</param>
/// <param name="TestLabels">The test labels file.</param>
/// <param name="Mirrors">Base URLs tried in order; a file's URL is the mirror followed by <c>Name.gz</c>.</param>
/// <param name="DebianPackage">A Debian package that installs the files under <c>/usr/share/datasets/Name/</c>, if any.</param>
public sealed record DatasetInfo(
    string Name,
    IReadOnlyList<string> ClassNames,
    DatasetFile TrainImages,
    DatasetFile TrainLabels,
    DatasetFile TestImages,
    DatasetFile TestLabels,
    IReadOnlyList<Uri> Mirrors,
    string? DebianPackage = null)
{
    /// <summary>The four files: train images, train labels, test images, test labels.</summary>
    public IReadOnlyList<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];
}

/// <summary>The datasets the framework knows: file names, class names, mirrors and checksums.</summary>
public static class KnownDatasets
{
    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>Handwritten digits, 60000 train and 10000 test images of 28x28.</summary>
    public static DatasetInfo Mnist { get; } = new(
        "mnist",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        new(TrainImagesFile, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        new(TrainLabelsFile, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        new(TestImagesFile, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        new(TestLabelsFile, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        [
            new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        ]);

    /// <summary>Zalando's clothing images, in MNIST's format and sizes.</summary>
    public static DatasetInfo FashionMnist { get; } = new(
        "fashion-mnist",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        new(TrainImagesFile, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        new(TrainLabelsFile, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        new(TestImagesFile, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        new(TestLabelsFile, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")],
        DebianPackage: "dataset-fashion-mnist");

    public static IReadOnlyList<DatasetInfo> All { get; } = [Mnist, FashionMnist];

    /// <summary>The dataset called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="UnknownDatasetException">No such dataset; the message lists the known ones.</exception>
    public static DatasetInfo Get(string name) => Find(All, name);

    public static bool TryGet(string name, [NotNullWhen(true)] out DatasetInfo? info)
    {
        info = All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
        return info is not null;
    }

    internal static DatasetInfo Find(IReadOnlyList<DatasetInfo> datasets, string name) =>
        datasets.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UnknownDatasetException(name, [.. datasets.Select(d => d.Name)]);
}
