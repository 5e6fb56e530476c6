using System.Runtime.CompilerServices;

namespace Experiments.Runner.Tests;

internal static class TestEnvironment
{
    /// <summary>
    /// Keeps the dataset store's verification cache (under $XDG_CACHE_HOME) out of the user's home directory:
    /// these tests point the runner at temporary data roots that would otherwise be remembered there.
    /// </summary>
    [ModuleInitializer]
    internal static void UseTemporaryCacheHome() =>
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", Directory.CreateTempSubdirectory("experiments-runner-tests-cache-").FullName);
}
