namespace Experiments.Core.Tests.History;

/// <summary>The test fixture itself: a server that answers, one database per call, a restart that keeps the data.</summary>
public sealed class PostgresServerTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public void Each_database_is_new_and_a_restart_keeps_what_was_written()
    {
        var first = server.CreateDatabase();
        var second = server.CreateDatabase();
        Assert.NotEqual(first, second);
        var name = new Npgsql.NpgsqlConnectionStringBuilder(first).Database!;
        server.Psql("CREATE TABLE t (x int); INSERT INTO t VALUES (41), (1);", name);

        server.Restart();

        Assert.Equal("42", server.Psql("SELECT sum(x) FROM t", name));
        Assert.Equal("0", server.Psql("SELECT count(*) FROM pg_tables WHERE tablename = 't'", new Npgsql.NpgsqlConnectionStringBuilder(second).Database!));
        using var connection = new Npgsql.NpgsqlConnection(first);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand("SELECT inet_server_addr()::text", connection);
        Assert.Equal("127.0.0.1/32", command.ExecuteScalar());
    }
}
