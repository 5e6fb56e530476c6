namespace Experiments.History;

/// <summary>
/// The run history: one row per run and one per experiment result, in an SQLite file (<c>experiments.db</c>, WAL
/// mode) in the results directory or in a PostgreSQL database shared by the workers of a sweep
/// (<see cref="StoreLocation"/>). Every write is its own short transaction, so several processes can record into one
/// store at once and a crash loses at most the result being written; recording a result is idempotent (its
/// <c>result_key</c>). A store that is corrupt, from a newer schema or not this framework's is refused with a
/// <see cref="StoreException"/> and never changed; a single result row that cannot be read is skipped and named in
/// <see cref="SkippedRows"/>. A run stored as running whose process on this host is gone, or a queued run none of
/// whose workers is heard from, reads as <see cref="RunStatus.Abandoned"/>. What differs between SQLite and PostgreSQL
/// is in the backend (<see cref="SqliteBackend"/>, <see cref="PostgresBackend"/>); how records map to rows is in
/// <see cref="StoreRows"/>, a model's summary and state in <see cref="ModelRows"/>, runs and results in the other
/// parts of this class, the queue in <see cref="WorkQueue"/>.
/// </summary>
public sealed partial class ResultStore : IDisposable
{
    public const string FileName = "experiments.db";

    /// <summary><c>PRAGMA application_id</c> of a store: "EXPR".</summary>
    public const int ApplicationId = 0x45585052;

    private readonly Dictionary<long, string> skippedRows = [];

    private ResultStore(StoreBackend backend)
    {
        Backend = backend;
    }

    internal StoreBackend Backend { get; }

    /// <summary>How messages name the store: the database file, or the PostgreSQL server and database (never a password).</summary>
    public string Path => Backend.Display;

    /// <summary>Something a reader should know about what it sees (e.g. writes it cannot see), or null.</summary>
    public string? Warning => Backend.Warning;

    /// <summary>
    /// The result rows reads have skipped because their content cannot be read (broken JSON, say), one message per
    /// row naming it (result id, run, experiment, column), in the order met. Readers go on with the other rows.
    /// </summary>
    public IReadOnlyCollection<string> SkippedRows
    {
        get
        {
            lock (skippedRows)
            {
                return [.. skippedRows.Values];
            }
        }
    }

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Schema.Current;

    /// <summary>The store's file in <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>Which store this is (its kind, and how messages name it).</summary>
    public StoreLocation Location => Backend.Location;

    /// <summary>
    /// Opens the store at <paramref name="location"/>, SQLite or PostgreSQL: with <paramref name="create"/>, creating
    /// (SQLite: the folder and file; PostgreSQL: the schema in an empty database) and migrating it as needed; without,
    /// a missing store is a <see cref="StoreException"/> that says how to make one.
    /// </summary>
    public static ResultStore Open(StoreLocation location, bool create, StoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        options ??= new StoreOptions();
        return new ResultStore(location.Kind == StoreKind.PostgreSql
            ? PostgresBackend.Open(location, create, options)
            : SqliteBackend.Open(location, create, options));
    }

    /// <summary>Opens the store in <paramref name="directory"/> to record runs, creating the directory and the store if needed.</summary>
    public static ResultStore OpenOrCreate(string directory) => Open(StoreLocation.InDirectory(directory), create: true);

    /// <summary>
    /// Opens an existing store to read it; a missing one is a <see cref="StoreException"/> that says how to make one.
    /// In a folder this process cannot write (where SQLite cannot create its WAL index), the store is opened
    /// read-only and immutable: everything checkpointed is readable, writes fail.
    /// </summary>
    public static ResultStore OpenExisting(string directory) => Open(StoreLocation.InDirectory(directory), create: false);

    /// <summary>
    /// SQLite: runs <c>PRAGMA integrity_check</c>; returns "ok" or SQLite's findings. PostgreSQL has no such check of a
    /// database (the server keeps it consistent): "ok" once the server answers.
    /// </summary>
    public string IntegrityCheck() => Backend.IntegrityCheck();

    public void Dispose() => Backend.Dispose();

    private T Write<T>(string what, Func<System.Data.Common.DbCommand, T> write) => Backend.Execute(what, write: true, write);

    private T Read<T>(string what, Func<System.Data.Common.DbCommand, T> read) => Backend.Execute(what, write: false, read);
}
