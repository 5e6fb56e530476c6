using System.Data.Common;
using System.Globalization;

namespace Experiments.History;

/// <summary>The runs: starting and ending one, and reading them back with how alive they are.</summary>
public sealed partial class ResultStore
{
    /// <summary>Records the start of a run (status <see cref="RunStatus.Running"/>); returns its id.</summary>
    /// <param name="info">Where and how the run happens, with the process that records it.</param>
    /// <param name="startedAt">When it started.</param>
    /// <param name="plannedResults">How many experiments it sets out to run (so readers can tell how many are missing), or null.</param>
    public long StartRun(RunInfo info, DateTimeOffset startedAt, int? plannedResults = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        return Write("record the run", command => InsertRun(command, info, startedAt, plannedResults, null, null)!.Value);
    }

    /// <summary>Inserts a run row; with a <paramref name="runKey"/>, nothing when a run with that key exists (then null).</summary>
    internal static long? InsertRun(DbCommand command, RunInfo info, DateTimeOffset startedAt, int? plannedResults, string? runKey, (RunScheduling Scheduling, int LeaseSeconds)? queue)
    {
        command.Sql("""
            INSERT INTO runs (started_at, command_line, git_commit, git_dirty, machine, operating_system, dotnet_version, torchsharp_version, status,
                host, pid, process_start, planned_results, run_key, scheduler, lease_seconds)
            VALUES (@started, @command, @commit, @dirty, @machine, @os, @dotnet, @torch, @status, @host, @pid, @processStart, @planned, @runKey, @scheduler, @lease)
            ON CONFLICT (run_key) DO NOTHING RETURNING id
            """);
        command.Add("@started", StoreRows.Timestamp(startedAt));
        command.Add("@command", info.CommandLine);
        command.Add("@commit", info.GitCommit);
        command.Add("@dirty", info.GitDirty is { } dirty ? (dirty ? 1L : 0L) : null);
        command.Add("@machine", info.Machine);
        command.Add("@os", info.OperatingSystem);
        command.Add("@dotnet", info.DotnetVersion);
        command.Add("@torch", info.TorchSharpVersion);
        command.Add("@status", RunStatus.Running);
        command.Add("@host", info.RecordedBy?.Host);
        command.Add("@pid", info.RecordedBy is { } process ? (long)process.ProcessId : null);
        command.Add("@processStart", info.RecordedBy?.Start);
        command.Add("@planned", plannedResults is { } planned ? (long)planned : null);
        command.Add("@runKey", runKey);
        command.Add("@scheduler", queue?.Scheduling.Scheduler);
        command.Add("@lease", queue is { } q ? (long)q.LeaseSeconds : null);
        return command.NullableInt64();
    }

    /// <summary>Records how run <paramref name="runId"/> ended.</summary>
    public void FinishRun(long runId, string status, DateTimeOffset endedAt)
    {
        ArgumentNullException.ThrowIfNull(status);
        Write("record the end of the run", command =>
        {
            command.CommandText = "UPDATE runs SET status = @status, ended_at = @ended WHERE id = @id";
            command.Add("@status", status);
            command.Add("@ended", StoreRows.Timestamp(endedAt));
            command.Add("@id", runId);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>Every run, oldest first.</summary>
    public IReadOnlyList<RunRecord> Runs() => ReadRuns(null);

    /// <summary>The run with that id, or null.</summary>
    public RunRecord? Run(long id) => ReadRuns(id).SingleOrDefault();

    private IReadOnlyList<RunRecord> ReadRuns(long? id)
    {
        var stored = Read("read the runs", command =>
        {
            command.CommandText = StoreRows.SelectRuns + (id is null ? "" : " WHERE r.id = @id") + " GROUP BY r.id ORDER BY r.id";
            if (id is not null)
            {
                command.Add("@id", id);
            }

            var runs = new List<(RunRecord Run, (string? Scheduler, string? JobId, int? LeaseSeconds) Scheduling)>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    runs.Add((StoreRows.ReadRun(reader), StoreRows.ReadScheduling(reader)));
                }
            }

            // Queued runs: where their tasks and workers stand, by the database's clock (read after the reader is closed: PostgreSQL runs one command at a time).
            return runs.Select(r => r.Run.RunKey is null
                ? r.Run
                : r.Run with { Progress = QueueRows.Progress(command, Backend, r.Run.Id, r.Scheduling) }).ToList();
        });
        var runs = stored.Select(run => run.Progress is { } progress ? QueueRows.WithLiveness(run, progress) : StoreRows.WithLiveness(run)).ToList();
        foreach (var abandoned in runs.Where(r => r.Status == RunStatus.Abandoned && r.Progress is null))
        {
            StoreAbandoned(abandoned.Id);
        }

        return runs;
    }

    /// <summary>
    /// Stores that a run whose process is gone is abandoned, when the store can be written; best effort (what is
    /// shown does not depend on it). Only a run still stored as running changes, so a run that ended meanwhile keeps its end.
    /// (A queued run is not: a requeued worker may still take it up again.)
    /// </summary>
    private void StoreAbandoned(long runId)
    {
        if (!Backend.Writable)
        {
            return;
        }

        try
        {
            Write("record that the run was abandoned", command =>
            {
                command.CommandText = "UPDATE runs SET status = @abandoned WHERE id = @id AND status = @running";
                command.Add("@abandoned", RunStatus.Abandoned);
                command.Add("@running", RunStatus.Running);
                command.Add("@id", runId);
                return command.ExecuteNonQuery();
            });
        }
        catch (StoreException)
        {
            // Locked, read-only or full: readers still see it as abandoned.
        }
    }

    internal static string Seconds(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture);
}
