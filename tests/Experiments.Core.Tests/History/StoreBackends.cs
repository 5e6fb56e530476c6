using Experiments.History;

namespace Experiments.Core.Tests.History;

/// <summary>
/// A test class that runs against both kinds of store: each test gets a fresh store (an SQLite file in a temp
/// folder, or a new database on <see cref="PostgresServer"/>), from subclasses such as <see cref="SqliteStoreTest"/>.
/// </summary>
public abstract class BackendTest : IDisposable
{
    protected abstract StoreLocation Location { get; }

    protected ResultStore Open(StoreOptions? options = null) => ResultStore.Open(Location, create: true, options);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>The SQLite half: a new file in a temp folder per test.</summary>
public sealed class SqliteStoreTest : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public StoreLocation Location => StoreLocation.InDirectory(directory.Path);

    public void Dispose() => directory.Dispose();
}

/// <summary>The PostgreSQL half: a new database per test on the class's server.</summary>
public sealed class PostgresStoreTest(PostgresServer server)
{
    public StoreLocation Location { get; } = StoreLocation.Parse(server.CreateDatabase(), Path.GetTempPath());
}
