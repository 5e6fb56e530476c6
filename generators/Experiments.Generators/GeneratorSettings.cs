using System;
using Experiments.Generators.Parsing;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Experiments.Generators;

/// <summary>
/// The MSBuild settings the generator reads (as <c>build_property.*</c> analyzer config options, made visible by
/// <c>Experiments.Generators.targets</c>). Plain values, so the pipeline can cache on them.
/// </summary>
internal sealed record GeneratorSettings(string? ExperimentsDirectory)
{
    public const string ExperimentsDirectoryProperty = "build_property.ExperimentsDirectory";

    public static GeneratorSettings From(AnalyzerConfigOptions options)
    {
        options.TryGetValue(ExperimentsDirectoryProperty, out var directory);
        return new GeneratorSettings(string.IsNullOrWhiteSpace(directory) ? null : ExperimentPaths.Normalize(directory!) + "/");
    }

    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether an additional file is an experiment: any YAML file under the experiments folder (or any YAML file when no folder is set).</summary>
    public bool Includes(string path) =>
        ExperimentsDirectory is null || ExperimentPaths.Normalize(path).StartsWith(ExperimentsDirectory, StringComparison.Ordinal);
}
