using System.Data.Common;

namespace Experiments.History;

/// <summary>
/// The work queue of a run whose experiments are shared out among workers (<c>--parallel</c>, a Slurm job array, a
/// Kubernetes Indexed Job): one task per experiment, claimed with a lease that the worker renews while it trains; an
/// expired lease (a dead worker) is claimed again by another. See docs/scale-out.md.
/// </summary>
public sealed class WorkQueue
{
    public WorkQueue(ResultStore store, WorkQueueOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Store = store;
        Options = options ?? new WorkQueueOptions();
    }

    public ResultStore Store { get; }

    public WorkQueueOptions Options { get; }

    /// <summary>
    /// Creates the run (status running) with one pending task per experiment in the given order, in one transaction;
    /// when a run with <paramref name="runKey"/> exists, writes nothing and returns its id.
    /// </summary>
    public long CreateRun(string runKey, RunInfo info, IReadOnlyList<string> experiments, RunScheduling scheduling, DateTimeOffset startedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(experiments);
        ArgumentNullException.ThrowIfNull(scheduling);
        if (experiments.GroupBy(e => e, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"The experiment '{twice.Key}' is named twice for run '{runKey}': each experiment is one task", nameof(experiments));
        }

        var lease = (int)Math.Ceiling(Options.LeaseDuration.TotalSeconds);
        return Execute($"create the run '{runKey}'", write: true, command =>
        {
            if (ResultStore.InsertRun(command, info, startedAt, experiments.Count, runKey, (scheduling, lease)) is not { } runId)
            {
                return FindRun(command, runKey)!.Value;
            }

            command.Sql("INSERT INTO tasks (run_id, position, experiment, status, attempts) VALUES (@run, @position, @experiment, @pending, 0)");
            command.Add("@run", runId);
            command.Add("@pending", TaskStates.Pending);
            var position = command.Add("@position", System.Data.DbType.Int64);
            var experiment = command.Add("@experiment", System.Data.DbType.String);
            for (var i = 0; i < experiments.Count; i++)
            {
                position.Value = (long)i;
                experiment.Value = experiments[i];
                command.ExecuteNonQuery();
            }

            return runId;
        });
    }

    /// <summary>The id of the run with <paramref name="runKey"/>, or null.</summary>
    public long? FindRun(string runKey)
    {
        ArgumentNullException.ThrowIfNull(runKey);
        return Execute("find the run", write: false, command => FindRun(command, runKey));
    }

    private static long? FindRun(DbCommand command, string runKey)
    {
        command.Sql("SELECT id FROM runs WHERE run_key = @key").Add("@key", runKey);
        return command.NullableInt64();
    }

    /// <summary>Records the scheduler's job id of a submitted run (Slurm's job id).</summary>
    public void SetJobId(long runId, string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        Execute("record the job id", write: true, command =>
        {
            command.Sql("UPDATE runs SET job_id = @job WHERE id = @run");
            command.Add("@job", jobId);
            command.Add("@run", runId);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>
    /// The worker's row in the run; the same <see cref="WorkerInfo.Name"/> again is the same row (marked running), and
    /// the tasks it held are released at once (counted as attempts: its predecessor died while training them).
    /// </summary>
    public long RegisterWorker(long runId, WorkerInfo worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return Execute($"register the worker '{worker.Name}'", write: true, command =>
        {
            var now = Store.Backend.Now;
            command.Sql($"""
                INSERT INTO workers (run_id, name, host, pid, process_start, started_at, heartbeat_at, status)
                VALUES (@run, @name, @host, @pid, @start, {now}, {now}, @running)
                ON CONFLICT (run_id, name) DO UPDATE SET host = excluded.host, pid = excluded.pid, process_start = excluded.process_start,
                    heartbeat_at = excluded.heartbeat_at, ended_at = NULL, status = excluded.status
                RETURNING id
                """);
            command.Add("@run", runId);
            command.Add("@name", worker.Name);
            command.Add("@host", worker.Process.Host);
            command.Add("@pid", (long)worker.Process.ProcessId);
            command.Add("@start", worker.Process.Start);
            command.Add("@running", WorkerStatus.Running);
            var id = command.Int64();
            command.Sql("UPDATE tasks SET status = @pending, worker_id = NULL, claimed_at = NULL, lease_expires_at = NULL WHERE worker_id = @worker AND status = @claimed");
            command.Add("@pending", TaskStates.Pending);
            command.Add("@claimed", TaskStates.Claimed);
            command.Add("@worker", id);
            command.ExecuteNonQuery();
            return id;
        });
    }

    /// <summary>
    /// Claims the first task in order that is pending or whose lease expired; null when none can be claimed now (see
    /// <see cref="Progress"/> for whether others still hold some). A task whose lease expired
    /// <see cref="WorkQueueOptions.MaxAttempts"/> times is marked failed instead of claimed.
    /// </summary>
    public Lease? ClaimNext(long runId, long workerId) => Execute("claim the next experiment", write: true, command =>
    {
        var backend = Store.Backend;
        var now = backend.Now;
        command.Sql($"""
            UPDATE tasks SET status = @failed, finished_at = {now},
                error = 'its worker died ' || CAST(attempts AS TEXT) || ' times while training it: last worker ' || coalesce((SELECT w.name FROM workers w WHERE w.id = tasks.worker_id), '?')
            WHERE run_id = @run AND attempts >= @max AND (status = @pending OR (status = @claimed AND lease_expires_at < {now}))
            """);
        AddStates(command);
        command.Add("@run", runId);
        command.Add("@max", (long)Options.MaxAttempts);
        if (command.ExecuteNonQuery() > 0)
        {
            LockRun(command, runId);
            QueueRows.EndRunIfFinished(command, backend, runId);
        }

        command.Sql($"""
            UPDATE tasks SET status = @claimed, attempts = attempts + 1, worker_id = @worker, claimed_at = {now}, lease_expires_at = {backend.NowPlus("@lease")}
            WHERE id = (SELECT id FROM tasks WHERE run_id = @run AND attempts < @max AND (status = @pending OR (status = @claimed AND lease_expires_at < {now}))
                        ORDER BY position LIMIT 1{backend.SkipLocked})
            RETURNING id, experiment, attempts, lease_expires_at
            """);
        command.Add("@pending", TaskStates.Pending);
        command.Add("@claimed", TaskStates.Claimed);
        command.Add("@run", runId);
        command.Add("@max", (long)Options.MaxAttempts);
        command.Add("@worker", workerId);
        command.Add("@lease", Options.LeaseDuration.TotalSeconds);
        Lease? lease = null;
        using (var reader = command.ExecuteReader())
        {
            if (reader.Read())
            {
                lease = new Lease(reader.GetInt64(0), runId, reader.GetString(1), reader.Int32(2), workerId, StoreRows.ParseTimestamp(reader.GetString(3)));
            }
        }

        Heartbeat(command, workerId);
        return lease;
    });

    /// <summary>Extends the lease (and the worker's heartbeat); false when this worker no longer holds it.</summary>
    public bool Renew(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return Execute($"renew the lease of '{lease.Experiment}'", write: true, command =>
        {
            command.Sql($"UPDATE tasks SET lease_expires_at = {Store.Backend.NowPlus("@lease")} WHERE id = @task AND worker_id = @worker AND attempts = @attempt AND status = @claimed");
            command.Add("@lease", Options.LeaseDuration.TotalSeconds);
            AddLease(command, lease);
            var renewed = command.ExecuteNonQuery() == 1;
            Heartbeat(command, lease.WorkerId);
            return renewed;
        });
    }

    /// <summary>
    /// Records the task's result (idempotent: the first result of an experiment in a run wins) and marks the task done,
    /// in one transaction; ends the run when nothing of it is pending or claimed any more. Returns the stored result's id.
    /// </summary>
    public long Complete(Lease lease, ExperimentResult result, ExperimentSource source, StoredResult? cachedFrom = null)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Store.CheckState(result, cachedFrom);
        var recordedAt = DateTimeOffset.UtcNow;
        return Execute($"record the result of '{result.Experiment}'", write: true, command =>
        {
            var id = ResultStore.InsertResult(command, lease.RunId, result, source, recordedAt, cachedFrom, lease.WorkerId);
            command.Sql($"UPDATE tasks SET status = @done, result_id = @result, finished_at = {Store.Backend.Now}, error = NULL WHERE id = @task AND status <> @done");
            command.Add("@done", TaskStates.Done);
            command.Add("@result", id);
            command.Add("@task", lease.TaskId);
            command.ExecuteNonQuery();
            Heartbeat(command, lease.WorkerId);

            // The run's row lock only for the end-of-run check (not the whole write, which would serialize every
            // worker's completion): two last completions at once take it in turn, and under read committed the second
            // one's check sees the first one's task done, so exactly one of them ends the run.
            LockRun(command, lease.RunId);
            QueueRows.EndRunIfFinished(command, Store.Backend, lease.RunId);
            return id;
        });
    }

    /// <summary>Puts a claimed task back to pending (the worker was stopped); not counted as an attempt.</summary>
    public void Release(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Execute($"release '{lease.Experiment}'", write: true, command =>
        {
            command.Sql("UPDATE tasks SET status = @pending, worker_id = NULL, claimed_at = NULL, lease_expires_at = NULL, attempts = attempts - 1 WHERE id = @task AND worker_id = @worker AND attempts = @attempt AND status = @claimed");
            command.Add("@pending", TaskStates.Pending);
            AddLease(command, lease);
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>Expires every lease the worker holds now (its process was seen to die), so others claim them.</summary>
    public void ExpireLeasesOf(long workerId) => Execute("expire the worker's leases", write: true, command =>
    {
        command.Sql($"UPDATE tasks SET lease_expires_at = {Store.Backend.NowPlus("@past")} WHERE worker_id = @worker AND status = @claimed");
        command.Add("@past", -1.0);
        command.Add("@worker", workerId);
        command.Add("@claimed", TaskStates.Claimed);
        return command.ExecuteNonQuery();
    });

    /// <summary>Records that the worker ended (<see cref="WorkerStatus"/>).</summary>
    public void FinishWorker(long workerId, string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        Execute("record the end of the worker", write: true, command =>
        {
            var now = Store.Backend.Now;
            command.Sql($"UPDATE workers SET status = @status, ended_at = {now}, heartbeat_at = {now} WHERE id = @worker");
            command.Add("@status", status);
            command.Add("@worker", workerId);
            return command.ExecuteNonQuery();
        });
    }

    public RunProgress Progress(long runId) => Execute("read the run's progress", write: false, command =>
        QueueRows.Progress(command, Store.Backend, runId, Scheduling(command, runId)));

    /// <summary>The run's tasks in order.</summary>
    public IReadOnlyList<RunTask> Tasks(long runId) => Execute("read the run's tasks", write: false, command =>
    {
        var now = QueueRows.Now(command, Store.Backend);
        command.Sql("""
            SELECT t.id, t.run_id, t.position, t.experiment, t.status, t.attempts, t.worker_id, w.name, t.lease_expires_at, t.result_id, t.error
            FROM tasks t LEFT JOIN workers w ON w.id = t.worker_id WHERE t.run_id = @run ORDER BY t.position
            """).Add("@run", runId);
        using var reader = command.ExecuteReader();
        var tasks = new List<RunTask>();
        while (reader.Read())
        {
            var status = reader.GetString(4);
            var expires = reader.NullableString(8);
            tasks.Add(new RunTask
            {
                Id = reader.GetInt64(0),
                RunId = reader.GetInt64(1),
                Position = reader.Int32(2),
                Experiment = reader.GetString(3),
                Status = status,
                Attempts = reader.Int32(5),
                WorkerId = reader.NullableInt64(6),
                WorkerName = reader.NullableString(7),
                LeaseExpiresAt = expires is null ? null : StoreRows.ParseTimestamp(expires),
                LeaseExpired = status == TaskStates.Claimed && expires is not null && string.CompareOrdinal(expires, now) < 0,
                ResultId = reader.NullableInt64(9),
                Error = reader.NullableString(10),
            });
        }

        return tasks;
    });

    /// <summary>The run's workers in the order they registered; one not heard from within the lease reads as <see cref="WorkerStatus.Lost"/>.</summary>
    public IReadOnlyList<WorkerRecord> Workers(long runId) => Execute("read the run's workers", write: false, command =>
    {
        var lease = Scheduling(command, runId).LeaseSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Options.LeaseDuration;
        var now = QueueRows.Now(command, Store.Backend);
        command.Sql("""
            SELECT w.id, w.run_id, w.name, w.host, w.pid, w.process_start, w.started_at, w.heartbeat_at, w.ended_at, w.status,
                   (SELECT count(*) FROM results r WHERE r.worker_id = w.id)
            FROM workers w WHERE w.run_id = @run ORDER BY w.id
            """).Add("@run", runId);
        using var reader = command.ExecuteReader();
        var workers = new List<WorkerRecord>();
        while (reader.Read())
        {
            var status = reader.GetString(9);
            var heartbeat = reader.GetString(7);
            workers.Add(new WorkerRecord
            {
                Id = reader.GetInt64(0),
                RunId = reader.GetInt64(1),
                Name = reader.GetString(2),
                Process = new ProcessIdentity(reader.GetString(3), reader.Int32(4), reader.NullableString(5)),
                StartedAt = StoreRows.ParseTimestamp(reader.GetString(6)),
                HeartbeatAt = StoreRows.ParseTimestamp(heartbeat),
                EndedAt = reader.NullableString(8) is { } ended ? StoreRows.ParseTimestamp(ended) : null,
                Status = status == WorkerStatus.Running && !QueueRows.IsLive(status, heartbeat, now, lease) ? WorkerStatus.Lost : status,
                Results = reader.Int32(10),
            });
        }

        return workers;
    });

    private T Execute<T>(string what, bool write, Func<DbCommand, T> work) => Store.Backend.Execute(what, write, work);

    private static (string? Scheduler, string? JobId, int? LeaseSeconds) Scheduling(DbCommand command, long runId)
    {
        command.Sql("SELECT scheduler, job_id, lease_seconds FROM runs WHERE id = @run").Add("@run", runId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.NullableString(0), reader.NullableString(1), reader.NullableInt32(2)) : (null, null, null);
    }

    private void LockRun(DbCommand command, long runId)
    {
        if (Store.Backend.LockRun is { } sql)
        {
            command.Sql(sql).Add("@run", runId);
            command.ExecuteNonQuery();
        }
    }

    private void Heartbeat(DbCommand command, long workerId)
    {
        command.Sql($"UPDATE workers SET heartbeat_at = {Store.Backend.Now} WHERE id = @worker AND status = @running");
        command.Add("@worker", workerId);
        command.Add("@running", WorkerStatus.Running);
        command.ExecuteNonQuery();
    }

    private static void AddStates(DbCommand command)
    {
        command.Add("@failed", TaskStates.Failed);
        command.Add("@pending", TaskStates.Pending);
        command.Add("@claimed", TaskStates.Claimed);
    }

    private static void AddLease(DbCommand command, Lease lease)
    {
        command.Add("@task", lease.TaskId);
        command.Add("@worker", lease.WorkerId);
        command.Add("@attempt", (long)lease.Attempt);
        command.Add("@claimed", TaskStates.Claimed);
    }
}
