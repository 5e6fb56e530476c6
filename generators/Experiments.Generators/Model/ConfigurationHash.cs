using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Experiments.Generators.Model;

/// <summary>
/// The hashes the generator emits: of an experiment's resolved configuration (what it trains with) and of a file's
/// text (what the build read, to spot a stale build at run time).
/// </summary>
internal static class ConfigurationHash
{
    /// <summary>The first line of the canonical form; a new form gets a new version, so old and new hashes never meet.</summary>
    public const string FormVersion = "experiments-configuration/2";

    /// <summary>
    /// The canonical form of a configuration: <see cref="FormVersion"/>, then one line <c>key=value</c> per emitted key
    /// (<see cref="ExperimentSchema.EmittedKeys"/>, in that order), each value canonical (numbers round-trip in the
    /// invariant culture, booleans <c>true</c>/<c>false</c>, defaults filled in), with <c>\</c>, CR and LF in text
    /// escaped as <c>\\</c>, <c>\r</c> and <c>\n</c>; every line ends with LF. Directives (<c>extends</c>,
    /// <c>sweepLimit</c>) are not part of it: they say how to read files, not how to train. Then one line
    /// <c>datasetSha256=</c> and the SHA-256 of the dataset's description (<see cref="DatasetForm"/>), so that an edit
    /// of the dataset file changes every experiment on it. A file with a <c>model</c> key adds one last line,
    /// <c>model=</c> and the model's canonical text (its layers with every inferred size, or the user module's
    /// mapping); a file without one (one linear layer) has no such line.
    /// </summary>
    public static string CanonicalForm(IReadOnlyList<string> values, string? model = null, string? datasetSha256 = null)
    {
        var builder = new StringBuilder(FormVersion).Append('\n');
        for (var i = 0; i < ExperimentSchema.EmittedKeys.Length; i++)
        {
            builder.Append(ExperimentSchema.EmittedKeys[i].Name).Append('=');
            AppendEscaped(builder, values[i]);
            builder.Append('\n');
        }

        if (datasetSha256 is not null)
        {
            builder.Append("datasetSha256=").Append(datasetSha256).Append('\n');
        }

        if (model is not null)
        {
            builder.Append("model=").Append(model.Replace("\\", "\\\\").Replace("\r", "\\r").Replace("\n", "\\n")).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>SHA-256 of <see cref="CanonicalForm"/>, lower-case hex.</summary>
    public static string OfConfiguration(IReadOnlyList<string> values, string? model = null, string? datasetSha256 = null) => Sha256(CanonicalForm(values, model, datasetSha256));

    /// <summary>
    /// The canonical form of a dataset description: <see cref="DatasetSchema.FormVersion"/>, then one line
    /// <c>key=value</c> per key the description has that changes the examples an experiment sees (defaults filled
    /// in; a mapping's keys as <c>csv.label</c>, <c>train.images</c>), sorted by key (ordinal); lists as <c>[a,b]</c>
    /// with text items quoted; <c>\</c>, CR and LF escaped as in <see cref="CanonicalForm"/>; every line ends with LF.
    /// <c>description</c>, <c>sha256</c>, <c>mirrors</c> and <c>debianPackage</c> are left out: they say what the
    /// data is called, where it is fetched from and how it is verified, not what it is (the run cache keys the data's
    /// content). Comments, layout and spelling (<c>classes: 10</c> or the ten names) do not change it either.
    /// </summary>
    public static string DatasetForm(IEnumerable<KeyValuePair<string, string>> lines)
    {
        var builder = new StringBuilder(DatasetSchema.FormVersion).Append('\n');
        foreach (var line in lines.OrderBy(l => l.Key, System.StringComparer.Ordinal))
        {
            AppendEscaped(builder, line.Key);
            builder.Append('=');
            AppendEscaped(builder, line.Value);
            builder.Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>SHA-256 of <see cref="DatasetForm"/>, lower-case hex.</summary>
    public static string OfDataset(IEnumerable<KeyValuePair<string, string>> lines) => Sha256(DatasetForm(lines));

    private static void AppendEscaped(StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '\\' => builder.Append("\\\\"),
                '\r' => builder.Append("\\r"),
                '\n' => builder.Append("\\n"),
                _ => builder.Append(c),
            };
        }
    }

    /// <summary>
    /// SHA-256 of a file's text as the compiler decoded it, UTF-8 encoded without a leading byte-order mark: what
    /// <c>Experiments.ExperimentFile.HashText</c> computes at run time from the file on disk.
    /// </summary>
    public static string OfText(string text) => Sha256(text.Length > 0 && text[0] == '\uFEFF' ? text.Substring(1) : text);

    private static string Sha256(string text)
    {
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(new UTF8Encoding(false).GetBytes(text));
        var hex = new StringBuilder(hash.Length * 2);
        foreach (var b in hash)
        {
            hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return hex.ToString();
    }
}
