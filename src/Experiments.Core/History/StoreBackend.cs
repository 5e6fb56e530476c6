using System.Data;
using System.Data.Common;

namespace Experiments.History;

/// <summary>
/// What differs between the kinds of store (<see cref="StoreKind"/>): opening, checking and migrating the database,
/// handing out connections, the few SQL expressions that differ (the database's clock, row locks), how an error is
/// described, and which errors are worth retrying. Everything else (the SQL of runs, results and the queue, with
/// <c>@name</c> parameters) is shared: <see cref="ResultStore"/> and <see cref="WorkQueue"/> run it through
/// <see cref="Execute{T}"/>, each call one transaction, retried whole after a transient failure.
/// </summary>
internal abstract class StoreBackend : IDisposable
{
    protected StoreBackend(StoreLocation location, StoreOptions options)
    {
        Location = location;
        Options = options;
    }

    public StoreLocation Location { get; }

    public StoreOptions Options { get; }

    /// <summary>How messages name the store: the file's path, or the server without password.</summary>
    public string Display => Location.Display;

    /// <summary>An SQL expression for the database's clock now, as the store's timestamp text (<c>2026-11-01T12:00:00.000Z</c>).</summary>
    public abstract string Now { get; }

    /// <summary>An SQL expression for now plus the seconds in parameter <paramref name="secondsParameter"/>, as timestamp text.</summary>
    public abstract string NowPlus(string secondsParameter);

    /// <summary>What a claim's SELECT ends with so that concurrent claimers skip each other's rows ("" where a write transaction already excludes them).</summary>
    public abstract string SkipLocked { get; }

    /// <summary>A statement that locks run <c>@run</c>'s row for the transaction, or null where a write transaction is exclusive already.</summary>
    public abstract string? LockRun { get; }

    /// <summary>Whether the store can be written (an SQLite file in a read-only folder is opened read-only).</summary>
    public virtual bool Writable => true;

    /// <summary>Something readers should know (writes they cannot see), or null.</summary>
    public virtual string? Warning => null;

    /// <summary>The integrity check: "ok" or the database's findings.</summary>
    public abstract string IntegrityCheck();

    /// <summary>
    /// Runs <paramref name="work"/> on a connection, in a transaction when <paramref name="write"/> (SQLite: an
    /// immediate one, waiting for other writers), committed when it returns. A transient failure (the server went
    /// away) runs it again whole, with backoff, for up to <see cref="StoreOptions.RetryFor"/>; any other database
    /// error is a <see cref="StoreException"/> naming the store and <paramref name="what"/>.
    /// </summary>
    public T Execute<T>(string what, bool write, Func<DbCommand, T> work)
    {
        var started = DateTime.UtcNow;
        var wait = TimeSpan.FromSeconds(0.25);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Once(write, work);
            }
            catch (Exception exception) when (IsTransient(exception))
            {
                var elapsed = DateTime.UtcNow - started;
                if (elapsed + wait > Options.RetryFor)
                {
                    throw new StoreException($"The run history {Display} could not be reached for {elapsed.TotalSeconds:0.#} s (could not {what}; {attempt} attempts): {exception.Message}; check that the server is running and reachable, then run the command again", exception);
                }

                Options.Log?.Invoke($"The run history {Display} failed while trying to {what} ({exception.Message}); trying again in {wait.TotalSeconds:0.##} s (attempt {attempt + 1})");
                Thread.Sleep(wait);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            catch (DbException exception)
            {
                throw Describe(exception, what);
            }
            catch (Exception exception) when (exception is System.Text.Json.JsonException or FormatException or InvalidCastException or KeyNotFoundException or ArgumentException)
            {
                throw new StoreException($"The run history '{Display}' holds data this build cannot read ({exception.Message}) while trying to {what}; it was left as it is", exception);
            }
        }
    }

    private T Once<T>(bool write, Func<DbCommand, T> work)
    {
        var connection = Rent();
        try
        {
            using var transaction = write ? BeginWrite(connection) : null;
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var value = work(command);
            transaction?.Commit();
            return value;
        }
        finally
        {
            Return(connection);
        }
    }

    /// <summary>A connection for one call of <see cref="Execute{T}"/> (SQLite: the store's one connection, held under a lock).</summary>
    protected abstract DbConnection Rent();

    protected abstract void Return(DbConnection connection);

    protected abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>Whether the failure is the server being briefly unreachable, worth running the transaction again.</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>The database's error as a message naming the store, what was being done and what to do.</summary>
    public abstract StoreException Describe(DbException exception, string what);

    public abstract void Dispose();
}

/// <summary>Parameters the same way for every backend (<c>@name</c>, null as NULL).</summary>
internal static class StoreCommands
{
    public static DbParameter Add(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static DbParameter Add(this DbCommand command, string name, DbType type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Sets the command's text and clears its parameters (for the next statement of a transaction).</summary>
    public static DbCommand Sql(this DbCommand command, string sql)
    {
        command.CommandText = sql;
        command.Parameters.Clear();
        return command;
    }

    public static long Int64(this DbCommand command) => Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

    public static long? NullableInt64(this DbCommand command) => command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static int Int32(this DbDataReader reader, int ordinal) => checked((int)reader.GetInt64(ordinal));

    public static int? NullableInt32(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : checked((int)reader.GetInt64(ordinal));

    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static string? NullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
