using System.Reflection;
using Experiments.Data;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Tests;

/// <summary>
/// Dataset files (<c>datasets/&lt;name&gt;.yaml</c>): every key reaches the emitted <see cref="DatasetDescription"/>,
/// every mistake is one located diagnostic, and experiments take their sizes, shapes and defaults from the dataset.
/// </summary>
public sealed class DatasetTests
{
    /// <summary>A valid CSV dataset; line N is line N of the file.</summary>
    public const string Csv = "format: csv\ntrain: iris.csv\ntestFraction: 0.2\nshape: [4]\nclasses: 3\n";

    public const string Images = "format: images\ntrain: train\ntest: test\nshape: [3, 32, 32]\nclasses: [cat, dog]\n";

    public const string Idx = "format: idx\ntrain: {images: train-images, labels: train-labels}\ntest: {images: test-images, labels: test-labels}\nshape: [1, 28, 28]\nclasses: 10\n";

    /// <summary>An experiment without inputSize and numClasses: they come from the dataset.</summary>
    private const string Experiment = "epochs: 1\nbatchSize: 10\nlearningRate: 0.1\n";

    [Fact]
    public void The_shipped_files_generate_the_values_of_the_hand_written_catalog_they_replace()
    {
        var catalog = LoadCatalog(GeneratorHarness.Run());

        Assert.Equal(["All", "DigitsCsv", "DigitsImages", "FashionMnist", "Mnist"], catalog.Keys.Order(StringComparer.Ordinal));
        var all = (IReadOnlyList<DatasetDescription>)catalog["All"]!;
        Assert.Equal(["digits-csv", "digits-images", "fashion-mnist", "mnist"], all.Select(d => d.Name));

        var mnist = (DatasetDescription)catalog["Mnist"]!;
        Assert.Equal(("mnist", "Handwritten digits, 28x28 grey pixels", "datasets/mnist.yaml", DatasetFormat.Idx, "mnist"), (mnist.Name, mnist.Description, mnist.SourceFile, mnist.Format, mnist.Root));
        Assert.Equal([1, 28, 28], mnist.Shape);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), mnist.ClassNames);
        Assert.Equal(new DatasetSource("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), mnist.Train);
        Assert.Equal(new DatasetSource("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), mnist.Test);
        Assert.Equal((0.0, 0, 255.0), (mnist.TestFraction, mnist.SplitSeed, mnist.InputDivisor));
        Assert.Null(mnist.Csv);
        Assert.Null(mnist.Images);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["train-images-idx3-ubyte"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ["train-labels-idx1-ubyte"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ["t10k-images-idx3-ubyte"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ["t10k-labels-idx1-ubyte"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            },
            mnist.Sha256);
        Assert.Equal([new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"), new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/")], mnist.Mirrors);
        Assert.Null(mnist.DebianPackage);
        Assert.Matches("^[0-9a-f]{64}$", mnist.DescriptionSha256);
        Assert.Equal(ImagePreparation.MnistDigit, mnist.Prepare);

        var fashion = (DatasetDescription)catalog["FashionMnist"]!;
        Assert.Equal(("fashion-mnist", "Zalando's clothing images, 28x28 grey pixels", "datasets/fashion-mnist.yaml", DatasetFormat.Idx, "fashion-mnist"), (fashion.Name, fashion.Description, fashion.SourceFile, fashion.Format, fashion.Root));
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], fashion.ClassNames);
        Assert.Equal([1, 28, 28], fashion.Shape);
        Assert.Equal(new DatasetSource("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), fashion.Test);
        Assert.Equal("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", fashion.Sha256["train-images-idx3-ubyte"]);
        Assert.Equal("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", fashion.Sha256["train-labels-idx1-ubyte"]);
        Assert.Equal("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", fashion.Sha256["t10k-images-idx3-ubyte"]);
        Assert.Equal("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", fashion.Sha256["t10k-labels-idx1-ubyte"]);
        Assert.Equal(4, fashion.Sha256.Count);
        Assert.Equal([new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")], fashion.Mirrors);
        Assert.Equal("dataset-fashion-mnist", fashion.DebianPackage);
        Assert.Equal(ImagePreparation.FashionMnist, fashion.Prepare);

        var csv = (DatasetDescription)catalog["DigitsCsv"]!;
        Assert.Equal(("digits-csv", "UCI optical digits, 8x8 pixels of 0-16, as CSV", "datasets/digits-csv.yaml", DatasetFormat.Csv, "digits"), (csv.Name, csv.Description, csv.SourceFile, csv.Format, csv.Root));
        Assert.Equal([64], csv.Shape);
        Assert.Equal(10, csv.ClassNames.Count);
        Assert.Equal(new DatasetSource("digits.csv.gz"), csv.Train);
        Assert.Null(csv.Test);
        Assert.Equal((0.25, 0, 16.0), (csv.TestFraction, csv.SplitSeed, csv.InputDivisor));
        Assert.Equal(new CsvOptions { HeaderLines = 0, LabelColumn = null, Separator = ',' }, csv.Csv);
        Assert.Equal(new Dictionary<string, string> { ["digits.csv.gz"] = "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8" }, csv.Sha256);
        Assert.Empty(csv.Mirrors);
        Assert.Equal(ImagePreparation.UciDigits, csv.Prepare);

        var images = (DatasetDescription)catalog["DigitsImages"]!;
        Assert.Equal(("digits-images", "UCI optical digits as PNG images, one folder per class", "datasets/digits-images.yaml", DatasetFormat.Images, "digits"), (images.Name, images.Description, images.SourceFile, images.Format, images.Root));
        Assert.Equal([1, 8, 8], images.Shape);
        Assert.Equal(new DatasetSource("images"), images.Train);
        Assert.Equal((0.25, 0, 255.0), (images.TestFraction, images.SplitSeed, images.InputDivisor));
        Assert.Equal(new ImageOptions { Color = ImageColor.Grayscale, Resize = false }, images.Images);
        Assert.Equal(new Dictionary<string, string> { ["images"] = "2ee255cdafce167011b86221d5e372185ca835be2b441965c55b9a171ff097cb" }, images.Sha256);
        Assert.Equal(ImagePreparation.UciDigits, images.Prepare);
    }

    [Fact]
    public void Prepare_reaches_the_description_and_defaults_to_decode_for_images_and_none_for_the_others()
    {
        var run = GeneratorHarness.RunWithDatasets(
        [
            GeneratorHarness.Dataset("pets.yaml", Images),
            GeneratorHarness.Dataset("letters.yaml", Idx),
            GeneratorHarness.Dataset("iris.yaml", Csv),
            GeneratorHarness.Dataset("digits.yaml", Idx + "prepare: mnist-digit\n"),
            GeneratorHarness.Dataset("clothes.yaml", Idx + "prepare: fashion-mnist\n"),
            GeneratorHarness.Dataset("counts.yaml", Csv.Replace("[4]", "[64]", StringComparison.Ordinal) + "prepare: uci-digits\n"),
            GeneratorHarness.Dataset("small.yaml", Images.Replace("[3, 32, 32]", "[1, 8, 8]", StringComparison.Ordinal) + "prepare: uci-digits\n"),
            GeneratorHarness.Dataset("kept.yaml", Images + "prepare: none\n"),
            GeneratorHarness.Dataset("kaggle.yaml", Csv.Replace("[4]", "[784]", StringComparison.Ordinal) + "prepare: mnist-digit\n"),
            GeneratorHarness.Dataset("clothes-csv.yaml", Csv.Replace("[4]", "[784]", StringComparison.Ordinal) + "prepare: fashion-mnist\n"),
        ]);
        Assert.Empty(run.AssertGeneratorDidNotThrow());
        var catalog = LoadCatalog(run);

        ImagePreparation Of(string property) => ((DatasetDescription)catalog[property]!).Prepare;
        Assert.Equal(
            [ImagePreparation.Decode, ImagePreparation.None, ImagePreparation.None, ImagePreparation.MnistDigit, ImagePreparation.FashionMnist, ImagePreparation.UciDigits, ImagePreparation.UciDigits, ImagePreparation.None, ImagePreparation.MnistDigit, ImagePreparation.FashionMnist],
            new[] { "Pets", "Letters", "Iris", "Digits", "Clothes", "Counts", "Small", "Kept", "Kaggle", "ClothesCsv" }.Select(Of));
        Assert.Contains("Prepare = global::Experiments.Data.ImagePreparation.MnistDigit,", run.Source("DatasetCatalog.g.cs"), StringComparison.Ordinal);
    }

    /// <summary>A preparation that cannot make the dataset's examples: each makes one shape, and decode reads image files.</summary>
    public static TheoryData<string, int, int, string> Preparations => new()
    {
        { Idx + "prepare: mnist-digits\n", 6, 10, "prepare must be one of 'decode', 'mnist-digit', 'fashion-mnist', 'uci-digits', 'none', but is 'mnist-digits' (did you mean 'mnist-digit'?)" },
        { Csv + "prepare: decode\n", 6, 10, "prepare must be a preparation for a csv dataset ('decode' decodes files as the images loader does, so it is for images datasets only; 'mnist-digit', 'fashion-mnist', 'uci-digits' or 'none'), but is 'decode'" },
        { Idx + "prepare: decode\n", 6, 10, "prepare must be a preparation for an idx dataset ('decode' decodes files as the images loader does, so it is for images datasets only; 'mnist-digit', 'fashion-mnist', 'uci-digits' or 'none'), but is 'decode'" },
        { Images + "prepare: mnist-digit\n", 6, 10, "prepare must be a preparation that makes this dataset's examples, shape [3, 32, 32] of images ('mnist-digit' makes 28x28 grey images: idx or images of shape [1, 28, 28], or csv of shape [784] with the pixels row-major), but is 'mnist-digit'" },
        { Csv + "prepare: fashion-mnist\n", 6, 10, "prepare must be a preparation that makes this dataset's examples, shape [4] of csv ('fashion-mnist' makes 28x28 grey images: idx or images of shape [1, 28, 28], or csv of shape [784] with the pixels row-major), but is 'fashion-mnist'" },
        { Idx + "prepare: uci-digits\n", 6, 10, "prepare must be a preparation that makes this dataset's examples, shape [1, 28, 28] of idx ('uci-digits' makes 8x8 counts of 0-16: csv of shape [64] or images of shape [1, 8, 8]), but is 'uci-digits'" },
    };

    [Theory]
    [MemberData(nameof(Preparations))]
    public void A_preparation_that_cannot_make_the_datasets_examples_is_one_diagnostic_at_its_value(string text, int row, int column, string message) =>
        AssertOneDiagnostic(text, "EXP0040", row, column, message);

    [Fact]
    public void Every_key_reaches_the_emitted_description()
    {
        var csvFile = "description: \"Irises: \\\"four\\\" measurements\"\nformat: csv\nroot: /srv/data/iris\ntrain: iris.csv\ntestFraction: 0.3\nsplitSeed: 7\nshape: [4]\n"
            + "classes: [setosa, versicolor, virginica]\ndivideBy: 2.5\nnormalize: standardize\ncsv: {headerLines: 2, label: species, separator: \";\"}\n"
            + "sha256: {iris.csv: " + new string('a', 64) + "}\ndebianPackage: dataset-iris\n";
        var imageFile = Images + "color: rgb\nresize: true\ndivideBy: 1\n";
        var idxFile = Idx + "mirrors: [https://example.org/a/, http://example.org/b/]\n";
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("iris.yaml", csvFile), GeneratorHarness.Dataset("pets.yaml", imageFile), GeneratorHarness.Dataset("letters.yml", idxFile), GeneratorHarness.Dataset("first.yaml", Csv + "csv: {label: first}\n"), GeneratorHarness.Dataset("third.yaml", Csv + "csv: {label: 2}\n")]);
        Assert.Empty(run.AssertGeneratorDidNotThrow());
        var catalog = LoadCatalog(run);

        var iris = (DatasetDescription)catalog["Iris"]!;
        Assert.Equal(("Irises: \"four\" measurements", DatasetFormat.Csv, "/srv/data/iris", "datasets/iris.yaml"), (iris.Description, iris.Format, iris.Root, iris.SourceFile));
        Assert.Equal((0.3, 7, 2.5), (iris.TestFraction, iris.SplitSeed, iris.InputDivisor));
        Assert.Equal(["setosa", "versicolor", "virginica"], iris.ClassNames);
        Assert.Equal(new CsvOptions { HeaderLines = 2, LabelColumn = null, LabelColumnName = "species", Separator = ';' }, iris.Csv);
        Assert.Equal(new string('a', 64), iris.Sha256["iris.csv"]);
        Assert.Equal("dataset-iris", iris.DebianPackage);

        var pets = (DatasetDescription)catalog["Pets"]!;
        Assert.Equal(new ImageOptions { Color = ImageColor.Rgb, Resize = true }, pets.Images);
        Assert.Equal(("pets", 1.0, new DatasetSource("test")), (pets.Root, pets.InputDivisor, pets.Test));
        Assert.Equal([3, 32, 32], pets.Shape);

        var letters = (DatasetDescription)catalog["Letters"]!;
        Assert.Equal([new Uri("https://example.org/a/"), new Uri("http://example.org/b/")], letters.Mirrors);
        Assert.Equal(new DatasetSource("test-images", "test-labels"), letters.Test);
        Assert.Equal(0, ((DatasetDescription)catalog["First"]!).Csv!.LabelColumn);
        Assert.Equal(2, ((DatasetDescription)catalog["Third"]!).Csv!.LabelColumn);
        Assert.Equal(1.0, ((DatasetDescription)catalog["Third"]!).InputDivisor);
    }

    public static TheoryData<string, string, string, int, int, string> Mistakes => new()
    {
        { Csv, "format: csv", "EXP0040", 1, 9, "format must be one of 'idx', 'images', 'csv', but is 'image' (did you mean 'images'?)" },
        { Csv, "shape: [4]", "EXP0040", 4, 8, "shape must be [features] (one number: the feature columns of a row) for a csv dataset, but is [4, 1]" },
        { Images, "shape: [3, 32, 32]", "EXP0040", 4, 8, "shape must be [channels, height, width] with 1 channel (grayscale) or 3 (rgb) for a images dataset, but is [2, 32, 32]" },
        { Idx, "shape: [1, 28, 28]", "EXP0040", 4, 12, "Each size of shape must be a whole number from 1 to 1000000, but is '0'" },
        { Csv, "classes: 3", "EXP0040", 5, 10, "classes must be a list of at least 2 distinct class names, or their number (at least 2), at most 100000, but is '1'" },
        { Images, "classes: [cat, dog]", "EXP0040", 5, 16, "Each class name must be different from the others ('cat' is also at line 5), but is 'cat'" },
        { Csv, "testFraction: 0.2", "EXP0040", 3, 15, "testFraction must be a number from 0 (exclusive) to 1 (exclusive), but is '1'" },
        { Idx, "train: {images: train-images, labels: train-labels}", "EXP0040", 2, 17, "train.images must be the file's name without '.gz' (the store looks for name.gz, then name), but is 'train-images.gz'" },
        { Images, "train: train", "EXP0040", 2, 8, "train must be a folder with one sub-folder per class, relative to root, but is a mapping" },
        { Csv, "format: csv", "EXP0041", 6, 1, "Key 'mirrors' applies to idx datasets only, and this dataset's format is 'csv'; remove it" },
        { Csv, "format: csv", "EXP0041", 6, 1, "Key 'shufle' is not a key of a dataset file; the keys are: description, format, root, train, test, testFraction, splitSeed, shape, classes, color, resize, divideBy, normalize, prepare, csv, sha256, mirrors, debianPackage" },
        { Csv, "format: csv", "EXP0041", 5, 1, "Key 'testFraction' cannot be set together with 'test' (line 6): the test split is the 'test' source, or a fraction drawn from 'train', not both; remove one" },
        { Csv, "format: csv", "EXP0040", 6, 20, "sha256.iris.csv must be 64 lower-case hex digits (what sha256sum prints), but is 'ABC'" },
        { Csv, "format: csv", "EXP0041", 6, 10, "Key 'sha256.iris.cvs' names no source of this dataset (did you mean 'iris.csv'?); the sources are: iris.csv" },
        { Csv, "format: csv", "EXP0040", 6, 16, "debianPackage must be a Debian package name (lower-case letters, digits and + - ., e.g. 'dataset-fashion-mnist'), but is 'Iris Data'" },
        { Idx, "format: idx", "EXP0040", 6, 11, "Each mirror must be an absolute http or https URL, but is 'ftp://example.org/'" },
        { Csv, "format: csv", "EXP0040", 6, 18, "csv.separator must be one character (quoted: ',' as \",\", a tab as \"\\t\"), not a quote or a line break, but is the quoted text ';;'" },
        { Csv, "format: csv", "EXP0040", 6, 11, "divideBy must be a positive number, but is '0'" },
    };

    /// <summary>What each mistake's file is: the valid file with one line replaced, or a line added (line 6).</summary>
    private static string Broken(string valid, string line, string message) => message switch
    {
        _ when message.Contains("'image'", StringComparison.Ordinal) => valid.Replace(line, "format: image", StringComparison.Ordinal),
        _ when message.Contains("[4, 1]", StringComparison.Ordinal) => valid.Replace(line, "shape: [4, 1]", StringComparison.Ordinal),
        _ when message.Contains("[2, 32, 32]", StringComparison.Ordinal) => valid.Replace(line, "shape: [2, 32, 32]", StringComparison.Ordinal),
        _ when message.Contains("Each size", StringComparison.Ordinal) => valid.Replace(line, "shape: [1, 0, 28]", StringComparison.Ordinal),
        _ when message.StartsWith("classes", StringComparison.Ordinal) => valid.Replace(line, "classes: 1", StringComparison.Ordinal),
        _ when message.Contains("'cat' is also", StringComparison.Ordinal) => valid.Replace(line, "classes: [cat, cat]", StringComparison.Ordinal),
        _ when message.StartsWith("testFraction must", StringComparison.Ordinal) => valid.Replace(line, "testFraction: 1", StringComparison.Ordinal),
        _ when message.Contains(".gz", StringComparison.Ordinal) => valid.Replace("train-images}", "train-images.gz}", StringComparison.Ordinal).Replace("images: train-images,", "images: train-images.gz,", StringComparison.Ordinal),
        _ when message.StartsWith("train must", StringComparison.Ordinal) => valid.Replace(line, "train: {images: a, labels: b}", StringComparison.Ordinal),
        _ when message.Contains("'mirrors'", StringComparison.Ordinal) => valid + "mirrors: [https://example.org/]\n",
        _ when message.Contains("'shufle'", StringComparison.Ordinal) => valid + "shufle: true\n",
        _ when message.Contains("together", StringComparison.Ordinal) => valid.Replace("testFraction: 0.2\n", string.Empty, StringComparison.Ordinal) + "testFraction: 0.2\ntest: test.csv\n",
        _ when message.Contains("'ABC'", StringComparison.Ordinal) => valid + "sha256: {iris.csv: ABC}\n",
        _ when message.Contains("iris.cvs", StringComparison.Ordinal) => valid + "sha256: {iris.cvs: " + new string('0', 64) + "}\n",
        _ when message.StartsWith("debianPackage", StringComparison.Ordinal) => valid + "debianPackage: Iris Data\n",
        _ when message.Contains("mirror", StringComparison.Ordinal) => valid + "mirrors: [ftp://example.org/]\n",
        _ when message.StartsWith("csv.separator", StringComparison.Ordinal) => valid + "csv: {separator: \";;\"}\n",
        _ => valid + "divideBy: 0\n",
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_in_a_dataset_file_is_one_diagnostic_at_the_key_or_value_at_fault(string valid, string line, string id, int row, int column, string message) =>
        AssertOneDiagnostic(Broken(valid, line, message), id, row, column, message);

    /// <summary>Files whose every value has the right type, but which describe data the loader cannot read as meant.</summary>
    public static TheoryData<string, string, int, int, string> Rules => new()
    {
        // An idx dataset names its test files: the loader draws no split from them.
        { Idx + "testFraction: 0.2\n", "EXP0041", 6, 1, "Key 'testFraction' applies to images and csv datasets only: an idx dataset names its test files under 'test' (a test split is not drawn from idx files); remove it" },
        { Idx + "splitSeed: 3\n", "EXP0041", 6, 1, "Key 'splitSeed' applies to images and csv datasets only: an idx dataset names its test files under 'test' (a test split is not drawn from idx files); remove it" },

        // A label column index counts the features and the label.
        { Csv + "csv: {label: 5}\n", "EXP0040", 6, 14, "csv.label must be a column of the 5 of a row (shape [4]: 4 features and the label), a 0-based index from 0 to 4, 'first', 'last' or a column name, but is '5'" },
        { Csv.Replace("[4]", "[1]", StringComparison.Ordinal) + "csv: {label: 2}\n", "EXP0040", 6, 14, "csv.label must be a column of the 2 of a row (shape [1]: 1 feature and the label), a 0-based index from 0 to 1, 'first', 'last' or a column name, but is '2'" },

        // A test source that is, lies in or holds the train source leaks the split.
        { Images.Replace("test: test", "test: ./train/sub/", StringComparison.Ordinal), "EXP0040", 3, 7, "test must be a source apart from the training data, not inside train 'train' (line 2): the split would leak, its test examples being trained on, but is './train/sub/'" },
        { Images.Replace("train: train\ntest: test", "train: all/train\ntest: all//", StringComparison.Ordinal), "EXP0040", 3, 7, "test must be a source apart from the training data, not holding train 'all/train' (line 2): the split would leak, its test examples being trained on, but is 'all//'" },
        { Csv.Replace("testFraction: 0.2", "test: ./iris.csv", StringComparison.Ordinal), "EXP0040", 3, 7, "test must be a source apart from the training data, not the same as train 'iris.csv' (line 2): the split would leak, its test examples being trained on, but is './iris.csv'" },
        { Idx.Replace("images: test-images", "images: train-images", StringComparison.Ordinal), "EXP0040", 3, 16, "test.images must be a source apart from the training data, not the same as train.images 'train-images' (line 2): the split would leak, its test examples being trained on, but is 'train-images'" },
        { Idx.Replace("labels: test-labels", "labels: ./train-labels", StringComparison.Ordinal), "EXP0040", 3, 37, "test.labels must be a source apart from the training data, not the same as train.labels 'train-labels' (line 2): the split would leak, its test examples being trained on, but is './train-labels'" },

        // An images dataset's class names are folder names the loader reads.
        { Images.Replace("[cat, dog]", "[cat, a/b]", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name (no '/', '\\', NUL or other control character), but is 'a/b'" },
        { Images.Replace("[cat, dog]", "[cat, 'a\\b']", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name (no '/', '\\', NUL or other control character), but is the quoted text 'a\\b'" },
        { Images.Replace("[cat, dog]", "[cat, \"a\\tb\"]", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name (no '/', '\\', NUL or other control character), but is the quoted text 'a\tb'" },
        { Images.Replace("[cat, dog]", "[cat, '..']", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name (not '.' or '..'), but is the quoted text '..'" },
        { Images.Replace("[cat, dog]", "[cat, .dogs]", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name not starting with '.' (the loader skips hidden entries), but is '.dogs'" },
        { Images.Replace("[cat, dog]", "[cat, thumbs.DB]", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be a folder's name other than 'Thumbs.db' (the loader skips it), but is 'thumbs.DB'" },
        { Images.Replace("[cat, dog]", "[Desktop.ini, dog]", StringComparison.Ordinal), "EXP0040", 5, 11, "Each class name of an images dataset must be a folder's name other than 'desktop.ini' (the loader skips it), but is 'Desktop.ini'" },
        { Images.Replace("[cat, dog]", "[cat, Cat]", StringComparison.Ordinal), "EXP0040", 5, 16, "Each class name of an images dataset must be different from the others in more than case ('cat' is at line 5: their folders clash on case-insensitive file systems), but is 'Cat'" },

        // A separator that can be part of a number would split numbers.
        { Csv + "csv: {separator: \".\"}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is the quoted text '.'" },
        { Csv + "csv: {separator: '-'}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is the quoted text '-'" },
        { Csv + "csv: {separator: +}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is '+'" },
        { Csv + "csv: {separator: e}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is 'e'" },
        { Csv + "csv: {separator: E}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is 'E'" },
        { Csv + "csv: {separator: \"7\"}\n", "EXP0040", 6, 18, "csv.separator must be a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E'), but is the quoted text '7'" },
        { Csv + "csv: {separator: '\"'}\n", "EXP0040", 6, 18, "csv.separator must be one character (quoted: ',' as \",\", a tab as \"\\t\"), not a quote or a line break, but is the quoted text '\"'" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Data_the_loader_cannot_read_as_described_is_one_diagnostic_at_the_key_or_value_at_fault(string text, string id, int row, int column, string message) =>
        AssertOneDiagnostic(text, id, row, column, message);

    [Theory]
    [InlineData("csv: {label: 4}\n", 4)]
    [InlineData("csv: {label: 0}\n", 0)]
    [InlineData("csv: {label: last}\n", null)]
    public void A_label_index_up_to_the_feature_count_is_a_column(string line, int? column)
    {
        var catalog = LoadCatalog(GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", Csv + line)]));

        Assert.Equal(column, ((DatasetDescription)catalog["Iris"]!).Csv!.LabelColumn);
    }

    [Fact]
    public void Separators_and_class_names_that_are_fine_stay_fine()
    {
        var run = GeneratorHarness.RunWithDatasets(
        [
            GeneratorHarness.Dataset("tabs.yaml", Csv + "csv: {separator: \"\\t\"}\n"),
            GeneratorHarness.Dataset("semi.yaml", Csv + "csv: {separator: ;}\n"),
            GeneratorHarness.Dataset("pets.yaml", Images.Replace("[cat, dog]", "[cat., 'my dog', Thumbs, d.o.g]", StringComparison.Ordinal)),
            GeneratorHarness.Dataset("digits.yaml", Images.Replace("[cat, dog]", "10", StringComparison.Ordinal)),
            GeneratorHarness.Dataset("nested.yaml", Images.Replace("train: train\ntest: test", "train: all/train\ntest: all/test", StringComparison.Ordinal)),
            GeneratorHarness.Dataset("cased.yaml", Images.Replace("test: test", "test: Train", StringComparison.Ordinal)),
            GeneratorHarness.Dataset("letters.yaml", Idx.Replace("classes: 10", "classes: [a/b, A/B, .x, ..]", StringComparison.Ordinal)),
        ]);

        Assert.Empty(run.AssertGeneratorDidNotThrow());
    }

    [Fact]
    public void An_idx_dataset_must_name_its_test_files()
    {
        var withoutTest = Idx.Replace("test: {images: test-images, labels: test-labels}\n", string.Empty, StringComparison.Ordinal);
        var diagnostics = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("d.yaml", withoutTest + "testFraction: 0.2\n")]).AssertGeneratorDidNotThrow();

        Assert.Equal(
            [
                ("EXP0042", 1, 1, "Required key 'test' is missing (an idx dataset names its test files, {images: <file>, labels: <file>}: a test split is not drawn from idx files)"),
                ("EXP0041", 5, 1, "Key 'testFraction' applies to images and csv datasets only: an idx dataset names its test files under 'test' (a test split is not drawn from idx files); remove it"),
            ],
            diagnostics.Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Location.GetLineSpan().StartLinePosition.Character + 1, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))));
    }

    private static void AssertOneDiagnostic(string text, string id, int row, int column, string message)
    {
        var file = GeneratorHarness.Dataset("iris.yaml", text);
        var run = GeneratorHarness.RunWithDatasets([file], GeneratorHarness.File("e.yaml", "dataset: iris\n" + Experiment));
        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());

        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal((file.Path, row, column), (span.Path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));

        // The dataset is not in the catalog, and the experiment on it is not reported again.
        Assert.DoesNotContain(" Iris {", run.DatasetCatalog, StringComparison.Ordinal);
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
        run.AssertCompilesClean();
    }

    [Theory]
    [InlineData("", "Required key 'format' is missing (one of 'idx', 'images', 'csv')")]
    [InlineData("format: csv\n", "Required key 'train' is missing (a CSV file)")]
    [InlineData("format: idx\ntrain: {images: a, labels: b}\nshape: [1, 2, 2]\nclasses: 2\n", "Required key 'test' is missing (an idx dataset names its test files, {images: <file>, labels: <file>}: a test split is not drawn from idx files)")]
    public void Missing_keys_are_reported_at_the_start_of_the_file(string text, string first)
    {
        var run = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("d.yaml", text + "description: x\n")]);
        var diagnostics = run.AssertGeneratorDidNotThrow();

        Assert.All(diagnostics, d => Assert.Equal(("EXP0042", 0), (d.Id, d.Location.GetLineSpan().StartLinePosition.Line)));
        Assert.Contains(diagnostics, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture) == first);
    }

    [Fact]
    public void An_unknown_dataset_is_reported_at_the_value_with_the_closest_name_and_the_list()
    {
        var diagnostic = Assert.Single(GeneratorHarness.Run(GeneratorHarness.File("a.yaml", "dataset: digits-cvs\n" + Experiment)).AssertGeneratorDidNotThrow());

        Assert.Equal("EXP0043", diagnostic.Id);
        DiagnosticTests.AssertAt(diagnostic, "a.yaml", 1, 10);
        Assert.Equal("dataset 'digits-cvs' is not described (did you mean 'digits-csv'?); the datasets are: digits-csv, digits-images, fashion-mnist, mnist (each is a file datasets/<name>.yaml)", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Without_a_mnist_file_an_experiment_that_names_no_dataset_is_reported_at_the_file()
    {
        var run = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", Csv)], GeneratorHarness.File("a.yaml", Experiment));
        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());

        Assert.Equal("EXP0043", diagnostic.Id);
        DiagnosticTests.AssertAt(diagnostic, "a.yaml", 1, 1);
        Assert.Equal("dataset 'mnist' is not described; the datasets are: iris (each is a file datasets/<name>.yaml)", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Input_size_and_classes_default_to_the_datasets_and_must_equal_them_when_given()
    {
        var iris = GeneratorHarness.Dataset("iris.yaml", Csv);
        var run = GeneratorHarness.RunWithDatasets([iris], GeneratorHarness.File("a.yaml", "dataset: iris\n" + Experiment));
        run.AssertCompilesClean();
        var hyperparameters = run.Source("A.Experiment.g.cs");
        Assert.Contains("public const int InputSize = 4;", hyperparameters, StringComparison.Ordinal);
        Assert.Contains("public const int NumClasses = 3;", hyperparameters, StringComparison.Ordinal);

        var bad = GeneratorHarness.RunWithDatasets([iris], GeneratorHarness.File("b.yaml", "dataset: iris\ninputSize: 784\nnumClasses: 10\n" + Experiment)).AssertGeneratorDidNotThrow();
        Assert.Equal(
            ["inputSize is 784, but dataset 'iris' has 4 values per example (shape [4]); remove inputSize to use the dataset's", "numClasses is 10, but dataset 'iris' has 3 classes; remove numClasses to use the dataset's"],
            bad.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(bad, d => Assert.Equal("EXP0008", d.Id));
        DiagnosticTests.AssertAt(bad[0], "b.yaml", 2, 12);
        DiagnosticTests.AssertAt(bad[1], "b.yaml", 3, 13);
    }

    [Fact]
    public void A_convolution_on_a_csv_dataset_is_an_error_at_the_layer_with_the_shape()
    {
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("iris.yaml", Csv)],
            GeneratorHarness.File("a.yaml", "dataset: iris\n" + Experiment + "model:\n  layers:\n    - conv2d: {channels: 4, kernel: 3}\n    - flatten\n    - linear: 3\n"));
        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());

        Assert.Equal("EXP0024", diagnostic.Id);
        DiagnosticTests.AssertAt(diagnostic, "a.yaml", 7, 37);
        Assert.Contains("[4]", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_on_a_dataset_is_built_for_its_shape()
    {
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("pets.yaml", Images)],
            GeneratorHarness.File("a.yaml", "dataset: pets\n" + Experiment + "model:\n  layers:\n    - conv2d: {channels: 4, kernel: 3}\n    - flatten\n    - linear: 2\n"));

        run.AssertCompilesClean();
        Assert.Contains("[3, 32, 32]", run.Source("AModel.g.cs").Replace("new[] { ", "[", StringComparison.Ordinal).Replace(" }", "]", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deskew: true", "deskew must be 'false' on dataset 'pets' of shape [3, 32, 32] (it needs images of one channel, [1, height, width]), but is 'true'", 5, 9)]
    [InlineData("augment: shifts", "augment must be 'none' on dataset 'pets' of shape [3, 32, 32] (it needs images of one channel, [1, height, width]), but is 'shifts'", 5, 10)]
    public void Deskewing_and_shifting_need_a_single_channel_image(string line, string message, int row, int column)
    {
        var run = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("pets.yaml", Images)], GeneratorHarness.File("a.yaml", "dataset: pets\n" + Experiment + line + "\n"));
        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());

        Assert.Equal(("EXP0003", message), (diagnostic.Id, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        DiagnosticTests.AssertAt(diagnostic, "a.yaml", row, column);
    }

    [Fact]
    public void An_experiment_normalizes_as_its_dataset_says_unless_it_says_otherwise()
    {
        var iris = GeneratorHarness.Dataset("iris.yaml", Csv + "normalize: standardize\n");
        var run = GeneratorHarness.RunWithDatasets([iris], GeneratorHarness.File("a.yaml", "dataset: iris\n" + Experiment), GeneratorHarness.File("b.yaml", "dataset: iris\nnormalize: none\n" + Experiment));

        run.AssertCompilesClean();
        Assert.Contains("public const InputNormalization Normalize = global::Experiments.InputNormalization.Standardize;", run.Source("A.Experiment.g.cs"), StringComparison.Ordinal);
        Assert.Contains("public const InputNormalization Normalize = global::Experiments.InputNormalization.None;", run.Source("B.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_configuration_hash_changes_with_the_dataset_file_and_not_with_its_comments()
    {
        var experiment = GeneratorHarness.File("a.yaml", "dataset: iris\n" + Experiment);
        string Hash(string dataset) => Constant(GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", dataset)], experiment).AssertCompilesClean(), "A");

        var plain = Hash(Csv);
        Assert.Equal(plain, Hash("# Fisher's irises\n" + Csv.Replace("\n", "   # note\n", StringComparison.Ordinal)));
        Assert.Equal(plain, Hash(Csv.Replace("classes: 3", "classes: ['0', '1', '2']", StringComparison.Ordinal)));
        Assert.Equal(plain, Hash(Csv + "splitSeed: 0\ndivideBy: 1\nnormalize: none\nroot: iris\ncsv: {headerLines: 0, label: last, separator: ','}\n"));
        Assert.NotEqual(plain, Hash(Csv.Replace("testFraction: 0.2", "testFraction: 0.3", StringComparison.Ordinal)));
        Assert.NotEqual(plain, Hash(Csv + "divideBy: 10\n"));
    }

    [Fact]
    public void Keys_that_do_not_change_the_data_keep_the_configuration_hash_and_the_others_change_it()
    {
        var experiment = GeneratorHarness.File("a.yaml", "dataset: iris\n" + Experiment);
        string Hash(string dataset) => Constant(GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", dataset)], experiment).AssertCompilesClean(), "A");
        string Edit(string file, string from, string to) => file.Replace(from, to, StringComparison.Ordinal);
        var sha = new string('a', 64);

        foreach (var (file, same, changed) in new[]
        {
            (Csv,
                new[] { "description: Fisher's irises\n", "debianPackage: dataset-iris\n", "sha256: {iris.csv: " + sha + "}\n", "prepare: none\n" },
                new[]
                {
                    Edit(Csv, "[4]", "[5]"), Edit(Csv, "classes: 3", "classes: [a, b, c]"), Csv + "divideBy: 2\n", Csv + "normalize: standardize\n",
                    Edit(Csv, "0.2", "0.25"), Csv + "splitSeed: 1\n", Csv + "csv: {headerLines: 1}\n", Csv + "csv: {label: first}\n", Csv + "csv: {separator: ;}\n",
                    Csv + "root: other\n", Edit(Csv, "iris.csv", "iris2.csv"), Edit(Csv, "testFraction: 0.2", "test: iris-test.csv"),
                }),
            (Images,
                new[] { "description: pets\n", "sha256: {train: " + sha + ", test: " + sha + "}\n", "prepare: none\n", "prepare: decode\n" },
                new[] { Edit(Images, "[3, 32, 32]", "[1, 32, 32]"), Images + "resize: true\n", Edit(Images, "test: test", "test: validation"), Edit(Images, "train: train", "train: training") }),
            (Idx,
                new[] { "mirrors: [https://example.org/]\n", "debianPackage: dataset-letters\n", "description: letters\n", "sha256: {train-images: " + sha + "}\n", "prepare: mnist-digit\n", "prepare: fashion-mnist\n" },
                new[] { Edit(Idx, "images: test-images", "images: t10k-images"), Edit(Idx, "labels: train-labels", "labels: train-labels-2"), Edit(Idx, "classes: 10", "classes: 11"), Edit(Idx, "[1, 28, 28]", "[1, 28, 29]") }),
        })
        {
            var plain = Hash(file);
            Assert.All(same, line => Assert.Equal(plain, Hash(file + line)));
            Assert.All(changed, edited => Assert.NotEqual(plain, Hash(edited)));
        }

        // The colour follows the shape, so only the shape can change it: the same colour spelt out is the same data.
        Assert.Equal(Hash(Images), Hash(Images + "color: rgb\n"));
    }

    [Fact]
    public void The_dataset_canonical_form_leaves_out_what_does_not_change_the_data()
    {
        var sha = new string('a', 64);
        var file = "description: irises\nformat: csv\ntrain: iris.csv\ntestFraction: 0.2\nshape: [4]\nclasses: [a, b]\nsha256: {iris.csv: " + sha + "}\ndebianPackage: dataset-iris\n";
        var catalog = LoadCatalog(GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", file)]));
        var form = "experiments-dataset/2\nclasses=[\"a\",\"b\"]\ncsv.headerLines=0\ncsv.label=last\ncsv.separator=,\ndivideBy=1\nformat=csv\nname=iris\nnormalize=none\nroot=iris\nshape=[4]\nsplitSeed=0\ntestFraction=0.2\ntrain=iris.csv\n";

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(form))), ((DatasetDescription)catalog["Iris"]!).DescriptionSha256);
    }

    [Fact]
    public void A_sweep_may_sweep_the_dataset()
    {
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("iris.yaml", Csv), GeneratorHarness.Dataset("wide.yaml", Csv.Replace("[4]", "[8]", StringComparison.Ordinal))],
            GeneratorHarness.File("s.yaml", Experiment + "sweep: {dataset: [iris, wide]}\n"));

        run.AssertCompilesClean();
        Assert.Contains("public const int InputSize = 4;", run.Source("S_DatasetIris.Experiment.g.cs"), StringComparison.Ordinal);
        Assert.Contains("public const int InputSize = 8;", run.Source("S_DatasetWide.Experiment.g.cs"), StringComparison.Ordinal);

        var unknown = Assert.Single(GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", Csv)], GeneratorHarness.File("s.yaml", Experiment + "sweep: {dataset: [iris, irs]}\n")).AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0043", unknown.Id);
    }

    [Fact]
    public void An_experiment_was_built_from_its_dataset_file_too()
    {
        // A comment and a byte-order mark: the hash is of the text, as ExperimentFile.Check reads it at run time.
        const string Iris = "\uFEFF# Fisher's irises\n" + Csv;
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("iris.yaml", Iris), GeneratorHarness.Dataset("pets.yaml", Images)],
            GeneratorHarness.File("_base.yaml", "dataset: iris\n"),
            GeneratorHarness.File("child.yaml", "extends: _base.yaml\n" + Experiment));

        Assert.Contains($"public const string DatasetsDirectory = \"{GeneratorHarness.DatasetsDirectory}\";", run.Catalog, StringComparison.Ordinal);
        Assert.Contains("BuiltFiles => global::Experiments.Generated.ExperimentCatalog.FilesOf(SourceFile, \"experiments/_base.yaml\", \"datasets/iris.yaml\");", run.Source("Child.Experiment.g.cs"), StringComparison.Ordinal);
        // Like the experiments folder, the datasets folder is in the catalog only.
        Assert.DoesNotContain(GeneratorHarness.DatasetsDirectory, run.Source("Child.Experiment.g.cs"), StringComparison.Ordinal);

        var child = Assert.Single(LoadExperiments(run), e => e.Name == "child");
        Assert.Equal(["experiments/child.yaml", "experiments/_base.yaml", "datasets/iris.yaml"], child.BuiltFiles.Select(f => f.SourceFile));
        var dataset = child.BuiltFiles[2];
        Assert.Equal(GeneratorHarness.DatasetsDirectory + "iris.yaml", dataset.FullPath);
        Assert.Equal(ExperimentFile.HashText(Iris), dataset.Sha256);
        Assert.NotEqual(ExperimentFile.HashText(Csv), dataset.Sha256);
    }

    [Fact]
    public void Each_member_of_a_sweep_over_the_dataset_was_built_from_its_own_dataset_file()
    {
        var wide = Csv.Replace("[4]", "[8]", StringComparison.Ordinal);
        var run = GeneratorHarness.RunWithDatasets(
            [GeneratorHarness.Dataset("iris.yaml", Csv), GeneratorHarness.Dataset("wide.yaml", wide)],
            GeneratorHarness.File("s.yaml", Experiment + "sweep: {dataset: [iris, wide]}\n"),
            GeneratorHarness.File("t.yaml", "dataset: wide\n" + Experiment + "sweep: {seed: [1, 2]}\n"));

        var experiments = LoadExperiments(run).ToDictionary(e => e.Name, e => e.BuiltFiles);
        Assert.Equal(["experiments/s.yaml", "datasets/iris.yaml"], experiments["s/dataset=iris"].Select(f => f.SourceFile));
        Assert.Equal(["experiments/s.yaml", "datasets/wide.yaml"], experiments["s/dataset=wide"].Select(f => f.SourceFile));
        Assert.Equal(ExperimentFile.HashText(wide), experiments["s/dataset=wide"][1].Sha256);

        // A sweep over other keys: its members share the dataset, named once in their base class.
        Assert.All(new[] { "t/seed=1", "t/seed=2" }, name => Assert.Equal(["experiments/t.yaml", "datasets/wide.yaml"], experiments[name].Select(f => f.SourceFile)));
        Assert.Contains("FilesOf(SourceFile, \"datasets/wide.yaml\")", run.Source("T.Sweep.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalog_is_emitted_empty_without_dataset_files()
    {
        var run = GeneratorHarness.RunWithDatasets([]);

        run.AssertCompilesClean();
        Assert.Contains("All { get; } = global::System.Array.Empty<global::Experiments.Data.DatasetDescription>();", run.DatasetCatalog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("all.yaml", "Dataset 'all' gets the C# property name 'All', which the catalog's list of every dataset (DatasetCatalog.All) takes; rename one of the files")]
    [InlineData("iris.yml", "Dataset 'iris' gets the C# property name 'Iris', as does 'datasets/iris.yaml'; rename one of the files")]
    public void Dataset_names_that_clash_are_reported_on_the_file(string name, string message)
    {
        var run = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("iris.yaml", Csv), GeneratorHarness.Dataset(name, Csv)]);
        var diagnostics = run.AssertGeneratorDidNotThrow();

        Assert.Contains(diagnostics, d => d.Id == "EXP0044" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture) == message && d.Location.GetLineSpan().Path == GeneratorHarness.DatasetsDirectory + name);
        run.AssertCompilesClean();
    }

    [Fact]
    public void A_file_under_both_folders_is_read_as_a_file_of_the_nearer_one()
    {
        // The datasets folder inside the experiments folder: its files are datasets, the others experiments.
        const string Experiments = "/project/experiments/";
        var dataset = new InMemoryAdditionalText(Experiments + "datasets/iris.yaml", Csv);
        var experiment = new InMemoryAdditionalText(Experiments + "a.yaml", "dataset: iris\n" + Experiment);
        var driver = GeneratorHarness.CreateDriver([dataset, experiment], Experiments, datasets: [], datasetsDirectory: Experiments + "datasets/");
        var run = GeneratorHarness.Run(driver, GeneratorHarness.CreateCompilation());

        run.AssertCompilesClean();
        Assert.Contains(" Iris { get; }", run.DatasetCatalog, StringComparison.Ordinal);
        Assert.Equal(["A.Experiment.g.cs", "AModel.g.cs", GeneratorHarness.CatalogHintName], run.HintNames.Order(StringComparer.Ordinal));

        // The experiments folder inside the datasets folder: its files are experiments.
        var inside = GeneratorHarness.CreateDriver([new InMemoryAdditionalText("/project/data/iris.yaml", Csv), new InMemoryAdditionalText("/project/data/experiments/a.yaml", "dataset: iris\n" + Experiment)], "/project/data/experiments/", datasets: [], datasetsDirectory: "/project/data/");
        var insideRun = GeneratorHarness.Run(inside, GeneratorHarness.CreateCompilation());
        insideRun.AssertCompilesClean();
        Assert.Contains("A.Experiment.g.cs", insideRun.HintNames);
    }

    /// <summary>Compiles the run's output and reads every static property of <c>DatasetCatalog</c>.</summary>
    private static Dictionary<string, object?> LoadCatalog(GeneratorRun run)
    {
        var compilation = run.AssertCompilesClean();
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = Assembly.Load(stream.ToArray());
        var type = assembly.GetType("Experiments.Generated.DatasetCatalog")!;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Static).ToDictionary(p => p.Name, p => p.GetValue(null));
    }

    /// <summary>Compiles the run's output and returns <c>ExperimentCatalog.All</c>.</summary>
    private static IReadOnlyList<IExperiment> LoadExperiments(GeneratorRun run)
    {
        var compilation = run.AssertCompilesClean();
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var type = Assembly.Load(stream.ToArray()).GetType("Experiments.Generated.ExperimentCatalog")!;
        return (IReadOnlyList<IExperiment>)type.GetProperty("All")!.GetValue(null)!;
    }

    private static string Constant(Compilation compilation, string prefix)
    {
        var type = compilation.GetTypeByMetadataName($"Experiments.Generated.{prefix}Hyperparameters")!;
        return (string)((IFieldSymbol)type.GetMembers("ConfigurationSha256").Single()).ConstantValue!;
    }
}
