using System.Security.Cryptography;
using System.Text;

namespace Experiments;

/// <summary>What a file on disk holds now, against what the build read.</summary>
public enum ExperimentFileState
{
    /// <summary>The file holds the text the build read.</summary>
    Unchanged,

    /// <summary>The file was edited after the build: the experiment still holds the values the build read.</summary>
    Changed,

    /// <summary>The file was deleted or renamed after the build.</summary>
    Missing,

    /// <summary>Cannot tell: the experiments folder is not on this machine (binaries copied elsewhere) or cannot be read.</summary>
    Unknown,
}

/// <summary>
/// A YAML file an experiment was generated from, as the build read it: where it is and the SHA-256 of its text, so
/// that a run with <c>--no-build</c> can tell that the file changed since.
/// </summary>
/// <param name="SourceFile">The file as <see cref="IExperiment.SourceFile"/> names it, e.g. <c>experiments/seed-recipe.yaml</c>.</param>
/// <param name="FullPath">Where the build read it (an absolute path on the machine that built it).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's text, as <see cref="HashText"/> computes it.</param>
public sealed record ExperimentFile(string SourceFile, string FullPath, string Sha256)
{
    /// <summary>
    /// The SHA-256 (lower-case hex) of a file's text as the compiler decoded it, UTF-8 encoded, without a leading
    /// byte-order mark. For a UTF-8 file (the generator accepts no other) that is the hash of its bytes after the BOM.
    /// The generator computes the same from the text the compiler hands it.
    /// </summary>
    public static string HashText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = text.StartsWith('\uFEFF') ? text[1..] : text;
        return Convert.ToHexStringLower(SHA256.HashData(new UTF8Encoding(false).GetBytes(body)));
    }

    /// <summary>Compares the file on disk now with what the build read.</summary>
    public ExperimentFileState Check()
    {
        try
        {
            if (!File.Exists(FullPath))
            {
                return Directory.Exists(Path.GetDirectoryName(FullPath)) ? ExperimentFileState.Missing : ExperimentFileState.Unknown;
            }

            // Decoded as the compiler does: a byte-order mark says the encoding, UTF-8 otherwise.
            using var reader = new StreamReader(FullPath, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
            return string.Equals(HashText(reader.ReadToEnd()), Sha256, StringComparison.OrdinalIgnoreCase)
                ? ExperimentFileState.Unchanged
                : ExperimentFileState.Changed;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return ExperimentFileState.Unknown;
        }
    }
}
