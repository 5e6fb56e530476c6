using System.Reflection;
using Experiments.Generated;

namespace Experiments.Runner;

/// <summary>
/// TEMPORARY, until the generator emits <c>ExperimentCatalog.Instance</c> (with the project the build knew): this
/// repository's catalog, built by hand from the generated lists and what the runner's csproj records at build time
/// (AssemblyMetadata <c>ExperimentsProjectDirectory</c>, <c>ExperimentsDataRoot</c>, <c>ExperimentsResultsDirectory</c>).
/// Replace every use with <c>ExperimentCatalog.Instance</c> and delete this file.
/// </summary>
internal static class RunnerCatalog
{
    public static IExperimentCatalog Instance { get; } = ExperimentCatalogs.Create(ExperimentCatalog.All, DatasetCatalog.All, new ExperimentProject
    {
        ApplicationName = "dotnet run --project runner --",
        ProjectDirectory = Metadata("ExperimentsProjectDirectory"),
        DataRoot = Metadata("ExperimentsDataRoot"),
        ResultsDirectory = Metadata("ExperimentsResultsDirectory"),
    });

    private static string? Metadata(string key) =>
        typeof(RunnerCatalog).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
