using System.Data.Common;
using System.Globalization;

namespace Experiments.History;

/// <summary>
/// How a queued run reads: where its tasks and workers stand by the database's clock, and whether it is still going
/// (docs/scale-out.md, "Reading a queued run").
/// </summary>
internal static class QueueRows
{
    /// <summary>The lease a run was created with when it stored none.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);

    /// <summary>The database's clock now (timestamp text).</summary>
    public static string Now(DbCommand command, StoreBackend backend)
    {
        command.Sql($"SELECT {backend.Now}");
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>A worker is lost when it is stored as running but its heartbeat is older than the lease.</summary>
    public static bool IsLive(string status, string heartbeatAt, string now, TimeSpan lease) =>
        status == WorkerStatus.Running && string.CompareOrdinal(heartbeatAt, StoreRows.Timestamp(StoreRows.ParseTimestamp(now) - lease)) >= 0;

    public static RunProgress Progress(DbCommand command, StoreBackend backend, long runId, (string? Scheduler, string? JobId, int? LeaseSeconds) scheduling)
    {
        var now = Now(command, backend);
        var lease = scheduling.LeaseSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultLease;
        int tasks = 0, pending = 0, training = 0, expired = 0, done = 0, failed = 0;
        command.Sql("SELECT status, lease_expires_at FROM tasks WHERE run_id = @run").Add("@run", runId);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tasks++;
                switch (reader.GetString(0))
                {
                    case TaskStates.Pending: pending++; break;
                    case TaskStates.Done: done++; break;
                    case TaskStates.Failed: failed++; break;
                    case TaskStates.Claimed when !reader.IsDBNull(1) && string.CompareOrdinal(reader.GetString(1), now) >= 0: training++; break;
                    default: expired++; break;
                }
            }
        }

        int workers = 0, live = 0;
        command.Sql("SELECT status, heartbeat_at FROM workers WHERE run_id = @run").Add("@run", runId);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                workers++;
                live += IsLive(reader.GetString(0), reader.GetString(1), now, lease) ? 1 : 0;
            }
        }

        return new RunProgress
        {
            Tasks = tasks,
            Pending = pending,
            Training = training,
            Expired = expired,
            Done = done,
            Failed = failed,
            Workers = workers,
            LiveWorkers = live,
            Scheduler = scheduling.Scheduler,
            JobId = scheduling.JobId,
            LeaseDuration = lease,
        };
    }

    /// <summary>
    /// A queued run stored as running: still going while a task has a live lease or a worker was heard from within the
    /// lease; else abandoned once a worker had started; before that, waiting for workers.
    /// </summary>
    public static RunRecord WithLiveness(RunRecord run, RunProgress progress)
    {
        if (run.Status != RunStatus.Running || progress.Training > 0 || progress.LiveWorkers > 0)
        {
            return run;
        }

        var lease = ResultStore.Seconds(progress.LeaseDuration.TotalSeconds);
        if (progress.Workers == 0)
        {
            return run with { StatusNote = "waiting for workers" + (progress.JobId is { } job ? $" (job {job})" : "") };
        }

        var unfinished = progress.Pending + progress.Expired;
        return run with
        {
            Status = RunStatus.Abandoned,
            StatusNote = $"none of its {progress.Workers.ToString(CultureInfo.InvariantCulture)} worker(s) was heard from within the lease ({lease} s) and no task is being trained: its workers were killed or their job ended; {unfinished.ToString(CultureInfo.InvariantCulture)} of {progress.Tasks.ToString(CultureInfo.InvariantCulture)} task(s) are not done (start workers for it again to finish it)",
        };
    }

    /// <summary>
    /// Ends the run when none of its tasks is pending or claimed any more: completed when every task is done and every
    /// result completed, else failed. In the caller's transaction (which holds the run's row lock in PostgreSQL).
    /// </summary>
    public static void EndRunIfFinished(DbCommand command, StoreBackend backend, long runId)
    {
        command.Sql("SELECT count(*) FROM tasks WHERE run_id = @run AND status IN ('pending', 'claimed')").Add("@run", runId);
        if (command.Int64() > 0)
        {
            return;
        }

        command.Sql("""
            SELECT (SELECT count(*) FROM tasks WHERE run_id = @run AND status <> 'done')
                 + (SELECT count(*) FROM results WHERE run_id = @run AND status <> 'completed')
            """).Add("@run", runId);
        var status = command.Int64() == 0 ? RunStatus.Completed : RunStatus.Failed;
        command.Sql($"UPDATE runs SET status = @status, ended_at = {backend.Now} WHERE id = @run AND status IN ('running', 'abandoned')");
        command.Add("@status", status);
        command.Add("@run", runId);
        command.ExecuteNonQuery();
    }
}
