// TEMPORARY (issue 11 integration): hand-written stand-in for what the source generator will emit from
// datasets/*.yaml. Deleted when the generator's DatasetCatalog lands; keep it equal to the YAML files meanwhile.
using Experiments.Data;

namespace Experiments.Generated;

/// <summary>Every dataset described under <c>datasets/</c>.</summary>
public static class DatasetCatalog
{
    /// <summary>Handwritten digits, 28x28 grey pixels (datasets/mnist.yaml).</summary>
    public static DatasetDescription Mnist { get; } = new()
    {
        Name = "mnist",
        Description = "Handwritten digits, 28x28 grey pixels",
        SourceFile = "datasets/mnist.yaml",
        Format = DatasetFormat.Idx,
        Root = "mnist",
        Shape = [1, 28, 28],
        ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        Train = new("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Test = new("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        InputDivisor = 255,
        Sha256 = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ["train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ["t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ["t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        Mirrors = [new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/")],
    };

    /// <summary>Zalando's clothing images, 28x28 grey pixels (datasets/fashion-mnist.yaml).</summary>
    public static DatasetDescription FashionMnist { get; } = new()
    {
        Name = "fashion-mnist",
        Description = "Zalando's clothing images, 28x28 grey pixels",
        SourceFile = "datasets/fashion-mnist.yaml",
        Format = DatasetFormat.Idx,
        Root = "fashion-mnist",
        Shape = [1, 28, 28],
        ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        Train = new("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        Test = new("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        InputDivisor = 255,
        Sha256 = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["train-images-idx3-ubyte"] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ["train-labels-idx1-ubyte"] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ["t10k-images-idx3-ubyte"] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ["t10k-labels-idx1-ubyte"] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        Mirrors = [new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")],
        DebianPackage = "dataset-fashion-mnist",
    };

    /// <summary>UCI optical digits, 8x8 pixels of 0-16, as CSV (datasets/digits-csv.yaml).</summary>
    public static DatasetDescription DigitsCsv { get; } = new()
    {
        Name = "digits-csv",
        Description = "UCI optical digits, 8x8 pixels of 0-16, as CSV",
        SourceFile = "datasets/digits-csv.yaml",
        Format = DatasetFormat.Csv,
        Root = "digits",
        Shape = [64],
        ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        Train = new("digits.csv.gz"),
        TestFraction = 0.25,
        SplitSeed = 0,
        InputDivisor = 16,
        Csv = new() { HeaderLines = 0, LabelColumn = null, Separator = ',' },
        Sha256 = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["digits.csv.gz"] = "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8",
        },
    };

    /// <summary>UCI optical digits as PNG images, one folder per class (datasets/digits-images.yaml).</summary>
    public static DatasetDescription DigitsImages { get; } = new()
    {
        Name = "digits-images",
        Description = "UCI optical digits as PNG images, one folder per class",
        SourceFile = "datasets/digits-images.yaml",
        Format = DatasetFormat.Images,
        Root = "digits",
        Shape = [1, 8, 8],
        ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        Train = new("images"),
        TestFraction = 0.25,
        SplitSeed = 0,
        InputDivisor = 255,
        Images = new() { Color = ImageColor.Grayscale, Resize = false },
    };

    /// <summary>Every described dataset, in name order.</summary>
    public static IReadOnlyList<DatasetDescription> All { get; } = [DigitsCsv, DigitsImages, FashionMnist, Mnist];
}
