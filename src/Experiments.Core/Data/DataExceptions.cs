namespace Experiments.Data;

/// <summary>
/// Base of every error about datasets: a bad or missing file, a failed download, an unknown name. Its message is
/// meant for the user as it is (no stack trace needed).
/// </summary>
public class DataException : Exception
{
    public DataException(string message)
        : base(message)
    {
    }

    public DataException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A data file is unreadable or its content is invalid. The message starts with the file's path.</summary>
public class DataFormatException : DataException
{
    public DataFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file, as the path it was opened with (e.g. <c>data/mnist/train-images-idx3-ubyte.gz</c>).</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; }
}

/// <summary>A data file's decompressed content does not have the SHA-256 the dataset table expects.</summary>
public sealed class DataChecksumException : DataFormatException
{
    public DataChecksumException(string filePath, string expectedSha256, string actualSha256, string advice)
        : base(filePath, $"SHA-256 mismatch: the decompressed content hashes to {actualSha256} but {expectedSha256} is expected. {advice}")
    {
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    public string ExpectedSha256 { get; }

    public string ActualSha256 { get; }
}

/// <summary>Some of a dataset's files are in none of the searched directories (and downloading is off).</summary>
public sealed class DatasetNotFoundException : DataException
{
    public DatasetNotFoundException(string datasetName, IReadOnlyList<string> missingFiles, IReadOnlyList<string> searchedDirectories, string message)
        : base(message)
    {
        DatasetName = datasetName;
        MissingFiles = missingFiles;
        SearchedDirectories = searchedDirectories;
    }

    public string DatasetName { get; }

    /// <summary>The missing files' standard names (without <c>.gz</c>).</summary>
    public IReadOnlyList<string> MissingFiles { get; }

    public IReadOnlyList<string> SearchedDirectories { get; }
}

/// <summary>A dataset file could not be fetched from any mirror.</summary>
public sealed class DatasetDownloadException : DataException
{
    public DatasetDownloadException(string datasetName, string fileName, IReadOnlyList<string> failures, string message)
        : base(message)
    {
        DatasetName = datasetName;
        FileName = fileName;
        Failures = failures;
    }

    public string DatasetName { get; }

    /// <summary>The file that could not be fetched, e.g. <c>train-images-idx3-ubyte.gz</c>.</summary>
    public string FileName { get; }

    /// <summary>One entry per mirror tried: <c>url: what went wrong</c>.</summary>
    public IReadOnlyList<string> Failures { get; }
}

/// <summary>A dataset name that is not in the table of known datasets.</summary>
public sealed class UnknownDatasetException : DataException
{
    public UnknownDatasetException(string name, IReadOnlyList<string> knownNames)
        : base($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", knownNames)}.")
    {
        Name = name;
        KnownNames = knownNames;
    }

    public string Name { get; }

    public IReadOnlyList<string> KnownNames { get; }
}
