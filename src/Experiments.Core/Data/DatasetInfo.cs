namespace Experiments.Data;

/// <summary>One file of an IDX dataset.</summary>
/// <param name="Name">Standard name without <c>.gz</c>, e.g. <c>train-images-idx3-ubyte</c>; looked for as
/// <c>Name.gz</c> or raw <c>Name</c>, downloaded as <c>Name.gz</c>.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's decompressed content; null when the description gives none (not checked).</param>
public sealed record DatasetFile(string Name, string? Sha256)
{
    /// <summary>The compressed form's name, as stored by mirrors.</summary>
    public string GzipName => Name + ".gz";
}

/// <summary>The standard file names of MNIST-like IDX datasets.</summary>
public static class IdxFileNames
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";
}

/// <summary>An IDX dataset's four files, as the store finds, fetches and verifies them.</summary>
/// <param name="Description">The dataset's description (format <see cref="DatasetFormat.Idx"/> with a test source).</param>
internal sealed record IdxLayout(DatasetDescription Description)
{
    public string Name => Description.Name;

    public DatasetFile TrainImages => File(Description.Train.Path);

    public DatasetFile TrainLabels => File(Labels(Description.Train));

    public DatasetFile TestImages => File(Test.Path);

    public DatasetFile TestLabels => File(Labels(Test));

    /// <summary>The four files: train images, train labels, test images, test labels.</summary>
    public IReadOnlyList<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];

    private DatasetSource Test => Description.Test
        ?? throw new DataException($"IDX dataset '{Name}' has no test files: a drawn test split of IDX files is not supported (name them under test: in {Where})");

    private string Labels(DatasetSource source) => source.Labels
        ?? throw new DataException($"IDX dataset '{Name}' names no labels file for {source.Path} (in {Where})");

    private string Where => Description.SourceFile.Length > 0 ? Description.SourceFile : "its description";

    private DatasetFile File(string name) => new(name, Description.Sha256.TryGetValue(name, out var sha) ? sha : null);
}
