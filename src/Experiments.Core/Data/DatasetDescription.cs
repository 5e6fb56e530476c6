namespace Experiments.Data;

/// <summary>How a dataset's files hold its examples.</summary>
public enum DatasetFormat
{
    /// <summary>IDX files (MNIST's format): an images file and a labels file per split, raw or gzip.</summary>
    Idx,

    /// <summary>Image files (PNG, JPEG, ...), one sub-folder per class named as the class.</summary>
    Images,

    /// <summary>A CSV file per split: one example per row, the feature columns and one label column.</summary>
    Csv,
}

/// <summary>The colour of an image dataset's examples.</summary>
public enum ImageColor
{
    /// <summary>One channel: colour images are converted to luminance when decoded.</summary>
    Grayscale,

    /// <summary>Three channels, red, green, blue; alpha is dropped.</summary>
    Rgb,
}

/// <summary>
/// How <c>predict</c> turns a new image (a user's photo or drawing) into one of a dataset's examples: the way the
/// dataset's own examples were made. The dataset file's <c>prepare</c>; it does not change the data, so it is not part
/// of the description's canonical form.
/// </summary>
public enum ImagePreparation
{
    /// <summary>New images cannot be prepared (the default of idx and CSV datasets): <c>predict</c> says so.</summary>
    None,

    /// <summary>Decoded as the images loader decodes a dataset's file (colour or luminance), resized to the shape (the default of images datasets).</summary>
    Decode,

    /// <summary>
    /// As MNIST was made: grey, inverted when the background is light, cropped to the ink's bounding box, scaled to
    /// fit 20x20 keeping the aspect ratio, centred by centre of mass in 28x28.
    /// </summary>
    MnistDigit,

    /// <summary>As Fashion-MNIST was made: trimmed of the background, longest side resized to 28, centred in 28x28, negated when light, grey.</summary>
    FashionMnist,

    /// <summary>
    /// As the UCI optical digits were made: the ink as a bitmap fit into 32x32, its on-pixels counted in each 4x4
    /// block, giving 8x8 counts of 0-16 (put on the dataset's scale: a count times <c>divideBy</c> / 16).
    /// </summary>
    UciDigits,
}

/// <summary>One split's source: a file or folder under the dataset's root (or an absolute path).</summary>
/// <param name="Path">For <see cref="DatasetFormat.Idx"/> the images file's name without <c>.gz</c> (looked for as
/// <c>Path.gz</c> or raw <c>Path</c>); for <see cref="DatasetFormat.Images"/> a folder holding one sub-folder per class;
/// for <see cref="DatasetFormat.Csv"/> a CSV file (gzip when it ends in <c>.gz</c>).</param>
/// <param name="Labels">For <see cref="DatasetFormat.Idx"/> only: the labels file's name without <c>.gz</c>.</param>
public sealed record DatasetSource(string Path, string? Labels = null)
{
    /// <summary>The paths the source names: <see cref="Path"/>, then <see cref="Labels"/> when set.</summary>
    public IReadOnlyList<string> Paths => Labels is null ? [Path] : [Path, Labels];
}

/// <summary>How a CSV dataset's rows are read. Numbers are parsed in the invariant culture.</summary>
public sealed record CsvOptions
{
    /// <summary>Lines skipped at the top of each file (a header is one line).</summary>
    public int HeaderLines { get; init; }

    /// <summary>The label column, 0-based; null: the last column. Every other column is a feature.</summary>
    public int? LabelColumn { get; init; }

    /// <summary>The label column by its name in the first header line (needs <see cref="HeaderLines"/> &gt;= 1); wins over <see cref="LabelColumn"/>.</summary>
    public string? LabelColumnName { get; init; }

    /// <summary>The cell separator.</summary>
    public char Separator { get; init; } = ',';
}

/// <summary>How an image dataset's files are decoded.</summary>
public sealed record ImageOptions
{
    /// <summary>Grayscale (1 channel) or RGB (3); agrees with the first entry of <see cref="DatasetDescription.Shape"/>.</summary>
    public ImageColor Color { get; init; } = ImageColor.Grayscale;

    /// <summary>
    /// Resize every image to the shape's height x width (high-quality resampling). When false an image of another
    /// size is an error naming the file.
    /// </summary>
    public bool Resize { get; init; }
}

/// <summary>
/// A dataset as its YAML description (<c>datasets/&lt;name&gt;.yaml</c>) declares it, checked by the build. The
/// source generator emits one per file into the project's <c>DatasetCatalog</c> (in its namespace); the dataset store finds,
/// verifies, decodes, splits and caches the files it names.
/// </summary>
public sealed record DatasetDescription
{
    /// <summary>The name experiments use (the description file's name), e.g. <c>mnist</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Free text from the file's <c>description</c> key, or empty.</summary>
    public string Description { get; init; } = "";

    /// <summary>The description file, relative to the project that built it (for messages); empty when made in code.</summary>
    public string SourceFile { get; init; } = "";

    public required DatasetFormat Format { get; init; }

    /// <summary>
    /// The folder the sources are relative to: relative to the data root (searched in every data directory, as
    /// <c>&lt;root&gt;/mnist/</c>) or absolute. Defaults to <see cref="Name"/> in YAML.
    /// </summary>
    public required string Root { get; init; }

    /// <summary>The shape of one example: [channels, height, width] for images and IDX, [features] for CSV.</summary>
    public required IReadOnlyList<int> Shape { get; init; }

    /// <summary>One display name per class, in class-index order. For images the sub-folder names, for CSV the label cells.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>The training source (with <see cref="TestFraction"/>, the source both splits are drawn from).</summary>
    public required DatasetSource Train { get; init; }

    /// <summary>The test source; null when the test split is drawn from <see cref="Train"/> (<see cref="TestFraction"/>).</summary>
    public DatasetSource? Test { get; init; }

    /// <summary>With no <see cref="Test"/> source: the fraction of each class held out as the test split, in (0, 1).</summary>
    public double TestFraction { get; init; }

    /// <summary>Seed of the stratified test draw (with <see cref="TestFraction"/>); the same seed gives the same split.</summary>
    public int SplitSeed { get; init; }

    /// <summary>Raw values (pixels 0-255, CSV cells) are divided by this to give the model's inputs, before any standardization.</summary>
    public double InputDivisor { get; init; } = 255;

    /// <summary>CSV reading options (<see cref="DatasetFormat.Csv"/> only).</summary>
    public CsvOptions? Csv { get; init; }

    /// <summary>Image decoding options (<see cref="DatasetFormat.Images"/> only).</summary>
    public ImageOptions? Images { get; init; }

    private readonly ImagePreparation? prepare;

    /// <summary>
    /// How <c>predict</c> prepares a new image as one of this dataset's examples; unless set, <see cref="ImagePreparation.Decode"/>
    /// for <see cref="DatasetFormat.Images"/> and <see cref="ImagePreparation.None"/> for the others.
    /// </summary>
    public ImagePreparation Prepare
    {
        get => prepare ?? (Format == DatasetFormat.Images ? ImagePreparation.Decode : ImagePreparation.None);
        init => prepare = value;
    }

    /// <summary>
    /// Expected SHA-256 (lower-case hex) by source path as written in <see cref="DatasetSource"/>: of a file's content
    /// (decompressed for gzip), or of an image folder's content hash (<see cref="DatasetStore"/> documents it).
    /// Paths without an entry are not checked.
    /// </summary>
    public IReadOnlyDictionary<string, string> Sha256 { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>IDX only: base URLs a missing file is downloaded from, as <c>mirror + Path + ".gz"</c>, tried in order.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [];

    /// <summary>A Debian package that installs the files under <c>/usr/share/datasets/&lt;Root&gt;/</c>, named in "not found" errors.</summary>
    public string? DebianPackage { get; init; }

    /// <summary>SHA-256 of the description's canonical form, as built (null when made in code): experiments' configuration hashes include it.</summary>
    public string? DescriptionSha256 { get; init; }

    /// <summary>Values per example: the product of <see cref="Shape"/>.</summary>
    public int Features => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Every source, train first.</summary>
    public IReadOnlyList<DatasetSource> Sources => Test is null ? [Train] : [Train, Test];
}
