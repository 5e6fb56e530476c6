using Experiments.Generators.Diagnostics;

namespace Experiments.Generators.Model;

/// <summary>
/// What the parser made of one experiment file, before <c>extends</c> and sweeps are resolved: every key it sets,
/// each value already checked against the schema, and every problem found in the file on its own.
/// </summary>
/// <param name="FilePath">The path Roslyn gave for the file.</param>
/// <param name="Name">The file name without extension: the experiment's name.</param>
/// <param name="TypePrefix">The C# identifier the generated types start with; null when the name has none.</param>
/// <param name="SourceFile">The file relative to the folder that holds the experiments folder, with '/' separators.</param>
/// <param name="Start">The start of the file's mapping, where missing keys are reported.</param>
/// <param name="Entries">The valid keys of the file, in file order.</param>
/// <param name="Diagnostics">Problems found in this file alone; a file with any is not resolved further.</param>
internal sealed record ExperimentDocument(
    string FilePath,
    string Name,
    string? TypePrefix,
    string SourceFile,
    SourceLocation Start,
    EquatableArray<DocumentEntry> Entries,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>A file whose name starts with '_' only holds keys for others to extend: it is not an experiment.</summary>
    public bool IsBaseOnly => Name.StartsWith("_", System.StringComparison.Ordinal);

    /// <summary>SHA-256 of the file's text as the compiler read it (<see cref="ConfigurationHash.OfText"/>); null when it could not be read.</summary>
    public string? TextSha256 { get; init; }

    public bool IsValid => Diagnostics.Count == 0 && TypePrefix is not null;

    public DocumentEntry? Find(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key == key)
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>One key of an experiment file and its value, or its list of values when the key is swept.</summary>
/// <param name="Key">The key, as in <see cref="ExperimentSchema"/>.</param>
/// <param name="Values">Each value in canonical form (invariant culture, round-trip numbers); one unless swept.</param>
/// <param name="IsSweep">Whether the file gave a list: one experiment per value.</param>
/// <param name="Location">Where the value (or list) is written.</param>
internal sealed record DocumentEntry(string Key, EquatableArray<string> Values, bool IsSweep, SourceLocation Location)
{
    public string Value => Values[0];

    /// <summary>
    /// For <c>model</c>: its value as a tree (<see cref="Values"/> holds its canonical text). For a sweep of a path into
    /// the model (<c>model.mlp.hidden</c>): one tree per value, substituted into the model one experiment at a time.
    /// </summary>
    public EquatableArray<YamlValue> Trees { get; init; } = EquatableArray<YamlValue>.Empty;

    /// <summary>Whether the key is a path into the model (<c>model.mlp.hidden</c>), which only a sweep sets.</summary>
    public bool IsModelPath => Key.StartsWith(Model.ModelParser.ModelKey + ".", System.StringComparison.Ordinal);
}
