using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Which run history a command uses and how it is opened (docs/scale-out.md): <c>--store</c>, else
/// <see cref="ExperimentHostOptions.Store"/>, else the environment variable <c>EXPERIMENTS_STORE</c>, else
/// <c>experiments.db</c> in the results folder. Every command that opens the run history goes through here.
/// </summary>
internal static class StoreAccess
{
    /// <summary>
    /// The store of a command: <paramref name="option"/> (<c>--store</c>), else the host's option, else the
    /// environment variable, else the results folder's SQLite file. A value that is no store is a
    /// <see cref="UsageException"/> naming where it came from and what is wrong (never a password).
    /// </summary>
    public static StoreLocation Resolve(ExperimentHostOptions options, string? option, string resultsDirectory)
    {
        var environment = Environment.GetEnvironmentVariable(StoreLocation.EnvironmentVariable);
        var (value, source) =
            option is not null ? (option, "--store")
            : options.Store is not null ? (options.Store, $"{nameof(ExperimentHostOptions)}.{nameof(ExperimentHostOptions.Store)}")
            : !string.IsNullOrWhiteSpace(environment) ? (environment, $"the environment variable {StoreLocation.EnvironmentVariable}")
            : (null, null);
        if (value is null)
        {
            return StoreLocation.InDirectory(resultsDirectory);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new UsageException($"{source} is empty: give a PostgreSQL connection (postgresql://user@host:port/database, or Host=...;Database=...;Username=...) or an SQLite file's path");
        }

        try
        {
            return StoreLocation.Parse(value, Environment.CurrentDirectory);
        }
        catch (FormatException exception)
        {
            throw new UsageException($"{source} is not a store: {exception.Message}. Give a PostgreSQL connection (postgresql://user@host:port/database, or Host=...;Database=...;Username=...) or an SQLite file's path", exception);
        }
    }

    /// <summary>What the store reports while it retries a server that is briefly unreachable: a grey line on <paramref name="console"/>.</summary>
    public static StoreOptions Options(IAnsiConsole? console) => new()
    {
        Log = console is null ? null : message => console.MarkupLineInterpolated(TerminalText.Format, $"[grey]run history: {message}[/]"),
    };

    /// <summary>
    /// Opens the store at <paramref name="location"/> to record runs (<paramref name="create"/>: creating it as needed) or to
    /// read it. The results folder's own file is opened as it always was (read-only and immutable in a folder this process
    /// cannot write); throws <see cref="StoreException"/> naming the store (a server without its password).
    /// </summary>
    public static ResultStore Open(StoreLocation location, bool create, IAnsiConsole? console)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Kind == StoreKind.Sqlite && string.Equals(Path.GetFileName(location.Target), ResultStore.FileName, StringComparison.Ordinal))
        {
            var directory = Path.GetDirectoryName(location.Target)!;
            return create ? ResultStore.OpenOrCreate(directory) : ResultStore.OpenExisting(directory);
        }

        return ResultStore.Open(location, create, Options(console));
    }
}
