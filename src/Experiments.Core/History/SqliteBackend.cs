using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Experiments.History;

/// <summary>
/// An SQLite file (<see cref="StoreFile"/> opens, checks and migrates it): one connection, WAL mode, writers wait
/// for each other up to the busy timeout (immediate transactions), so nothing is transient. The connection is used
/// by one call at a time (a worker's lease renewal runs on another thread).
/// </summary>
internal sealed class SqliteBackend : StoreBackend
{
    private readonly SqliteConnection connection;
    private readonly Lock gate = new();
    private readonly bool writable;
    private readonly string? warning;

    private SqliteBackend(StoreLocation location, StoreOptions options, SqliteConnection connection, bool writable, string? warning)
        : base(location, options)
    {
        this.connection = connection;
        this.writable = writable;
        this.warning = warning;
    }

    public string Path => Location.Target;

    public override bool Writable => writable;

    public override string? Warning => warning;

    public override string Now => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

    public override string NowPlus(string secondsParameter) => $"strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {secondsParameter} || ' seconds')";

    public override string SkipLocked => "";

    public override string? LockRun => null;

    /// <summary>
    /// Opens the file: with <paramref name="create"/>, creating folder and file and migrating; without, a missing file
    /// is a <see cref="StoreException"/>, and one in a folder this process cannot write is opened read-only and immutable.
    /// </summary>
    public static SqliteBackend Open(StoreLocation location, bool create, StoreOptions options)
    {
        var path = location.Target;
        try
        {
            return new SqliteBackend(location, options, StoreFile.Open(path, create), writable: true, warning: null);
        }
        catch (StoreException exception) when (!create && exception.InnerException is SqliteException { SqliteErrorCode: 8 or 14 })
        {
            var (connection, warning) = StoreFile.OpenImmutable(path);
            return new SqliteBackend(location, options, connection, writable: false, warning);
        }
    }

    public override string IntegrityCheck() => Execute("check integrity", write: false, command =>
    {
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    });

    protected override DbConnection Rent()
    {
        gate.Enter();
        return connection;
    }

    protected override void Return(DbConnection connection) => gate.Exit();

    protected override DbTransaction BeginWrite(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);

    public override bool IsTransient(Exception exception) => false;

    public override StoreException Describe(DbException exception, string what) =>
        exception is SqliteException sqlite ? StoreFile.Describe(sqlite, Path, what) : new StoreException($"The run history '{Path}' failed (could not {what}): {exception.Message}", exception);

    public override void Dispose() => connection.Dispose();
}
