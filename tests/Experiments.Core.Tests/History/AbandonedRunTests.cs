using System.Diagnostics;
using Experiments.History;
using Microsoft.Data.Sqlite;

namespace Experiments.Core.Tests.History;

/// <summary>A run whose process was killed without a word reads as abandoned; one that cannot be checked says so.</summary>
public sealed class AbandonedRunTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_run_whose_process_was_killed_with_sigkill_reads_as_abandoned_and_is_stored_so()
    {
        using var directory = new TemporaryDirectory();
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        long run;
        try
        {
            var identity = new ProcessIdentity(Environment.MachineName, sleeper.Id, ProcessIdentity.StartOf(sleeper.Id));
            Assert.NotNull(identity.Start);
            using var store = ResultStore.OpenOrCreate(directory.Path);
            run = store.StartRun(StoreSamples.Info() with { RecordedBy = identity }, Start, plannedResults: 3);
            store.AddResult(run, StoreSamples.Completed("a", 80));

            var going = store.Run(run)!;
            Assert.Equal(RunStatus.Running, going.Status);
            Assert.Null(going.StatusNote);
            Assert.Equal(ProcessLiveness.Alive, identity.Liveness());
        }
        finally
        {
            sleeper.Kill(); // SIGKILL on Unix
            sleeper.WaitForExit();
        }

        using (var store = ResultStore.OpenExisting(directory.Path))
        {
            var killed = store.Run(run)!;
            Assert.Equal(RunStatus.Abandoned, killed.Status);
            Assert.Contains($"pid {sleeper.Id} on {Environment.MachineName}", killed.StatusNote, StringComparison.Ordinal);
            Assert.Contains("is gone", killed.StatusNote, StringComparison.Ordinal);
            Assert.True(killed.Incomplete);
            Assert.Equal(2, killed.MissingResults);
        }

        // A writable store keeps it: the word is stored as text, as every status is.
        Assert.Equal(RunStatus.Abandoned, StoredStatus(directory.Path, run));
        using var again = ResultStore.OpenExisting(directory.Path);
        Assert.Contains("is gone", again.Run(run)!.StatusNote, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_only_store_shows_the_abandoned_run_without_writing()
    {
        using var directory = new TemporaryDirectory();
        var results = directory.Combine("results");
        using (var store = ResultStore.OpenOrCreate(results))
        {
            store.StartRun(StoreSamples.Info() with { RecordedBy = Dead() }, Start);
        }

        WriteProtection.Run(results, () =>
        {
            using var store = ResultStore.OpenExisting(results);
            Assert.Equal(RunStatus.Abandoned, Assert.Single(store.Runs()).Status);
        });
        Assert.Equal(RunStatus.Running, StoredStatus(results, 1));
    }

    [Fact]
    public void A_reused_process_id_or_a_restart_is_not_taken_for_the_process_that_recorded_the_run()
    {
        var current = ProcessIdentity.Current();
        Assert.Equal(ProcessLiveness.Alive, current.Liveness());

        // The same id, started at another time: the id was reused.
        var start = current.Start!;
        var ticks = long.Parse(start[(start.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(ProcessLiveness.Gone, (current with { Start = start[..(start.LastIndexOf(':') + 1)] + (ticks - 1) }).Liveness());

        // The same id and start ticks, another boot: the machine restarted.
        Assert.StartsWith("linux:", start, StringComparison.Ordinal);
        Assert.Equal(ProcessLiveness.Gone, (current with { Start = "linux:00000000-0000-0000-0000-000000000000:" + ticks }).Liveness());
    }

    [Fact]
    public void A_run_recorded_as_running_on_another_host_stays_running_and_says_it_cannot_be_checked()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info() with { RecordedBy = Dead() with { Host = "elsewhere-" + Guid.NewGuid() } }, Start);

        var read = store.Run(run)!;
        Assert.Equal(RunStatus.Running, read.Status);
        Assert.Contains("cannot be checked from this host", read.StatusNote, StringComparison.Ordinal);
        Assert.Contains("elsewhere-", read.StatusNote, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Running, StoredStatus(directory.Path, run));
    }

    [Fact]
    public void A_run_that_ended_is_never_taken_for_abandoned()
    {
        using var directory = new TemporaryDirectory();
        using var store = ResultStore.OpenOrCreate(directory.Path);
        var run = store.StartRun(StoreSamples.Info() with { RecordedBy = Dead() }, Start);
        store.FinishRun(run, RunStatus.Completed, Start.AddSeconds(1));
        Assert.Equal(RunStatus.Completed, store.Run(run)!.Status);
        Assert.Null(store.Run(run)!.StatusNote);
    }

    /// <summary>The identity of a process of this host that has exited (a child, killed and reaped).</summary>
    private static ProcessIdentity Dead()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var identity = new ProcessIdentity(Environment.MachineName, child.Id, ProcessIdentity.StartOf(child.Id));
        child.Kill();
        child.WaitForExit();
        return identity;
    }

    private static string StoredStatus(string directory, long run)
    {
        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(directory)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status FROM runs WHERE id = $id";
        command.Parameters.AddWithValue("$id", run);
        return (string)command.ExecuteScalar()!;
    }
}
