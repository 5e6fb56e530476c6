namespace Experiments.ScaleOut.Tests;

/// <summary>One Slurm cluster for every test class that uses it (tests/Shared/SlurmCluster.cs).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmFixture : IDisposable
{
    private readonly Lazy<SlurmCluster> cluster = new(() => new SlurmCluster());

    internal SlurmCluster Cluster => cluster.Value;

    public void Dispose()
    {
        if (cluster.IsValueCreated)
        {
            cluster.Value.Dispose();
        }
    }
}

/// <summary>
/// The tests that submit to Slurm run one class at a time (the node has 2 CPUs), with one Slurm cluster and one
/// PostgreSQL server (tests/Shared/PostgresServer.cs: a database per test) for all.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmFixture>, ICollectionFixture<PostgresServer>
{
    public const string Name = "Slurm";
}

/// <summary>Temporary folders the cluster's daemons (root) and the munge user can reach.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ScaleOutDirectories
{
    public static TemporaryDirectory Create()
    {
        var directory = new TemporaryDirectory();
        File.SetUnixFileMode(directory.Path, (UnixFileMode)0b111_101_101);
        return directory;
    }
}
