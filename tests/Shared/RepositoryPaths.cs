namespace Experiments.Tests;

/// <summary>Places in the checkout, found from the test binaries (shared by every test project).</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding Experiments.sln, found by walking up from the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The data folder the repository ships (data/).</summary>
    public static string Data => Path.Combine(Root, "data");

    public static string MnistDirectory => Path.Combine(Data, "mnist");

    /// <summary>The shipped experiment files' folder, with a trailing separator as MSBuild passes it.</summary>
    public static string ExperimentsDirectory => Path.Combine(Root, "experiments") + Path.DirectorySeparatorChar;

    /// <summary>The shipped experiment files, by full path, in ordinal order.</summary>
    public static IReadOnlyList<string> ShippedExperimentFiles() =>
        Directory.GetFiles(Path.Combine(Root, "experiments"), "*.yaml").OrderBy(p => p, StringComparer.Ordinal).ToList();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Experiments.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Experiments.sln not found above " + AppContext.BaseDirectory);
    }
}
