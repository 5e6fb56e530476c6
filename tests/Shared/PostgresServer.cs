using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Experiments.Tests;

/// <summary>
/// A PostgreSQL server for tests (an xunit class or collection fixture): the server named by
/// <see cref="ServerVariable"/> (an Npgsql connection string of a user that may create databases) when set, else a
/// throwaway cluster of this machine's PostgreSQL (initdb + pg_ctl, as the postgres user when running as root) in a
/// temp folder, on a free port, listening on 127.0.0.1 only, with its unix socket in that folder; it is stopped and
/// deleted on dispose. Each test (class) takes its own fresh database from <see cref="CreateDatabase"/>.
/// </summary>
/// <remarks>
/// It uses no Npgsql (every test project links this file, not all of them reference Npgsql): databases are made
/// with <c>psql</c>, and connection strings are built with <see cref="DbConnectionStringBuilder"/>.
/// </remarks>
public sealed class PostgresServer : IDisposable
{
    /// <summary>An Npgsql connection string of a server to use instead of starting one.</summary>
    public const string ServerVariable = "EXPERIMENTS_TEST_POSTGRES";

    /// <summary>The data folder of the server in <see cref="ServerVariable"/> (only <see cref="Restart"/> needs it).</summary>
    public const string DataVariable = "EXPERIMENTS_TEST_POSTGRES_DATA";

    /// <summary>Where Debian's PostgreSQL 15 keeps its programs; else they are looked up on PATH.</summary>
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly DbConnectionStringBuilder admin;
    private readonly string? folder;
    private readonly string? dataDirectory;
    private readonly bool runAsPostgres;
    private readonly List<string> databases = [];
    private readonly object gate = new();
    private bool running;

    public PostgresServer()
        : this(Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } external ? external : null)
    {
    }

    private PostgresServer(string? external)
    {
        if (external is not null)
        {
            admin = new DbConnectionStringBuilder { ConnectionString = external };
            dataDirectory = Environment.GetEnvironmentVariable(DataVariable) is { Length: > 0 } data ? data : null;
            // test.sh's server (tests/services/postgres.sh) runs as the postgres user: pg_ctl restart must too.
            runAsPostgres = Environment.UserName == "root";
            OwnsCluster = false;
            running = true;
            return;
        }

        OwnsCluster = true;
        runAsPostgres = Environment.UserName == "root";
        folder = Directory.CreateTempSubdirectory("experiments-pg-").FullName;
        dataDirectory = System.IO.Path.Combine(folder, "data");
        try
        {
            if (runAsPostgres)
            {
                // The postgres user must own the folder (initdb creates data/, the server its socket and log there).
                Run("chown", ["postgres", folder], asPostgres: false);
            }

            Run(Program("initdb"), ["-D", dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], asPostgres: runAsPostgres);
            Port = StartOnFreePort();
            admin = new DbConnectionStringBuilder
            {
                ["Host"] = "127.0.0.1",
                ["Port"] = Port.ToString(CultureInfo.InvariantCulture),
                ["Username"] = "postgres",
                ["Database"] = "postgres",
            };
        }
        catch
        {
            DeleteFolder();
            throw;
        }
    }

    /// <summary>Whether this fixture started the server (and so may restart, stop and delete it).</summary>
    public bool OwnsCluster { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; private set; }

    /// <summary>The Npgsql connection string of the server's <c>postgres</c> database (the administrator's).</summary>
    public string AdminConnectionString => admin.ConnectionString;

    /// <summary>A throwaway cluster of this machine's PostgreSQL, whatever <see cref="ServerVariable"/> says (for a test that stops it for good).</summary>
    public static PostgresServer StartOwn() => new(external: null);

    /// <summary>Creates a fresh, empty database on the server; returns its Npgsql connection string.</summary>
    public string CreateDatabase()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..20];
        Psql($"CREATE DATABASE {name}");
        lock (gate)
        {
            databases.Add(name);
        }

        return ConnectionString(name);
    }

    /// <summary>The Npgsql connection string of database <paramref name="database"/> on the server.</summary>
    public string ConnectionString(string database)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = admin.ConnectionString };
        foreach (var key in builder.Keys.Cast<string>().Where(k => k.Equals("Database", StringComparison.OrdinalIgnoreCase) || k.Equals("DB", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            builder.Remove(key);
        }

        builder["Database"] = database;
        return builder.ConnectionString;
    }

    /// <summary>Runs one SQL statement as the administrator with psql (in <paramref name="database"/>, default postgres); returns what psql printed (unaligned, tuples only).</summary>
    public string Psql(string sql, string? database = null)
    {
        var (output, _) = Run(Program("psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database ?? Value("Database", "DB") ?? "postgres", "-c", sql], asPostgres: false, PsqlEnvironment());
        return output.Trim();
    }

    /// <summary>
    /// Restarts the server (<c>pg_ctl restart -m fast</c>: every connection is closed, the server is down for a moment).
    /// Only for a server this fixture can reach the data folder of: its own, or <see cref="DataVariable"/>'s.
    /// </summary>
    public void Restart()
    {
        RequireDataDirectory("restart");
        StartingServer(["-D", dataDirectory!, "-m", "fast", "-w", "-t", "60", "restart"]);
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m immediate</c>); <see cref="Start"/> brings it back.</summary>
    public void Stop()
    {
        RequireDataDirectory("stop");
        Run(Program("pg_ctl"), ["-D", dataDirectory!, "-m", "immediate", "-w", "stop"], asPostgres: runAsPostgres);
        running = false;
    }

    /// <summary>Starts the stopped server again on its port.</summary>
    public void Start()
    {
        RequireDataDirectory("start");
        if (OwnsCluster)
        {
            StartOn(Port);
        }
        else
        {
            StartingServer(["-D", dataDirectory!, "-w", "-t", "60", "start"]);
        }

        running = true;
    }

    public void Dispose()
    {
        if (OwnsCluster)
        {
            if (running)
            {
                try
                {
                    Run(Program("pg_ctl"), ["-D", dataDirectory!, "-m", "immediate", "-w", "stop"], asPostgres: runAsPostgres);
                }
                catch (InvalidOperationException)
                {
                    // Already down: the folder goes all the same.
                }
            }

            DeleteFolder();
            return;
        }

        List<string> created;
        lock (gate)
        {
            created = [.. databases];
        }

        foreach (var name in created)
        {
            try
            {
                Psql($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
            catch (InvalidOperationException)
            {
                // Best effort on a server that is not ours.
            }
        }
    }

    private void RequireDataDirectory(string what)
    {
        if (dataDirectory is null)
        {
            throw new InvalidOperationException($"Cannot {what} the PostgreSQL server of {ServerVariable}: this test needs its data folder; set {DataVariable} to it (the folder pg_ctl -D takes), or unset {ServerVariable} so that the fixture starts a cluster of its own");
        }
    }

    private int StartOnFreePort()
    {
        // A free port can be taken by someone else between the look and the start: a few tries with other ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            try
            {
                StartOn(port);
                return port;
            }
            catch (InvalidOperationException) when (attempt < 4)
            {
            }
        }
    }

    private void StartOn(int port)
    {
        var options = string.Join(' ', [
            "-c listen_addresses=127.0.0.1",
            $"-p {port.ToString(CultureInfo.InvariantCulture)}",
            $"-k {folder}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]);
        StartingServer(["-D", dataDirectory!, "-l", System.IO.Path.Combine(folder!, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
        Port = port;
        running = true;
    }

    /// <summary>
    /// Runs a pg_ctl command that starts the server. The server it starts must hold none of this process's pipes (its
    /// output, or a descriptor the test host leaves open to children), else whoever reads them waits for ever: a shell
    /// closes every descriptor above 2 and sends pg_ctl's output to a file, which is read back.
    /// </summary>
    private void StartingServer(IReadOnlyList<string> arguments)
    {
        var log = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"experiments-pg-ctl-{Guid.NewGuid():N}.log");
        const string Script = """for fd in /proc/self/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null; fi; done; exec "$0" "$@" </dev/null >>"$PG_CTL_LOG" 2>&1""";
        try
        {
            File.WriteAllText(log, "");
            if (runAsPostgres)
            {
                Run("chown", ["postgres", log], asPostgres: false);
            }

            try
            {
                Run("bash", ["-c", Script, Program("pg_ctl"), .. arguments], asPostgres: runAsPostgres, new Dictionary<string, string> { ["PG_CTL_LOG"] = log });
            }
            catch (InvalidOperationException exception)
            {
                throw new InvalidOperationException($"{exception.Message}\n{File.ReadAllText(log)}", exception);
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private string? Value(params string[] keys)
    {
        foreach (var key in keys)
        {
            if (admin.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } text)
            {
                return text;
            }
        }

        return null;
    }

    private Dictionary<string, string> PsqlEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["PGHOST"] = Value("Host", "Server") ?? "127.0.0.1",
            ["PGPORT"] = Value("Port") ?? "5432",
            ["PGUSER"] = Value("Username", "User ID", "User", "UserID", "User Name") ?? "postgres",
            ["PGCONNECT_TIMEOUT"] = "10",
        };
        if (Value("Password", "PSW", "PWD") is { } password)
        {
            environment["PGPASSWORD"] = password;
        }

        return environment;
    }

    private static string Program(string name)
    {
        var path = System.IO.Path.Combine(DefaultBinDirectory, name);
        return File.Exists(path) ? path : name;
    }

    private static (string Output, string Error) Run(string program, IReadOnlyList<string> arguments, bool asPostgres, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = System.IO.Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {arguments.FirstOrDefault()} did not finish within 2 minutes");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{System.IO.Path.GetFileName(program)} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {error.Result}{output.Result}");
        }

        return (output.Result, error.Result);
    }

    private void DeleteFolder()
    {
        if (folder is null)
        {
            return;
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary folder is harmless.
        }
    }
}
