using System.Reflection;

namespace Experiments.Runner;

/// <summary>The checkout the runner was built from (recorded at build time).</summary>
internal static class RepositoryInfo
{
    /// <summary>The repository's root folder, or null when it is gone (e.g. the binaries were copied elsewhere).</summary>
    public static string? Root { get; } = FindRoot();

    private static string? FindRoot()
    {
        var root = typeof(RepositoryInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        return root is not null && Directory.Exists(root) ? root : null;
    }
}
