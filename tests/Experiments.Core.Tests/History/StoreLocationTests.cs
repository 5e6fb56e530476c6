using Experiments.History;
using Npgsql;

namespace Experiments.Core.Tests.History;

public sealed class StoreLocationTests
{
    private static readonly string Base = Path.GetFullPath(Path.GetTempPath());

    [Fact]
    public void A_libpq_uri_with_percent_encoded_user_and_password_becomes_an_npgsql_connection_string_without_the_password_in_its_display()
    {
        var location = StoreLocation.Parse("postgresql://lab%40team:p%40ss%3Aw%2Fo%25rd@db.example:6543/sweeps", Base);

        Assert.Equal(StoreKind.PostgreSql, location.Kind);
        var builder = new NpgsqlConnectionStringBuilder(location.Target);
        Assert.Equal("lab@team", builder.Username);
        Assert.Equal("p@ss:w/o%rd", builder.Password);
        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("sweeps", builder.Database);
        Assert.Equal("postgresql://lab@team@db.example:6543/sweeps", location.Display);
        Assert.DoesNotContain("p@ss", location.Display, StringComparison.Ordinal);
        Assert.Equal(location.Display, location.ToString());
    }

    [Theory]
    [InlineData("postgres://me@127.0.0.1/experiments", "127.0.0.1", 5432, "experiments")]
    [InlineData("postgresql://me@[::1]:5433/experiments", "::1", 5433, "experiments")]
    [InlineData("POSTGRESQL://me@host/db%20name", "host", 5432, "db name")]
    [InlineData("postgresql://me@/db?host=%2Fvar%2Frun%2Fpostgresql&port=5434", "/var/run/postgresql", 5434, "db")]
    [InlineData("postgresql://me@%2Ftmp%2Fpg:5435/db", "/tmp/pg", 5435, "db")]
    public void Hosts_ports_and_databases_of_the_uri_form(string text, string host, int port, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(StoreLocation.Parse(text, Base).Target);

        Assert.Equal(host, builder.Host);
        Assert.Equal(port, builder.Port);
        Assert.Equal(database, builder.Database);
        Assert.Equal("me", builder.Username);
    }

    [Fact]
    public void Several_hosts_keep_their_own_ports()
    {
        var builder = new NpgsqlConnectionStringBuilder(StoreLocation.Parse("postgresql://me@a:5432,b:5433/db", Base).Target);

        Assert.Equal("a:5432,b:5433", builder.Host);
    }

    [Fact]
    public void Query_parameters_map_to_npgsql_keywords()
    {
        var location = StoreLocation.Parse("postgresql://me@h/db?sslmode=verify-full&connect_timeout=7&application_name=sweep%201&Maximum%20Pool%20Size=5", Base);
        var builder = new NpgsqlConnectionStringBuilder(location.Target);

        Assert.Equal(SslMode.VerifyFull, builder.SslMode);
        Assert.Equal(7, builder.Timeout);
        Assert.Equal("sweep 1", builder.ApplicationName);
        Assert.Equal(5, builder.MaxPoolSize);
        Assert.Equal("postgresql://me@h:5432/db", location.Display);
    }

    [Fact]
    public void An_npgsql_keyword_string_is_postgresql_and_its_display_hides_the_password()
    {
        var location = StoreLocation.Parse("Host=127.0.0.1;Port=5439;Database=experiments;Username=me;Password=s3cret;SSL Mode=Disable", Base);

        Assert.Equal(StoreKind.PostgreSql, location.Kind);
        var builder = new NpgsqlConnectionStringBuilder(location.Target);
        Assert.Equal("s3cret", builder.Password);
        Assert.Equal(5439, builder.Port);
        Assert.Equal("postgresql://me@127.0.0.1:5439/experiments", location.Display);
        Assert.DoesNotContain("s3cret", location.Display, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://me:hunter2@h:99999/db", "port '99999'")]
    [InlineData("postgresql://me:hunter2@h:5x/db", "port '5x'")]
    [InlineData("postgresql://me:hunter2@h/db?sslmode=sometimes", "'sslmode'")]
    [InlineData("postgresql://me:hunter2@h/db?frobnicate=1", "'frobnicate'")]
    [InlineData("postgresql://me:hunter2@h/db?sslmode", "'sslmode' without a value")]
    [InlineData("postgresql://me:hunter2@/db", "names no host")]
    [InlineData("postgresql://me:hunter2@[::1/db", "IPv6")]
    [InlineData("Host=h;Password=hunter2;Frobnicate=1", "'Frobnicate'")]
    [InlineData("Host=h;Password=hunter2;Port=abc", "'Port'")]
    [InlineData("Password=hunter2;Database=db", "names no Host")]
    [InlineData("mysql://me:hunter2@h/db", "'mysql'")]
    public void Bad_connections_name_what_is_wrong_without_the_password(string text, string expected)
    {
        var exception = Assert.Throws<FormatException>(() => StoreLocation.Parse(text, Base));

        Assert.Contains(expected, exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_npgsql_refuses_is_not_shown_either()
    {
        // A malformed percent escape in the password.
        var exception = Assert.Throws<FormatException>(() => StoreLocation.Parse("postgresql://me:hun%ZZter2@h/db?port=0", Base));

        Assert.DoesNotContain("hun", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqlite_paths_files_and_folders()
    {
        using var directory = new TemporaryDirectory();
        var folder = Directory.CreateDirectory(directory.Combine("results")).FullName;

        var file = StoreLocation.Parse("sqlite:lab/runs.db", directory.Path);
        Assert.Equal(StoreKind.Sqlite, file.Kind);
        Assert.Equal(directory.Combine("lab", "runs.db"), file.Target);
        Assert.Equal(file.Target, file.Display);

        Assert.Equal(Path.Combine(folder, ResultStore.FileName), StoreLocation.Parse("results", directory.Path).Target);
        Assert.Equal(Path.Combine(folder, ResultStore.FileName), StoreLocation.Parse($"sqlite:{folder}", "/elsewhere").Target);
        Assert.Equal(directory.Combine("new", ResultStore.FileName), StoreLocation.Parse("new/", directory.Path).Target);
        Assert.Equal(directory.Combine("a=b.db"), StoreLocation.Parse("./a=b.db", directory.Path).Target);
        Assert.Equal(StoreLocation.InDirectory(folder), StoreLocation.Parse(folder, "/"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("sqlite:")]
    public void An_empty_store_is_refused(string text)
    {
        var exception = Assert.Throws<FormatException>(() => StoreLocation.Parse(text, Base));

        Assert.Contains("sqlite:PATH", exception.Message, StringComparison.Ordinal);
    }
}
