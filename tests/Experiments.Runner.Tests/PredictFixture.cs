using Experiments.Generated;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// One results folder with the shipped <c>cnn</c> (about 40 s) and <c>digits-csv</c> (under a
/// second) trained once, shared by every <c>predict</c> test.
/// </summary>
public sealed class PredictFixture : IDisposable
{
    public PredictFixture()
    {
        var console = new TestConsole().Width(320);
        var exitCode = TestHost.Run(["run", "cnn", "digits-csv", "--data-root", RepositoryPaths.Data, "--results", Results.Path], console, ExperimentCatalog.All);
        Assert.True(exitCode == 0, console.Output);
    }

    internal TemporaryDirectory Results { get; } = new();

    public void Dispose() => Results.Dispose();
}
