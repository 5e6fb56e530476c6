using System;
using System.Collections.Immutable;
using System.Linq;
using Experiments.Generators.Parsing;

namespace Experiments.Generators.Model;

/// <summary>What the catalog needs of an experiment.</summary>
internal sealed record CatalogEntry(string Name, string TypePrefix);

/// <summary>
/// One experiment file as the build read it: its name as experiments give their <c>SourceFile</c>, where it is, and
/// the SHA-256 of its text.
/// </summary>
/// <param name="SourceFile">As <see cref="ExperimentSpec.SourceFile"/> names it.</param>
/// <param name="Path">Relative to the experiments folder when <paramref name="InExperimentsDirectory"/>, else the full path.</param>
/// <param name="InExperimentsDirectory">Whether <paramref name="Path"/> is relative to the experiments folder.</param>
/// <param name="Sha256">See <see cref="ConfigurationHash.OfText"/>; null when the file could not be read.</param>
internal sealed record BuiltFile(string SourceFile, string Path, bool InExperimentsDirectory, string? Sha256)
{
    public static BuiltFile Of(ExperimentDocument document, GeneratorSettings settings)
    {
        var path = ExperimentPaths.Normalize(document.FilePath);
        var directory = settings.ExperimentsDirectory;
        return directory is not null && path.StartsWith(directory, StringComparison.Ordinal)
            ? new BuiltFile(document.SourceFile, path.Substring(directory.Length), true, document.TextSha256)
            : new BuiltFile(document.SourceFile, path, false, document.TextSha256);
    }
}

/// <summary>Everything the catalog is written from: the experiments, and the files as the build read them.</summary>
/// <param name="Entries">Every experiment, in catalog order.</param>
/// <param name="Files">Every file that could be read, ordered by <see cref="BuiltFile.SourceFile"/>.</param>
/// <param name="ExperimentsDirectory">The experiments folder (the <c>ExperimentsDirectory</c> property), or null.</param>
internal sealed record CatalogSpec(EquatableArray<CatalogEntry> Entries, EquatableArray<BuiltFile> Files, string? ExperimentsDirectory)
{
    public static CatalogSpec Create(ExperimentSet set, ImmutableArray<BuiltFile> files, GeneratorSettings settings) => new(
        set.Experiments.Select(spec => new CatalogEntry(spec.Name, spec.TypePrefix)).ToEquatableArray(),
        files.Where(f => f.Sha256 is not null).OrderBy(f => f.SourceFile, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray(),
        settings.ExperimentsDirectory);
}
