using System;
using Experiments.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Experiments.Generators;

/// <summary>
/// The MSBuild settings the generator reads (as <c>build_property.*</c> analyzer config options, made visible by
/// <c>Experiments.Generators.targets</c>). Plain values, so the pipeline can cache on them.
/// </summary>
internal sealed record GeneratorSettings(string? ExperimentsDirectory, string? DatasetsDirectory = null)
{
    public const string ExperimentsDirectoryProperty = "build_property.ExperimentsDirectory";

    public const string DatasetsDirectoryProperty = "build_property.DatasetsDirectory";

    public static GeneratorSettings From(AnalyzerConfigOptions options) =>
        new(Directory(options, ExperimentsDirectoryProperty), Directory(options, DatasetsDirectoryProperty));

    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether an additional file is an experiment: any YAML file under the experiments folder (or any YAML file when
    /// no folder is set) that is not a dataset file (<see cref="IsDataset"/>).
    /// </summary>
    public bool Includes(string path) =>
        (ExperimentsDirectory is null || ExperimentPaths.Normalize(path).StartsWith(ExperimentsDirectory, StringComparison.Ordinal)) && !IsDataset(path);

    /// <summary>
    /// Whether an additional file is a dataset description: a YAML file under the datasets folder, unless the
    /// experiments folder is inside the datasets folder and holds it (a file is read as one or the other, never both:
    /// the nearer folder decides).
    /// </summary>
    public bool IsDataset(string path)
    {
        if (DatasetsDirectory is null)
        {
            return false;
        }

        var normalized = ExperimentPaths.Normalize(path);
        if (!normalized.StartsWith(DatasetsDirectory, StringComparison.Ordinal))
        {
            return false;
        }

        return ExperimentsDirectory is null
            || ExperimentsDirectory.Length <= DatasetsDirectory.Length
            || !normalized.StartsWith(ExperimentsDirectory, StringComparison.Ordinal);
    }

    private static string? Directory(AnalyzerConfigOptions options, string property)
    {
        options.TryGetValue(property, out var directory);
        return string.IsNullOrWhiteSpace(directory) ? null : ExperimentPaths.Normalize(directory!) + "/";
    }
}
