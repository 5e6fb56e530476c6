using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Experiments.History;

/// <summary>
/// The run history: an SQLite database (<c>experiments.db</c>, WAL mode) in the results directory with one row per
/// run and one per experiment result. Every write is its own short transaction, so several processes can record
/// into one store at once and a crash loses at most the result being written. A store that is corrupt, from a newer
/// schema or not this framework's is refused with a <see cref="StoreException"/> and never changed; a single result
/// row that cannot be read is skipped and named in <see cref="SkippedRows"/>. A run stored as running whose process
/// on this host is gone reads as <see cref="RunStatus.Abandoned"/> (see <see cref="ProcessIdentity"/>). Opening,
/// checking and migrating the file is <see cref="StoreFile"/>'s; how records map to rows is in <see cref="StoreRows"/>,
/// and a model's summary and state in <see cref="ModelRows"/>.
/// </summary>
public sealed class ResultStore : IDisposable
{
    public const string FileName = "experiments.db";

    /// <summary><c>PRAGMA application_id</c> of a store: "EXPR".</summary>
    public const int ApplicationId = 0x45585052;

    private readonly SqliteConnection connection;
    private readonly bool writable;
    private readonly Dictionary<long, string> skippedRows = [];

    private ResultStore(SqliteConnection connection, string path, bool writable)
    {
        this.connection = connection;
        this.Path = path;
        this.writable = writable;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Something a reader should know about what it sees (e.g. writes it cannot see), or null.</summary>
    public string? Warning { get; private init; }

    /// <summary>
    /// The result rows reads have skipped because their content cannot be read (broken JSON, say), one message per
    /// row naming it (result id, run, experiment, column), in the order met. Readers go on with the other rows.
    /// </summary>
    public IReadOnlyCollection<string> SkippedRows => skippedRows.Values;

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Schema.Current;

    /// <summary>The store's file in <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>Which store this is (its kind, and how messages name it).</summary>
    public StoreLocation Location => throw new NotImplementedException();

    /// <summary>
    /// Opens the store at <paramref name="location"/>, SQLite or PostgreSQL: with <paramref name="create"/>, creating
    /// (SQLite: the folder and file; PostgreSQL: the schema in an empty database) and migrating it as needed; without,
    /// a missing store is a <see cref="StoreException"/> that says how to make one.
    /// </summary>
    public static ResultStore Open(StoreLocation location, bool create, StoreOptions? options = null) => throw new NotImplementedException();

    /// <summary>Opens the store in <paramref name="directory"/> to record runs, creating the directory and the store if needed.</summary>
    public static ResultStore OpenOrCreate(string directory) => new(StoreFile.Open(directory, create: true), PathIn(directory), writable: true);

    /// <summary>
    /// Opens an existing store to read it; a missing one is a <see cref="StoreException"/> that says how to make one.
    /// In a folder this process cannot write (where SQLite cannot create its WAL index), the store is opened
    /// read-only and immutable: everything checkpointed is readable, writes fail.
    /// </summary>
    public static ResultStore OpenExisting(string directory)
    {
        try
        {
            return new ResultStore(StoreFile.Open(directory, create: false), PathIn(directory), writable: true);
        }
        catch (StoreException exception) when (exception.InnerException is SqliteException { SqliteErrorCode: 8 or 14 })
        {
            var (connection, warning) = StoreFile.OpenImmutable(PathIn(directory));
            return new ResultStore(connection, PathIn(directory), writable: false) { Warning = warning };
        }
    }

    /// <summary>Records the start of a run (status <see cref="RunStatus.Running"/>); returns its id.</summary>
    /// <param name="info">Where and how the run happens, with the process that records it.</param>
    /// <param name="startedAt">When it started.</param>
    /// <param name="plannedResults">How many experiments it sets out to run (so readers can tell how many are missing), or null.</param>
    public long StartRun(RunInfo info, DateTimeOffset startedAt, int? plannedResults = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Write("record the run", command =>
        {
            command.CommandText = """
                INSERT INTO runs (started_at, command_line, git_commit, git_dirty, machine, operating_system, dotnet_version, torchsharp_version, status,
                    host, pid, process_start, planned_results)
                VALUES ($started, $command, $commit, $dirty, $machine, $os, $dotnet, $torch, $status, $host, $pid, $processStart, $planned) RETURNING id
                """;
            command.Parameters.AddWithValue("$started", StoreRows.Timestamp(startedAt));
            command.Parameters.AddWithValue("$command", info.CommandLine);
            command.Parameters.AddWithValue("$commit", (object?)info.GitCommit ?? DBNull.Value);
            command.Parameters.AddWithValue("$dirty", info.GitDirty is { } dirty ? (dirty ? 1 : 0) : DBNull.Value);
            command.Parameters.AddWithValue("$machine", info.Machine);
            command.Parameters.AddWithValue("$os", info.OperatingSystem);
            command.Parameters.AddWithValue("$dotnet", info.DotnetVersion);
            command.Parameters.AddWithValue("$torch", (object?)info.TorchSharpVersion ?? DBNull.Value);
            command.Parameters.AddWithValue("$status", RunStatus.Running);
            command.Parameters.AddWithValue("$host", (object?)info.RecordedBy?.Host ?? DBNull.Value);
            command.Parameters.AddWithValue("$pid", info.RecordedBy is { } process ? process.ProcessId : DBNull.Value);
            command.Parameters.AddWithValue("$processStart", (object?)info.RecordedBy?.Start ?? DBNull.Value);
            command.Parameters.AddWithValue("$planned", plannedResults is { } planned ? planned : DBNull.Value);
            return (long)command.ExecuteScalar()!;
        });
    }

    /// <summary>
    /// Records one experiment's result of run <paramref name="runId"/>, with its model state, in one transaction;
    /// returns the result's id.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="result">The result.</param>
    /// <param name="source">Where the experiment came from, with its run cache key.</param>
    /// <param name="recordedAt">When (default: now).</param>
    /// <param name="cachedFrom">
    /// For a result the run cache reused (<see cref="ExperimentResult.CachedFromRun"/> set), the stored result it is:
    /// the new row shares that result's state rows instead of copying them.
    /// </param>
    public long AddResult(long runId, ExperimentResult result, ExperimentSource? source = null, DateTimeOffset? recordedAt = null, StoredResult? cachedFrom = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (cachedFrom is null && result.State?.Entries.FirstOrDefault(e => e.Values.Length != e.Shape.Aggregate(1L, (n, d) => n * d)) is { } bad)
        {
            // A bug of whatever filled the state: refused whole (nothing written), so no row has a state that reads back wrong.
            throw new StoreException($"Cannot record the result of '{result.Experiment}' in '{Path}': its state entry '{bad.Name}' has shape [{string.Join(", ", bad.Shape)}] but {bad.Values.Length} values");
        }

        return Write($"record the result of '{result.Experiment}'", command =>
        {
            command.CommandText = StoreRows.InsertResult;
            StoreRows.AddResultParameters(command.Parameters, runId, result, source, recordedAt ?? DateTimeOffset.UtcNow, cachedFrom);
            var id = (long)command.ExecuteScalar()!;
            if (cachedFrom is null && result.State is { } state)
            {
                ModelRows.InsertState(command, id, state);
            }

            return id;
        });
    }

    /// <summary>
    /// The run cache's look-up: the latest completed result recorded with <paramref name="key"/>, read with its
    /// weights and its full state. A result that cannot be reused (a damaged row or state, one stored without its
    /// state) is no hit, and <see cref="CacheLookup.Problem"/> says why.
    /// </summary>
    public CacheLookup FindCached(RunCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("look up the run cache", command =>
        {
            command.CommandText = StoreRows.ResultColumns(withWeights: true)
                + "WHERE configuration_key = $configuration AND code_key = $code AND dataset_key = $dataset AND status = $completed ORDER BY id DESC LIMIT 1";
            command.Parameters.AddWithValue("$configuration", key.Configuration);
            command.Parameters.AddWithValue("$code", key.Code);
            command.Parameters.AddWithValue("$dataset", key.Dataset);
            command.Parameters.AddWithValue("$completed", RunStatus.Of(ExperimentStatus.Completed));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return new CacheLookup(null, null);
            }

            try
            {
                var stored = WithState(StoreRows.ReadResult(reader), reader);
                return stored.Result.State is null
                    ? new CacheLookup(null, $"{StoreRows.Describe(reader)} in '{Path}' was stored without its model state")
                    : new CacheLookup(stored, null);
            }
            catch (DamagedRowException damaged)
            {
                return new CacheLookup(null, $"{damaged.Message} in '{Path}'; the row was left as it is");
            }
        });
    }

    /// <summary>Records how run <paramref name="runId"/> ended.</summary>
    public void FinishRun(long runId, string status, DateTimeOffset endedAt)
    {
        ArgumentNullException.ThrowIfNull(status);
        Write("record the end of the run", command =>
        {
            command.CommandText = "UPDATE runs SET status = $status, ended_at = $ended WHERE id = $id";
            command.Parameters.AddWithValue("$status", status);
            command.Parameters.AddWithValue("$ended", StoreRows.Timestamp(endedAt));
            command.Parameters.AddWithValue("$id", runId);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>Every run, oldest first.</summary>
    public IReadOnlyList<RunRecord> Runs() => ReadRuns(null);

    /// <summary>The run with that id, or null.</summary>
    public RunRecord? Run(long id) => ReadRuns(id).SingleOrDefault();

    /// <summary>The results of one run, in the order they were recorded.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="withWeights">Whether to read the learned weights and the model's full state too (31 KB a linear result, more for larger models; only the pictures need them).</param>
    public IReadOnlyList<StoredResult> ResultsOfRun(long runId, bool withWeights = false) => ReadResults("WHERE run_id = $value ORDER BY id", runId, withWeights);

    /// <summary>Every result of one experiment, oldest first.</summary>
    public IReadOnlyList<StoredResult> ResultsOf(string experiment) => ReadResults("WHERE experiment = $value ORDER BY run_id, id", experiment, withWeights: false);

    /// <summary>The names of every experiment with a stored result, in ordinal order.</summary>
    public IReadOnlyList<string> ExperimentNames() => Read("read the experiment names", command =>
    {
        command.CommandText = "SELECT DISTINCT experiment FROM results ORDER BY experiment";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names.Order(StringComparer.Ordinal).ToList();
    });

    /// <summary>The latest stored result of every experiment (by experiment name, ordinal order).</summary>
    public IReadOnlyList<StoredResult> LatestResults() =>
        ReadResults("WHERE id IN (SELECT max(id) FROM results GROUP BY experiment)", null, withWeights: false)
            .OrderBy(r => r.Experiment, StringComparer.Ordinal).ToList();

    /// <summary>Runs <c>PRAGMA integrity_check</c>; returns "ok" or SQLite's findings.</summary>
    public string IntegrityCheck() => Read("check integrity", command =>
    {
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    });

    public void Dispose() => connection.Dispose();

    private IReadOnlyList<RunRecord> ReadRuns(long? id)
    {
        var stored = Read("read the runs", command =>
        {
            command.CommandText = StoreRows.SelectRuns + (id is null ? "" : " WHERE r.id = $id") + " GROUP BY r.id ORDER BY r.id";
            if (id is not null)
            {
                command.Parameters.AddWithValue("$id", id);
            }

            using var reader = command.ExecuteReader();
            var runs = new List<RunRecord>();
            while (reader.Read())
            {
                runs.Add(StoreRows.ReadRun(reader));
            }

            return runs;
        });
        var runs = stored.Select(StoreRows.WithLiveness).ToList();
        foreach (var abandoned in runs.Where(r => r.Status == RunStatus.Abandoned))
        {
            StoreAbandoned(abandoned.Id);
        }

        return runs;
    }

    /// <summary>
    /// Stores that a run whose process is gone is abandoned, when the store can be written; best effort (what is
    /// shown does not depend on it). Only a run still stored as running changes, so a run that ended meanwhile keeps its end.
    /// </summary>
    private void StoreAbandoned(long runId)
    {
        if (!writable)
        {
            return;
        }

        try
        {
            Write("record that the run was abandoned", command =>
            {
                command.CommandText = "UPDATE runs SET status = $abandoned WHERE id = $id AND status = $running";
                command.Parameters.AddWithValue("$abandoned", RunStatus.Abandoned);
                command.Parameters.AddWithValue("$running", RunStatus.Running);
                command.Parameters.AddWithValue("$id", runId);
                return command.ExecuteNonQuery();
            });
        }
        catch (StoreException)
        {
            // Locked, read-only or full: readers still see it as abandoned.
        }
    }

    private IReadOnlyList<StoredResult> ReadResults(string where, object? value, bool withWeights) => Read("read the results", command =>
    {
        command.CommandText = StoreRows.ResultColumns(withWeights) + where;
        if (value is not null)
        {
            command.Parameters.AddWithValue("$value", value);
        }

        using var reader = command.ExecuteReader();
        var results = new List<StoredResult>();
        while (reader.Read())
        {
            try
            {
                var stored = StoreRows.ReadResult(reader);
                results.Add(withWeights ? WithState(stored, reader) : stored);
            }
            catch (DamagedRowException damaged)
            {
                skippedRows.TryAdd(damaged.RowId, $"skipped {damaged.Message} in '{Path}'; the row was left as it is");
            }
        }

        return results;
    });

    /// <summary>The result with its state read from <c>result_state</c>, when it was stored with one.</summary>
    private StoredResult WithState(StoredResult stored, SqliteDataReader reader) =>
        stored.StateEntries is { } entries
            ? stored with { Result = stored.Result with { State = ModelRows.ReadState(connection, stored.Id, StoreRows.Describe(reader), stored.StateResultId, entries) } }
            : stored;

    /// <summary>One write in its own immediate transaction (waits up to the busy timeout for other writers).</summary>
    private T Write<T>(string what, Func<SqliteCommand, T> write)
    {
        try
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var value = write(command);
            transaction.Commit();
            return value;
        }
        catch (SqliteException exception)
        {
            throw StoreFile.Describe(exception, Path, what);
        }
    }

    private T Read<T>(string what, Func<SqliteCommand, T> read)
    {
        try
        {
            using var command = connection.CreateCommand();
            return read(command);
        }
        catch (SqliteException exception)
        {
            throw StoreFile.Describe(exception, Path, what);
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or FormatException or InvalidCastException or KeyNotFoundException or ArgumentException)
        {
            throw new StoreException($"The run history '{Path}' holds data this build cannot read ({exception.Message}) while trying to {what}; it was left as it is", exception);
        }
    }
}
