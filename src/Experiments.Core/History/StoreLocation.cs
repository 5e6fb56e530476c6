namespace Experiments.History;

/// <summary>Which kind of database a run history is.</summary>
public enum StoreKind
{
    /// <summary>An SQLite file (<c>experiments.db</c> in the results folder by default): one machine.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database reached through Npgsql: shared by every worker of a sweep.</summary>
    PostgreSql,
}

/// <summary>
/// Which run history a command reads and writes: <c>--store</c>, else <see cref="EnvironmentVariable"/>, else the
/// SQLite file in the results folder. See docs/scale-out.md for the forms it takes.
/// </summary>
public sealed record StoreLocation
{
    /// <summary>The environment variable that selects the store when <c>--store</c> is not given.</summary>
    public const string EnvironmentVariable = "EXPERIMENTS_STORE";

    private StoreLocation(StoreKind kind, string target, string display)
    {
        Kind = kind;
        Target = target;
        Display = display;
    }

    public StoreKind Kind { get; }

    /// <summary>SQLite: the database file's absolute path. PostgreSQL: the Npgsql connection string (it may hold a password: never print it).</summary>
    public string Target { get; }

    /// <summary>How messages name the store: the file's path, or <c>postgresql://user@host:port/database</c> without any password.</summary>
    public string Display { get; }

    /// <summary>The SQLite file <see cref="ResultStore.FileName"/> in <paramref name="resultsDirectory"/> (the default).</summary>
    public static StoreLocation InDirectory(string resultsDirectory)
    {
        ArgumentNullException.ThrowIfNull(resultsDirectory);
        var path = Path.GetFullPath(ResultStore.PathIn(resultsDirectory));
        return new StoreLocation(StoreKind.Sqlite, path, path);
    }

    /// <summary>
    /// Reads a <c>--store</c> value (or <see cref="EnvironmentVariable"/>'s); a relative SQLite path is taken from
    /// <paramref name="baseDirectory"/>. Throws <see cref="FormatException"/> naming what is wrong (never the password).
    /// </summary>
    public static StoreLocation Parse(string text, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new FormatException("The store is empty: pass a PostgreSQL connection (postgresql://user@host:port/database, or Host=...;Database=...) or an SQLite file (sqlite:PATH, or a path)");
        }

        if (StoreConnection.IsPostgresUri(trimmed))
        {
            var (connection, display) = StoreConnection.FromUri(trimmed);
            return new StoreLocation(StoreKind.PostgreSql, connection, display);
        }

        if (StoreConnection.OtherScheme(trimmed) is { } scheme)
        {
            throw new FormatException($"The store '{scheme}://...' is of a kind this framework does not know ('{scheme}'): pass postgresql://user@host:port/database, an Npgsql keyword string (Host=...;Database=...), or an SQLite file (sqlite:PATH, or a path)");
        }

        if (trimmed.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = trimmed["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            if (path.Length == 0)
            {
                throw new FormatException("The store 'sqlite:' names no file: write sqlite:PATH (the .db file, or a folder holding experiments.db)");
            }

            return Sqlite(path, baseDirectory);
        }

        if (StoreConnection.IsKeywordString(trimmed))
        {
            var (connection, display) = StoreConnection.FromKeywords(trimmed);
            return new StoreLocation(StoreKind.PostgreSql, connection, display);
        }

        return Sqlite(trimmed, baseDirectory);
    }

    /// <summary>An SQLite store at <paramref name="path"/>: the file, or <see cref="ResultStore.FileName"/> in a folder (one that exists, or a path ending in a separator).</summary>
    private static StoreLocation Sqlite(string path, string baseDirectory)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path, Path.GetFullPath(baseDirectory));
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new FormatException($"The store '{path}' is not a usable file path ({exception.Message})", exception);
        }

        if (Directory.Exists(full) || path.EndsWith('/') || path.EndsWith(Path.DirectorySeparatorChar))
        {
            full = ResultStore.PathIn(full);
        }

        return new StoreLocation(StoreKind.Sqlite, full, full);
    }

    public override string ToString() => Display;
}
