using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Experiments.History;

/// <summary>
/// Reads the PostgreSQL forms of a <see cref="StoreLocation"/> into an Npgsql connection string and a display
/// without the password: libpq's URI (<c>postgresql://user:password@host:port,host2/database?sslmode=require</c>,
/// user, password, host and database percent-encoded) and Npgsql's keyword strings.
/// </summary>
internal static partial class StoreConnection
{
    /// <summary>libpq's URI parameters and the Npgsql keyword each is; any other parameter must be an Npgsql keyword.</summary>
    private static readonly Dictionary<string, string> UriParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = "Host",
        ["hostaddr"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["sslmode"] = "SSL Mode",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslrootcert"] = "Root Certificate",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["target_session_attrs"] = "Target Session Attributes",
        ["client_encoding"] = "Client Encoding",
        ["keepalives_idle"] = "Keepalive",
        ["gssencmode"] = "GSS Encryption Mode",
        ["channel_binding"] = "Channel Binding",
    };

    /// <summary>libpq's sslmode words as Npgsql spells them.</summary>
    private static readonly Dictionary<string, string> SslModes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["disable"] = "Disable",
        ["allow"] = "Allow",
        ["prefer"] = "Prefer",
        ["require"] = "Require",
        ["verify-ca"] = "VerifyCA",
        ["verify-full"] = "VerifyFull",
    };

    public static bool IsPostgresUri(string text) =>
        text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The scheme of a URI that is not PostgreSQL's (<c>mysql://...</c>), or null.</summary>
    public static string? OtherScheme(string text) => SchemePattern().Match(text) is { Success: true } match ? match.Groups[1].Value : null;

    /// <summary>Whether the text starts as an Npgsql keyword string does (<c>Host=...</c>).</summary>
    public static bool IsKeywordString(string text) => KeywordPattern().IsMatch(text);

    /// <summary>The Npgsql connection string and display of a libpq URI.</summary>
    public static (string ConnectionString, string Display) FromUri(string uri)
    {
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal) + 3;
        var rest = uri[schemeEnd..];
        string? query = null;
        var questionMark = rest.IndexOf('?', StringComparison.Ordinal);
        if (questionMark >= 0)
        {
            query = rest[(questionMark + 1)..];
            rest = rest[..questionMark];
        }

        string? database = null;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            database = rest[(slash + 1)..];
            rest = rest[..slash];
        }

        string? user = null;
        string? password = null;
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = colon >= 0 ? userInfo[..colon] : userInfo;
            password = colon >= 0 ? userInfo[(colon + 1)..] : null;
            user = Decode(user, "user name", null);
            password = password is null ? null : Decode(password, "password", null);
        }

        var builder = new NpgsqlConnectionStringBuilder();
        string Shown() => Display(builder);
        if (!string.IsNullOrEmpty(user))
        {
            builder.Username = user;
        }

        if (!string.IsNullOrEmpty(password))
        {
            builder.Password = password;
        }

        if (rest.Length > 0)
        {
            builder.Host = Hosts(rest, builder, user);
        }

        if (!string.IsNullOrEmpty(database))
        {
            builder.Database = Decode(database, "database name", user);
        }

        foreach (var pair in (query ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals >= 0 ? pair[..equals] : pair, "parameter name", user);
            if (equals < 0)
            {
                throw new FormatException($"The store 'postgresql://{Shown()}' has the parameter '{name}' without a value: write {name}=VALUE");
            }

            var value = Decode(pair[(equals + 1)..], $"value of '{name}'", user);
            var keyword = UriParameters.TryGetValue(name, out var known) ? known : name;
            if (keyword == "SSL Mode" && SslModes.TryGetValue(value, out var mode))
            {
                value = mode;
            }

            Set(builder, keyword, value, name, () => $"postgresql://{Shown()}");
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException($"The store 'postgresql://{Shown()}' names no host: write postgresql://user@host:port/database (or ?host=/path/of/the/socket/folder)");
        }

        return (builder.ConnectionString, "postgresql://" + Shown());
    }

    /// <summary>The Npgsql connection string and display of an Npgsql keyword string.</summary>
    public static (string ConnectionString, string Display) FromKeywords(string text)
    {
        DbConnectionStringBuilder parsed;
        try
        {
            parsed = new DbConnectionStringBuilder { ConnectionString = text };
        }
        catch (ArgumentException exception)
        {
            throw new FormatException($"The store is neither a file path nor a connection string Npgsql can read: its keyword string is malformed (write Keyword=value pairs separated by ';', e.g. Host=127.0.0.1;Port=5432;Database=experiments;Username=me): {Scrub(exception.Message, text)}", exception);
        }

        var builder = new NpgsqlConnectionStringBuilder();
        foreach (string key in parsed.Keys)
        {
            Set(builder, key, Convert.ToString(parsed[key], CultureInfo.InvariantCulture) ?? "", key, () => Display(builder));
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException($"The store '{Display(builder)}' names no Host: add Host=... (a server name, an address, or the folder of its unix socket)");
        }

        return (builder.ConnectionString, "postgresql://" + Display(builder));
    }

    /// <summary><c>user@host:port/database</c>: what a message shows of a PostgreSQL store (never its password).</summary>
    public static string Display(NpgsqlConnectionStringBuilder builder)
    {
        var user = string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@";
        var host = builder.Host ?? "";
        var hostAndPort = host.Contains(',', StringComparison.Ordinal) || host.StartsWith('/') ? host : $"{host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}";
        return $"{user}{hostAndPort}/{builder.Database ?? ""}";
    }

    /// <summary>The display of a connection string already made (<see cref="StoreLocation.Target"/>).</summary>
    public static string Display(string connectionString) => "postgresql://" + Display(new NpgsqlConnectionStringBuilder(connectionString));

    /// <summary>The host list of a URI (<c>h1:5432,[::1]:5433,%2Ftmp</c>) as Npgsql's Host (its ports there too when they differ).</summary>
    private static string Hosts(string text, NpgsqlConnectionStringBuilder builder, string? user)
    {
        var hosts = new List<(string Host, int? Port)>();
        foreach (var part in text.Split(','))
        {
            string host;
            string? port = null;
            if (part.StartsWith('['))
            {
                var close = part.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new FormatException($"The store's host '{part}' opens an IPv6 address with '[' but does not close it: write [address]:port");
                }

                host = part[1..close];
                var after = part[(close + 1)..];
                if (after.Length > 0)
                {
                    port = after.StartsWith(':') ? after[1..] : throw new FormatException($"The store's host '{part}' has '{after}' after the address: write [address]:port");
                }
            }
            else
            {
                var colon = part.LastIndexOf(':');
                host = colon >= 0 ? part[..colon] : part;
                port = colon >= 0 ? part[(colon + 1)..] : null;
            }

            host = Decode(host, "host", user);
            hosts.Add((host, port is null || port.Length == 0 ? null : Port(port, host)));
        }

        var ports = hosts.Where(h => h.Port is not null).Select(h => h.Port!.Value).Distinct().ToList();
        if (hosts.Count == 1 || (ports.Count == 1 && hosts.All(h => h.Port is not null)))
        {
            if (ports.Count == 1)
            {
                builder.Port = ports[0];
            }

            return string.Join(',', hosts.Select(h => h.Host));
        }

        return string.Join(',', hosts.Select(h => h.Port is { } p ? $"{h.Host}:{p.ToString(CultureInfo.InvariantCulture)}" : h.Host));
    }

    private static int Port(string text, string host) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new FormatException($"The store's port '{text}' (of host '{host}') is not a port number: write a whole number from 1 to 65535");

    private static string Decode(string text, string what, string? user)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException exception)
        {
            var shown = what == "password" ? "" : $" '{text}'";
            throw new FormatException($"The store's {what}{shown}{(user is null ? "" : $" (user '{user}')")} is not valid percent-encoding: write %XX for each byte that is not a letter or digit", exception);
        }
    }

    /// <summary>Sets one keyword; an unknown keyword or a value Npgsql refuses is a message that names it (never a password's value).</summary>
    private static void Set(NpgsqlConnectionStringBuilder builder, string keyword, string value, string given, Func<string> display)
    {
        try
        {
            builder[keyword] = value;
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or InvalidCastException or OverflowException or KeyNotFoundException or NotSupportedException)
        {
            var isSecret = keyword.Contains("password", StringComparison.OrdinalIgnoreCase) || keyword.Equals("psw", StringComparison.OrdinalIgnoreCase) || keyword.Equals("pwd", StringComparison.OrdinalIgnoreCase);
            if (!builder.ContainsKey(keyword) && exception is ArgumentException or KeyNotFoundException or NotSupportedException)
            {
                throw new FormatException($"The store '{display()}' has '{given}', which is neither a libpq URI parameter this framework maps (sslmode, connect_timeout, application_name, ...) nor an Npgsql connection string keyword; remove or correct it", exception);
            }

            var shown = isSecret ? "" : $" '{value}'";
            throw new FormatException($"The store '{display()}' has the value{shown} for '{given}', which Npgsql refuses ({Scrub(exception.Message, isSecret ? value : null)})", exception);
        }
    }

    private static string Scrub(string message, string? secret) =>
        string.IsNullOrEmpty(secret) ? message : message.Replace(secret, "***", StringComparison.Ordinal);

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*)://")]
    private static partial Regex SchemePattern();

    [GeneratedRegex(@"^\s*[A-Za-z][A-Za-z0-9 _]*\s*=")]
    private static partial Regex KeywordPattern();
}
