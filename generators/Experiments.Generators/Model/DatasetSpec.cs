using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Experiments.Generators.Diagnostics;

namespace Experiments.Generators.Model;

/// <summary>One split's source: a file or folder (<paramref name="Path"/>), and for idx the labels file.</summary>
internal sealed record DatasetSourceSpec(string Path, string? Labels)
{
    /// <summary>The paths the source names, as <c>sha256</c> keys name them.</summary>
    public IEnumerable<string> Paths => Labels is null ? new[] { Path } : new[] { Path, Labels };
}

/// <summary>One expected SHA-256 of a source.</summary>
internal sealed record Sha256Entry(string Path, string Hex);

/// <summary>
/// Everything the catalog writes of one dataset file, and what experiments on the dataset take from it, as plain
/// values: checked, defaults filled in. Mirrors <c>Experiments.Data.DatasetDescription</c>.
/// </summary>
internal sealed record DatasetSpec
{
    /// <summary>The file name without extension: what experiments name in <c>dataset</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The catalog's property, e.g. <c>FashionMnist</c>.</summary>
    public required string PropertyName { get; init; }

    /// <summary>The file relative to the folder that holds the datasets folder, e.g. <c>datasets/mnist.yaml</c>.</summary>
    public required string SourceFile { get; init; }

    public required string Description { get; init; }

    /// <summary><c>idx</c>, <c>images</c> or <c>csv</c>.</summary>
    public required string Format { get; init; }

    public required string Root { get; init; }

    public required EquatableArray<int> Shape { get; init; }

    public required EquatableArray<string> ClassNames { get; init; }

    public required DatasetSourceSpec Train { get; init; }

    public DatasetSourceSpec? Test { get; init; }

    /// <summary>Without <see cref="Test"/>: the canonical fraction held out; null with a test source.</summary>
    public string? TestFraction { get; init; }

    public int SplitSeed { get; init; }

    /// <summary>The canonical <c>divideBy</c>.</summary>
    public required string InputDivisor { get; init; }

    /// <summary>The default <c>normalize</c> of experiments on the dataset.</summary>
    public required string Normalize { get; init; }

    /// <summary>How <c>predict</c> prepares a new image: one of <see cref="DatasetSchema.Preparations"/> (not in the canonical form).</summary>
    public required string Prepare { get; init; }

    /// <summary>CSV only: lines skipped.</summary>
    public int HeaderLines { get; init; }

    /// <summary>CSV only: the label column's index; null: the last one (or <see cref="LabelColumnName"/>).</summary>
    public int? LabelColumn { get; init; }

    /// <summary>CSV only: the label column's name in the header.</summary>
    public string? LabelColumnName { get; init; }

    /// <summary>CSV only: the separator.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>Images only: <c>grayscale</c> or <c>rgb</c>.</summary>
    public string? Color { get; init; }

    /// <summary>Images only.</summary>
    public bool Resize { get; init; }

    /// <summary>Expected hashes, in file order.</summary>
    public EquatableArray<Sha256Entry> Sha256 { get; init; } = EquatableArray<Sha256Entry>.Empty;

    public EquatableArray<string> Mirrors { get; init; } = EquatableArray<string>.Empty;

    public string? DebianPackage { get; init; }

    /// <summary>SHA-256 of the description's canonical form (<see cref="ConfigurationHash.DatasetForm"/>).</summary>
    public required string DescriptionSha256 { get; init; }

    /// <summary>Values per example: the product of <see cref="Shape"/>.</summary>
    public int Features => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The shape as messages show it, <c>[1, 28, 28]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>What the parser made of one dataset file: its name, and its description or the problems found.</summary>
/// <param name="FilePath">The path Roslyn gave for the file.</param>
/// <param name="Name">The file name without extension.</param>
/// <param name="PropertyName">The catalog's property; null when the name gives none.</param>
/// <param name="SourceFile">Relative to the folder that holds the datasets folder.</param>
/// <param name="Spec">The description, or null when the file has errors.</param>
/// <param name="Diagnostics">Problems found in the file.</param>
internal sealed record DatasetDocument(string FilePath, string Name, string? PropertyName, string SourceFile, DatasetSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Every dataset of the project, by name, and the problems that need more than one file to see (two files giving
/// one name). Experiments are resolved against it; the catalog is written from it.
/// </summary>
/// <param name="Datasets">The valid descriptions, ordered by name.</param>
/// <param name="Broken">Names of dataset files with errors: experiments on them are not checked further (the file's own errors say why).</param>
/// <param name="Diagnostics">The duplicate names.</param>
internal sealed record DatasetSet(EquatableArray<DatasetSpec> Datasets, EquatableArray<string> Broken, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static readonly DatasetSet Empty = new(EquatableArray<DatasetSpec>.Empty, EquatableArray<string>.Empty, EquatableArray<DiagnosticInfo>.Empty);

    /// <summary>The catalog's list of every dataset: no dataset's property may take its name.</summary>
    public const string AllProperty = "All";

    public DatasetSpec? Find(string name) => Datasets.FirstOrDefault(d => d.Name == name);

    public static DatasetSet Create(ImmutableArray<DatasetDocument> documents)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var clashing = new HashSet<DatasetDocument>();
        var named = documents.Where(d => d.PropertyName is not null).OrderBy(d => d.FilePath, StringComparer.Ordinal).ToList();
        foreach (var group in named.GroupBy(d => d.PropertyName!, StringComparer.OrdinalIgnoreCase))
        {
            var members = group.ToList();
            foreach (var document in members)
            {
                string? clash = null;
                if (members.Count > 1)
                {
                    clash = "as does '" + string.Join("', '", members.Where(m => !ReferenceEquals(m, document)).Select(m => m.SourceFile)) + "'";
                }
                else if (string.Equals(document.PropertyName, AllProperty, StringComparison.OrdinalIgnoreCase))
                {
                    clash = "which the catalog's list of every dataset (DatasetCatalog.All) takes";
                }

                if (clash is not null)
                {
                    clashing.Add(document);
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateDatasetName, new SourceLocation(document.FilePath, default, default), document.Name, document.PropertyName!, clash));
                }
            }
        }

        var valid = documents.Where(d => d.Spec is not null && !clashing.Contains(d)).Select(d => d.Spec!).OrderBy(d => d.Name, StringComparer.Ordinal).ToEquatableArray();
        var broken = documents.Where(d => d.Spec is null || clashing.Contains(d)).Select(d => d.Name).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray();
        return new DatasetSet(valid, broken, diagnostics.OrderBy(d => d.Location.FilePath, StringComparer.Ordinal).ToEquatableArray());
    }
}
