namespace Experiments.Runner.Tests;

internal static class RepositoryPaths
{
    /// <summary>The folder holding Experiments.sln, found by walking up from the test's output folder.</summary>
    public static string Root { get; } = FindRoot();

    public static string Data => Path.Combine(Root, "data");

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

/// <summary>A temporary directory deleted when the test ends.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "experiments-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
