using System.Collections.Immutable;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;

namespace Experiments.Generators.Parsing;

/// <summary>The words the shared YAML checks use for one kind of file (an experiment, a dataset description).</summary>
/// <param name="Noun">"experiment file".</param>
/// <param name="Example">A key and value of such a file, e.g. <c>learningRate: 0.001</c>.</param>
/// <param name="Needs">What an empty file lacks, completing "The file is empty; ...".</param>
/// <param name="OnePerFile">What to do with a second document, completing "The file holds more than one YAML document; ...".</param>
internal sealed record FileKind(string Noun, string Example, string Needs, string OnePerFile)
{
    public static readonly FileKind Experiment = new(
        "experiment file",
        "learningRate: 0.001",
        "an experiment file must set at least epochs, batchSize and learningRate",
        "put each experiment in a file of its own");

    public static readonly FileKind Dataset = new(
        "dataset file",
        "format: csv",
        "a dataset file must set at least format, train, shape and classes",
        "describe each dataset in a file of its own");

    /// <summary>"experiment files".</summary>
    public string Plural => Noun + "s";

    /// <summary>"an experiment file".</summary>
    public string WithArticle => ("aeiou".IndexOf(Noun[0]) >= 0 ? "an " : "a ") + Noun;
}

/// <summary>A file of another kind than experiments, read as YAML: its name, its mapping, and the problems found.</summary>
/// <param name="Name">The file name without extension.</param>
/// <param name="TypePrefix">Its C# name (<see cref="Naming.ToTypePrefix"/>); null when it has none or the name is refused.</param>
/// <param name="SourceFile">The file relative to the folder that holds its folder, with '/' separators.</param>
/// <param name="Start">The start of its mapping, where missing keys are reported.</param>
/// <param name="Root">Its mapping (keys checked), or null when the file holds none.</param>
/// <param name="Diagnostics">Problems with the file's name, text or YAML.</param>
internal sealed record ParsedFile(string Name, string? TypePrefix, string SourceFile, SourceLocation Start, YamlMap? Root, ImmutableArray<DiagnosticInfo> Diagnostics);
