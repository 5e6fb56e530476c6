using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Experiments.History;

/// <summary>
/// Opening the run history's file: refusing what is not this framework's store (not SQLite, corrupt, foreign, from a
/// newer schema) without changing it, checking a store with something to recover on a read-only connection first,
/// and migrating an older one (<see cref="Schema"/>) under a write lock. <see cref="ResultStore"/> reads and writes
/// what is in it.
/// </summary>
internal static class StoreFile
{
    /// <summary>How long a write waits for another process's transaction before giving up.</summary>
    public const int BusyTimeoutSeconds = 60;

    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    public static (SqliteConnection Connection, string? Warning) OpenImmutable(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = new Uri(System.IO.Path.GetFullPath(path)).AbsoluteUri + "?immutable=1",
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            var state = ReadState(connection);
            CheckVersion(path, state.Version);
            if (state.ApplicationId != ResultStore.ApplicationId || state.Version < Schema.Current)
            {
                throw new StoreException($"The run history '{path}' cannot be read from a folder this process cannot write: it is not at schema version {Schema.Current}, and upgrading it needs write access");
            }

            // immutable=1 reads the database file alone: whatever is still in the write-ahead log is not seen.
            var wal = new FileInfo(path + "-wal");
            var warning = wal.Exists && wal.Length > 0
                ? $"'{wal.FullName}' ({wal.Length} bytes) holds writes that were never copied into the run history (a runner still going, or one that was killed); this folder cannot be written, so they are not shown: make it writable and read again to see them"
                : null;
            return (connection, warning);
        }
        catch (SqliteException exception)
        {
            connection.Dispose();
            throw Describe(exception, path, "open");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static SqliteConnection Open(string path, bool create)
    {
        ArgumentNullException.ThrowIfNull(path);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (Directory.Exists(path))
        {
            throw new StoreException($"'{path}' is a directory, not a run history; move it away or pass another --results");
        }

        var exists = File.Exists(path);
        if (!exists && !create)
        {
            throw new StoreException($"No run history at '{path}': record runs with 'all' or 'run' first (with the same --results)");
        }

        var checkedReadOnly = false;
        if (exists)
        {
            CheckHeader(path);

            // A read-write connection would roll back a hot journal, and when closed it copies a write-ahead log into
            // the database: either changes a file that may then be refused. So when there is something to recover,
            // the file is checked on a read-only connection first. (Only then: a read-only connection leaves an empty
            // -wal and a -shm behind, which would change the folder of a store that is refused.)
            if (File.Exists(path + "-wal") || File.Exists(path + "-journal"))
            {
                CheckReadOnly(path);
                checkedReadOnly = true;
            }
        }
        else
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new StoreException($"Cannot create the results directory '{directory}': {exception.Message}", exception);
            }
        }

        var connection = Connection(path, exists ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate);
        try
        {
            OpenWaiting(connection);

            // One consistent snapshot (another process may be creating the store right now): it is either still
            // empty or fully migrated, never half. Checked before the journal mode is set, which writes to the file.
            var state = ReadState(connection);
            CheckOwner(path, state);
            CheckVersion(path, state.Version);
            if (exists && !checkedReadOnly)
            {
                CheckIntegrity(path, connection);
            }

            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA foreign_keys = ON");
            Migrate(connection, path);
            return connection;
        }
        catch (SqliteException exception)
        {
            connection.Dispose();
            throw Describe(exception, path, "open");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Checks owner, version and integrity of an existing store without changing it (no rollback, no checkpoint).</summary>
    private static void CheckReadOnly(string path)
    {
        using var connection = Connection(path, SqliteOpenMode.ReadOnly);
        try
        {
            OpenWaiting(connection);
            var state = ReadState(connection);
            CheckOwner(path, state);
            CheckVersion(path, state.Version);
            CheckIntegrity(path, connection);
        }
        catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == SqliteReadOnlyRollback)
        {
            throw new StoreException($"The run history '{path}' has a hot journal ('{path}-journal') from a write that never finished; it was left as it is, as a read-only check cannot roll it back: open it once with the sqlite3 tool to recover it, or move both files away (a new one is then started), or pass another --results");
        }
        catch (SqliteException exception)
        {
            throw Describe(exception, path, "open");
        }
    }

    /// <summary>An unopened, unpooled connection to the store that waits for other writers (see <see cref="OpenWaiting"/>).</summary>
    private static SqliteConnection Connection(string path, SqliteOpenMode mode) => new(new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        DefaultTimeout = BusyTimeoutSeconds,
    }.ToString());

    /// <summary>Opens the connection and has SQLite wait up to <see cref="BusyTimeoutSeconds"/> for a lock held by another writer.</summary>
    private static void OpenWaiting(SqliteConnection connection)
    {
        connection.Open();
        Execute(connection, $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}");
    }

    /// <summary>SQLITE_READONLY_ROLLBACK: a hot journal that a read-only connection cannot roll back.</summary>
    private const int SqliteReadOnlyRollback = 776;

    /// <summary>What identifies a store, read in one transaction so that the three agree.</summary>
    private readonly record struct StoreState(long ApplicationId, long Version, long SchemaObjects);

    private static StoreState ReadState(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new StoreState(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Refuses an SQLite database that is neither this framework's store nor empty (a new store).</summary>
    private static void CheckOwner(string path, StoreState state)
    {
        if (state.ApplicationId != ResultStore.ApplicationId && (state.SchemaObjects > 0 || state.Version != 0))
        {
            throw new StoreException($"'{path}' is an SQLite database, but not a run history of this framework (application id {state.ApplicationId}); it was left as it is: move it away or pass another --results");
        }
    }

    private static void CheckIntegrity(string path, SqliteConnection connection)
    {
        var check = Scalar<string>(connection, "PRAGMA quick_check(1)");
        if (!string.Equals(check, "ok", StringComparison.Ordinal))
        {
            throw new StoreException($"The run history '{path}' is corrupt ({check}); it was left as it is: move it away (a new one is then started) or pass another --results");
        }
    }

    /// <summary>Refuses a file that is not an SQLite database before SQLite sees it. An empty file is a new store.</summary>
    private static void CheckHeader(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length == 0)
            {
                return;
            }

            var header = new byte[SqliteHeader.Length];
            var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
            {
                throw new StoreException($"The run history '{path}' is not an SQLite database (corrupt or another kind of file, {stream.Length} bytes); it was left as it is: move it away (a new one is then started) or pass another --results");
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"Cannot read the run history '{path}': {exception.Message}", exception);
        }
    }

    private static void CheckVersion(string path, long version)
    {
        if (version > Schema.Current)
        {
            throw new StoreException($"The run history '{path}' has schema version {version}, newer than this build understands ({Schema.Current}); it was left as it is: use a newer version of Experiments, or pass another --results");
        }
    }

    /// <summary>
    /// Brings the store to <see cref="Schema.Current"/> in one immediate transaction, so two processes cannot both
    /// migrate. Owner and version are checked again under that lock: what another process did between the first
    /// look and the lock (create the store, most often) is seen as it is.
    /// </summary>
    private static void Migrate(SqliteConnection connection, string path)
    {
        if (ReadState(connection) is { ApplicationId: ResultStore.ApplicationId } current && current.Version == Schema.Current)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        var state = ReadState(connection, transaction);
        CheckOwner(path, state);
        CheckVersion(path, state.Version);
        for (var next = (int)state.Version; next < Schema.Current; next++)
        {
            Execute(connection, Schema.Migrations[next], transaction);
        }

        Execute(connection, $"PRAGMA application_id = {ResultStore.ApplicationId}", transaction);
        Execute(connection, $"PRAGMA user_version = {Schema.Current}", transaction);
        transaction.Commit();
    }

    /// <summary>Turns SQLite's error into a message that names the file, what was being done and what to do.</summary>
    public static StoreException Describe(SqliteException exception, string path, string what)
    {
        var reason = exception.SqliteErrorCode switch
        {
            11 or 26 => $"The run history '{path}' is corrupt or not an SQLite database ({exception.Message}); it was left as it is: move it away (a new one is then started) or pass another --results",
            5 or 6 => $"The run history '{path}' stayed locked by another process for over {BusyTimeoutSeconds} s (could not {what})",
            8 or 14 or 23 => $"Cannot write the run history '{path}' (could not {what}): {exception.Message}; check the permissions of the file and its directory, or pass another --results",
            13 => $"The disk holding the run history '{path}' is full (could not {what})",
            _ => $"The run history '{path}' failed (could not {what}): {exception.Message}",
        };
        return new StoreException(reason, exception);
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }
}
