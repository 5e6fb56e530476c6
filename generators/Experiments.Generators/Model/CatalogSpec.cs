using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Experiments.Generators.Parsing;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Model;

/// <summary>What the catalog needs of an experiment.</summary>
internal sealed record CatalogEntry(string Name, string TypePrefix);

/// <summary>The folder a <see cref="BuiltFile.Path"/> is relative to.</summary>
internal enum BuiltFileFolder
{
    /// <summary>None: the path is the full path.</summary>
    None,

    /// <summary>The experiments folder (the <c>ExperimentsDirectory</c> property).</summary>
    Experiments,

    /// <summary>The datasets folder (the <c>DatasetsDirectory</c> property).</summary>
    Datasets,
}

/// <summary>
/// One YAML file as the build read it, an experiment file or a dataset file: its name as experiments give their
/// <c>SourceFile</c> (as dataset descriptions give theirs), where it is, and the SHA-256 of its text.
/// </summary>
/// <param name="SourceFile">As <see cref="ExperimentSpec.SourceFile"/> (or <see cref="DatasetSpec.SourceFile"/>) names it.</param>
/// <param name="Path">Relative to <paramref name="Folder"/>, or the full path when that is <see cref="BuiltFileFolder.None"/>.</param>
/// <param name="Folder">The folder <paramref name="Path"/> is relative to.</param>
/// <param name="Sha256">See <see cref="ConfigurationHash.OfText"/>; null when the file could not be read.</param>
internal sealed record BuiltFile(string SourceFile, string Path, BuiltFileFolder Folder, string? Sha256)
{
    public static BuiltFile Of(ExperimentDocument document, GeneratorSettings settings) =>
        Create(document.SourceFile, document.FilePath, settings.ExperimentsDirectory, BuiltFileFolder.Experiments, document.TextSha256);

    /// <summary>
    /// A dataset file, from its text: named as <see cref="Parsing.DatasetParser"/> names it. Hashed apart from the
    /// parse, so that a comment edit leaves the parsed description (and every experiment on it) cached.
    /// </summary>
    public static BuiltFile OfDataset(string filePath, SourceText? text, GeneratorSettings settings)
    {
        var sourceFile = ExperimentPaths.InProject(filePath, settings.DatasetsDirectory) ?? ExperimentPaths.FileName(filePath);
        return Create(sourceFile, filePath, settings.DatasetsDirectory, BuiltFileFolder.Datasets, text is null ? null : ConfigurationHash.OfText(text.ToString()));
    }

    private static BuiltFile Create(string sourceFile, string filePath, string? directory, BuiltFileFolder folder, string? sha256)
    {
        var path = ExperimentPaths.Normalize(filePath);
        return directory is not null && path.StartsWith(directory, StringComparison.Ordinal)
            ? new BuiltFile(sourceFile, path.Substring(directory.Length), folder, sha256)
            : new BuiltFile(sourceFile, path, BuiltFileFolder.None, sha256);
    }
}

/// <summary>Everything the catalog is written from: the experiments, and the files as the build read them.</summary>
/// <param name="Entries">Every experiment, in catalog order.</param>
/// <param name="Files">Every experiment and dataset file that could be read, ordered by <see cref="BuiltFile.SourceFile"/>.</param>
/// <param name="ExperimentsDirectory">The experiments folder (the <c>ExperimentsDirectory</c> property), or null.</param>
/// <param name="DatasetsDirectory">The datasets folder (the <c>DatasetsDirectory</c> property), or null.</param>
internal sealed record CatalogSpec(EquatableArray<CatalogEntry> Entries, EquatableArray<BuiltFile> Files, string? ExperimentsDirectory, string? DatasetsDirectory)
{
    public static CatalogSpec Create(ExperimentSet set, ImmutableArray<BuiltFile> experimentFiles, ImmutableArray<BuiltFile> datasetFiles, GeneratorSettings settings)
    {
        // Experiments and datasets name their files from the folder that holds theirs (experiments/a.yaml,
        // datasets/b.yaml): two names clash only when both folders have one name under different parents. The
        // experiment file keeps it then, as before datasets were recorded; the dataset file is not checked.
        var experimentNames = new HashSet<string>(experimentFiles.Select(f => f.SourceFile), StringComparer.Ordinal);
        var files = experimentFiles.Concat(datasetFiles.Where(f => !experimentNames.Contains(f.SourceFile)))
            .Where(f => f.Sha256 is not null)
            .OrderBy(f => f.SourceFile, StringComparer.Ordinal)
            .ThenBy(f => f.Path, StringComparer.Ordinal)
            .ToEquatableArray();
        return new(
            set.Experiments.Select(spec => new CatalogEntry(spec.Name, spec.TypePrefix)).ToEquatableArray(),
            files,
            settings.ExperimentsDirectory,
            files.Any(f => f.Folder == BuiltFileFolder.Datasets) ? settings.DatasetsDirectory : null);
    }
}
