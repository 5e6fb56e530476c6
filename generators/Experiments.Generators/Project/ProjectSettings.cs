using Microsoft.CodeAnalysis.Diagnostics;

namespace Experiments.Generators.Project;

/// <summary>
/// What the build knows of the project and the generated <c>ExperimentCatalog.Project</c> carries to run time
/// (<c>Experiments.ExperimentProject</c>): read from <c>build_property.*</c>, a plain value, so that a change to
/// one of them re-emits the catalog only. A value that is not set is null (the record's default at run time).
/// </summary>
/// <param name="ApplicationName">How a user starts the program (<c>ExperimentsApplicationName</c>).</param>
/// <param name="ProjectDirectory">The project's folder (<c>MSBuildProjectDirectory</c>, else <c>ProjectDir</c>).</param>
/// <param name="DataRoot">The default data root (<c>ExperimentsDataRoot</c>).</param>
/// <param name="ResultsDirectory">The default results folder (<c>ExperimentsResultsDirectory</c>).</param>
internal sealed record ProjectSettings(string? ApplicationName, string? ProjectDirectory, string? DataRoot, string? ResultsDirectory)
{
    public const string ApplicationNameProperty = "build_property.ExperimentsApplicationName";

    public const string ProjectDirectoryProperty = "build_property.MSBuildProjectDirectory";

    /// <summary>The SDK's own compiler-visible project folder, read when <see cref="ProjectDirectoryProperty"/> is not visible.</summary>
    public const string ProjectDirProperty = "build_property.ProjectDir";

    public const string DataRootProperty = "build_property.ExperimentsDataRoot";

    public const string ResultsDirectoryProperty = "build_property.ExperimentsResultsDirectory";

    public static ProjectSettings From(AnalyzerConfigOptions options) => new(
        Value(options, ApplicationNameProperty),
        Value(options, ProjectDirectoryProperty) ?? Value(options, ProjectDirProperty),
        Value(options, DataRootProperty),
        Value(options, ResultsDirectoryProperty));

    /// <summary>A property's value as MSBuild set it, or null when it is not set (or blank).</summary>
    internal static string? Value(AnalyzerConfigOptions options, string property) =>
        options.TryGetValue(property, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;
}
