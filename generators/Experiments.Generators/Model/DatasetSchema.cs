using System.Collections.Immutable;
using System.Linq;

namespace Experiments.Generators.Model;

/// <summary>One key a dataset file may set.</summary>
/// <param name="Name">The key, e.g. <c>testFraction</c>.</param>
/// <param name="Type">What its value is, for the README's table and the messages, e.g. "a whole number of at least 0".</param>
/// <param name="Default">What it is when the file does not set it, in words; null when it has none (required, or absent).</param>
/// <param name="Formats">The formats it applies to; empty: every format.</param>
/// <param name="Summary">What it means.</param>
internal sealed record DatasetKey(string Name, string Type, string? Default, ImmutableArray<string> Formats, string Summary)
{
    /// <summary>For a key whose value is one scalar: how it is read and checked (its name is the key's, or <c>csv.</c> and it).</summary>
    public KeyDefinition? Scalar { get; init; }

    /// <summary>Whether every file must set it.</summary>
    public bool Required { get; init; }

    /// <summary>Whether the key applies to <paramref name="format"/>.</summary>
    public bool AppliesTo(string format) => Formats.IsEmpty || Formats.Contains(format);

    /// <summary>"csv datasets", "idx and images datasets".</summary>
    public string FormatsText => string.Join(" and ", Formats) + " datasets";
}

/// <summary>
/// The keys of a dataset file (<c>datasets/&lt;name&gt;.yaml</c>). The parser validates against this table and its
/// messages quote it; the README's table and <c>datasets/dataset.schema.json</c> are checked against it.
/// </summary>
internal static class DatasetSchema
{
    public const string Idx = "idx";
    public const string Images = "images";
    public const string Csv = "csv";

    /// <summary>The first line of a description's canonical form (<see cref="ConfigurationHash.DatasetForm"/>).</summary>
    public const string FormVersion = "experiments-dataset/2";

    /// <summary>The most values one example may hold (an experiment's <c>inputSize</c> has the same limit).</summary>
    public const int MaxFeatures = 1_000_000;

    /// <summary>The most classes a dataset may have (an experiment's <c>numClasses</c> has the same limit).</summary>
    public const int MaxClasses = 100_000;

    /// <summary>The sub-keys of an idx source: the images file and the labels file.</summary>
    public const string ImagesFile = "images";
    public const string LabelsFile = "labels";

    public const string Last = "last";
    public const string First = "first";

    public static readonly ImmutableArray<string> FormatNames = ImmutableArray.Create(Idx, Images, Csv);

    private static readonly ImmutableArray<string> All = ImmutableArray<string>.Empty;
    private static readonly ImmutableArray<string> None = ImmutableArray<string>.Empty;

    public static readonly DatasetKey Description = new("description", "text", "empty", All, "Free text shown by `datasets` listings and in the catalog's doc comments.")
    {
        Scalar = new KeyDefinition("description", ValueKind.Text, false, "", null, false, null, false, None, "Free text."),
    };

    public static readonly DatasetKey Format = new("format", "`idx`, `images` or `csv`", null, All, "How the files hold the examples: IDX files (MNIST's format, raw or gzip), image files in one sub-folder per class, or a CSV file of feature columns and a label column.")
    {
        Scalar = new KeyDefinition("format", ValueKind.Choice, true, null, null, false, null, false, FormatNames, "The format."),
        Required = true,
    };

    public static readonly DatasetKey Root = new("root", "text (a path)", "the dataset's name", All, "The folder the sources are in: relative to the data root (searched in every data directory), or absolute.")
    {
        Scalar = new KeyDefinition("root", ValueKind.Text, false, null, null, false, null, false, None, "The folder."),
    };

    public static readonly DatasetKey Train = new("train", "idx: `{images: <file>, labels: <file>}`; images: a folder; csv: a file", null, All, "The training source, relative to `root`: for idx the images and labels files' names without `.gz` (found as `name.gz` or `name`), for images a folder with one sub-folder per class, for csv a file (gzip when it ends in `.gz`).")
    {
        Required = true,
    };

    public static readonly DatasetKey Test = new("test", "as `train`", "required for idx; images and csv: none, drawn from `train` by `testFraction`", All, "The test source, in the same form as `train`, apart from it (neither the same source nor inside it). Required for idx; for images and csv, without it `testFraction` holds out part of `train`.");

    public static readonly DatasetKey TestFraction = new("testFraction", "a number between 0 and 1 (exclusive)", "required without `test`", ImmutableArray.Create(Images, Csv), "Without `test`: the fraction of each class of `train` held out as the test split (a stratified draw).")
    {
        Scalar = new KeyDefinition("testFraction", ValueKind.Number, false, null, 0, true, 1, true, None, "The fraction."),
    };

    public static readonly DatasetKey SplitSeed = new("splitSeed", "a whole number of at least 0", "0", ImmutableArray.Create(Images, Csv), "With `testFraction`: the seed of the test draw; the same seed gives the same split.")
    {
        Scalar = new KeyDefinition("splitSeed", ValueKind.Integer, false, "0", 0, false, int.MaxValue, false, None, "The seed."),
    };

    public static readonly DatasetKey Shape = new("shape", "a list of positive whole numbers", null, All, "The shape of one example: `[channels, height, width]` for idx (1 channel) and images (1 or 3 channels), `[features]` for csv. Experiments' `inputSize` defaults to its product, and models are built for it.")
    {
        Required = true,
    };

    public static readonly DatasetKey Classes = new("classes", "a list of distinct names, or a whole number n", null, All, "The classes in label order: their names, or their number n (named `0` to `n-1`). At least 2. Experiments' `numClasses` defaults to their number.")
    {
        Required = true,
    };

    public static readonly DatasetKey Color = new("color", "`grayscale` or `rgb`", "from `shape`: 1 channel `grayscale`, 3 `rgb`", ImmutableArray.Create(Images), "How images are decoded: to one channel of luminance, or to red, green and blue (alpha dropped). Must agree with `shape`.")
    {
        Scalar = new KeyDefinition("color", ValueKind.Choice, false, null, null, false, null, false, ImmutableArray.Create("grayscale", "rgb"), "The color."),
    };

    public static readonly DatasetKey Resize = new("resize", "`true` or `false`", "false", ImmutableArray.Create(Images), "Resize every image to the shape's height x width; when false an image of another size is an error naming the file.")
    {
        Scalar = new KeyDefinition("resize", ValueKind.Boolean, false, "false", null, false, null, false, None, "Resize."),
    };

    public static readonly DatasetKey DivideBy = new("divideBy", "a positive number", "255 for idx and images, 1 for csv", All, "Raw values (pixels, CSV cells) are divided by it to give the model's inputs, before any `normalize`.")
    {
        Scalar = new KeyDefinition("divideBy", ValueKind.Number, false, null, 0, true, null, false, None, "The divisor."),
    };

    public static readonly DatasetKey Normalize = new("normalize", "`none` or `standardize`", "none", All, "The default of `normalize` for experiments on this dataset (an experiment's own `normalize` wins).")
    {
        Scalar = new KeyDefinition("normalize", ValueKind.Choice, false, "none", null, false, null, false, ImmutableArray.Create("none", "standardize"), "The normalization."),
    };

    /// <summary>The <c>prepare</c> of idx and csv datasets when the file sets none: <c>predict</c> has no way to make their examples from an image.</summary>
    public const string PrepareNone = "none";

    /// <summary>The <c>prepare</c> of images datasets when the file sets none: decode as the images loader does.</summary>
    public const string PrepareDecode = "decode";

    public const string PrepareMnistDigit = "mnist-digit";
    public const string PrepareFashionMnist = "fashion-mnist";
    public const string PrepareUciDigits = "uci-digits";

    /// <summary>The ways <c>predict</c> prepares a new image, as <c>prepare</c> names them.</summary>
    public static readonly ImmutableArray<string> Preparations = ImmutableArray.Create(PrepareDecode, PrepareMnistDigit, PrepareFashionMnist, PrepareUciDigits, PrepareNone);

    public static readonly DatasetKey Prepare = new("prepare", "`decode`, `mnist-digit`, `fashion-mnist`, `uci-digits` or `none`", "`decode` for images, `none` for idx and csv", All, "How `predict` turns a new image into one of this dataset's examples: `decode` as the images loader decodes (colour, resized to the shape); `mnist-digit` as MNIST was made (grey, inverted when light, cropped to the ink, fit into 20x20 keeping the aspect ratio, centred by centre of mass in 28x28); `fashion-mnist` as Fashion-MNIST was (trimmed, longest side to 28, centred, negated when light, grey); `uci-digits` as the UCI digits were (ink bitmap fit into 32x32, on-pixels counted in 4x4 blocks); `none`: new images cannot be prepared. It does not change the data: not in the configuration hash.")
    {
        Scalar = new KeyDefinition("prepare", ValueKind.Choice, false, null, null, false, null, false, Preparations, "The preparation."),
    };

    public static readonly DatasetKey CsvOptions = new("csv", "a mapping: `headerLines`, `label`, `separator`", "`{headerLines: 0, label: last, separator: ','}`", ImmutableArray.Create(Csv), "How rows are read: `headerLines` (lines skipped at the top, default 0), `label` (the label column: a 0-based index, `first`, `last` (default), or a column name, which needs a header line), `separator` (one character, default `,`).");

    public static readonly DatasetKey Sha256 = new("sha256", "a mapping from a source to 64 lower-case hex digits", "none: not checked", All, "The expected SHA-256 of each source named exactly as under `train` and `test` (for idx the file names): of a file's content (decompressed for gzip), or of an image folder's content hash. Sources without one are not checked.");

    public static readonly DatasetKey Mirrors = new("mirrors", "a list of absolute http(s) URLs", "none", ImmutableArray.Create(Idx), "Base URLs a missing file is downloaded from (as the URL, the file's name and `.gz`), tried in order.");

    public static readonly DatasetKey DebianPackage = new("debianPackage", "a Debian package name", "none", All, "A package that installs the files under `/usr/share/datasets/<root>/`, named in \"not found\" errors.")
    {
        Scalar = new KeyDefinition("debianPackage", ValueKind.Text, false, null, null, false, null, false, None, "The package."),
    };

    /// <summary>Every key, in the order documentation lists them.</summary>
    public static readonly ImmutableArray<DatasetKey> Keys = ImmutableArray.Create(
        Description, Format, Root, Train, Test, TestFraction, SplitSeed, Shape, Classes, Color, Resize, DivideBy, Normalize,
        Prepare, CsvOptions, Sha256, Mirrors, DebianPackage);

    public static readonly KeyDefinition HeaderLines = new("csv.headerLines", ValueKind.Integer, false, "0", 0, false, 1_000_000, false, None, "Lines skipped at the top of each file.");

    /// <summary>The keys of the <c>csv</c> mapping.</summary>
    public static readonly ImmutableArray<string> CsvKeys = ImmutableArray.Create("headerLines", "label", "separator");

    public static DatasetKey? Find(string name) => Keys.FirstOrDefault(k => k.Name == name);

    /// <summary>The default <c>divideBy</c> of a format.</summary>
    public static double DefaultDivisor(string format) => format == Csv ? 1 : 255;

    /// <summary>Characters a CSV separator may not be: they are part of numbers (or CSV's quote).</summary>
    public const string NumberCharacters = "0123456789.-+eE";

    /// <summary>Folder names the images loader skips (case-insensitively), so a class cannot be named so.</summary>
    public static readonly ImmutableArray<string> SkippedFolderNames = ImmutableArray.Create("Thumbs.db", "desktop.ini");
}
