using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Experiments.History;

/// <summary>
/// A PostgreSQL database through Npgsql: an <see cref="NpgsqlDataSource"/> per store with at most 2 pooled
/// connections unless the connection string says otherwise (a worker uses one at a time, plus its lease renewal), so
/// K workers hold at most 2K of the server's connections. The schema version is in a <c>schema_version</c> table;
/// migrating takes <c>pg_advisory_xact_lock</c>, so workers starting together migrate once. A database holding other
/// tables but no <c>schema_version</c> is refused and never changed. Lease times are the server's
/// <c>clock_timestamp()</c>, so workers whose machines' clocks differ agree.
/// </summary>
internal sealed class PostgresBackend : StoreBackend
{
    /// <summary>The pool size when the connection string sets none.</summary>
    public const int DefaultMaxPoolSize = 2;

    /// <summary>The advisory lock migrations take: the store's application id ("EXPR").</summary>
    private const long MigrationLock = ResultStore.ApplicationId;

    private const string TimestampFormat = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

    private readonly NpgsqlDataSource dataSource;

    private PostgresBackend(StoreLocation location, StoreOptions options, NpgsqlDataSource dataSource)
        : base(location, options)
    {
        this.dataSource = dataSource;
    }

    public override string Now => $"to_char(clock_timestamp() AT TIME ZONE 'UTC', {TimestampFormat})";

    public override string NowPlus(string secondsParameter) =>
        $"to_char((clock_timestamp() + make_interval(secs => CAST({secondsParameter} AS DOUBLE PRECISION))) AT TIME ZONE 'UTC', {TimestampFormat})";

    public override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    public override string? LockRun => "SELECT id FROM runs WHERE id = @run FOR NO KEY UPDATE";

    public static PostgresBackend Open(StoreLocation location, bool create, StoreOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(location.Target);
        var given = new DbConnectionStringBuilder { ConnectionString = location.Target };
        if (!given.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant() is "maximumpoolsize" or "maxpoolsize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        var backend = new PostgresBackend(location, options, NpgsqlDataSource.Create(builder.ConnectionString));
        try
        {
            backend.Migrate(create);
            return backend;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Brings the database to <see cref="Schema.Current"/> under the advisory lock; checks what is there first.</summary>
    private void Migrate(bool create) => Execute("open", write: true, command =>
    {
        command.Sql("SELECT pg_advisory_xact_lock(@lock)").Add("@lock", MigrationLock);
        command.ExecuteNonQuery();
        command.Sql("SELECT to_regclass('schema_version') IS NOT NULL");
        var hasVersion = (bool)command.ExecuteScalar()!;
        long version = 0;
        if (hasVersion)
        {
            command.Sql("SELECT coalesce(max(version), 0) FROM schema_version");
            version = command.Int64();
        }
        else
        {
            command.Sql("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
            var tables = command.Int64();
            if (tables > 0)
            {
                throw new StoreException($"The database {Display} holds {tables.ToString(CultureInfo.InvariantCulture)} table(s) but no schema_version: it is not a run history of this framework; it was left as it is: pass an empty database (createdb) or another --store");
            }

            if (!create)
            {
                throw new StoreException($"No run history in {Display} (the database is empty): record runs with 'all', 'run' or 'submit' first (with the same --store)");
            }
        }

        if (version > Schema.Current)
        {
            throw new StoreException($"The run history {Display} is at schema version {version.ToString(CultureInfo.InvariantCulture)}, newer than this build understands ({Schema.Current.ToString(CultureInfo.InvariantCulture)}); it was left as it is: use a newer version of Experiments");
        }

        if (version == Schema.Current)
        {
            return 0;
        }

        if (!hasVersion)
        {
            command.Sql("CREATE TABLE schema_version (version BIGINT NOT NULL, migrated_at TEXT NOT NULL)");
            command.ExecuteNonQuery();
        }

        foreach (var (target, sql) in Schema.PostgresMigrations.Where(m => m.Version > version))
        {
            command.Sql(sql);
            command.ExecuteNonQuery();
            command.Sql($"INSERT INTO schema_version (version, migrated_at) VALUES (@version, {Now})").Add("@version", (long)target);
            command.ExecuteNonQuery();
        }

        return 0;
    });

    public override string IntegrityCheck() => Execute("check integrity", write: false, command =>
    {
        // PostgreSQL keeps a database consistent itself; there is no PRAGMA integrity_check to run. The server answering is the check.
        command.CommandText = "SELECT 1";
        command.ExecuteScalar();
        return "ok";
    });

    protected override DbConnection Rent() => dataSource.OpenConnection();

    protected override void Return(DbConnection connection) => connection.Dispose();

    protected override DbTransaction BeginWrite(DbConnection connection) => connection.BeginTransaction();

    public override bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || postgres.SqlState is "57P01" or "57P02" or "57P03" or "40001" or "40P01" || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException || npgsql.InnerException is NpgsqlException { IsTransient: true },
        SocketException or IOException => true,
        _ => false,
    };

    public override StoreException Describe(DbException exception, string what)
    {
        var reason = exception switch
        {
            PostgresException { SqlState: "28P01" or "28000" } => $"the server refused the user ({exception.Message}): check the user and password (the connection, PGPASSWORD or ~/.pgpass)",
            PostgresException { SqlState: "3D000" } => $"the database does not exist ({exception.Message}): create it (createdb) or pass another --store",
            PostgresException { SqlState: "42501" } => $"the user may not do this ({exception.Message}): grant it the rights on the database, or pass another --store",
            _ => exception.Message,
        };
        return new StoreException($"The run history {Display} failed (could not {what}): {reason}", exception);
    }

    public override void Dispose() => dataSource.Dispose();
}
