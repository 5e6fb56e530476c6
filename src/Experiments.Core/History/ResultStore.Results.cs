using System.Data.Common;

namespace Experiments.History;

/// <summary>The results: recording one (idempotently), the run cache's look-up, and reading them back.</summary>
public sealed partial class ResultStore
{
    /// <summary>
    /// Records one experiment's result of run <paramref name="runId"/>, with its model state, in one transaction;
    /// returns the result's id. A result of that experiment already recorded in the run (a retried write, a second
    /// worker) is kept as it is, and its id returned.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="result">The result.</param>
    /// <param name="source">Where the experiment came from, with its run cache key.</param>
    /// <param name="recordedAt">When (default: now).</param>
    /// <param name="cachedFrom">
    /// For a result the run cache reused (<see cref="ExperimentResult.CachedFromRun"/> set), the stored result it is:
    /// the new row shares that result's state rows instead of copying them.
    /// </param>
    public long AddResult(long runId, ExperimentResult result, ExperimentSource? source = null, DateTimeOffset? recordedAt = null, StoredResult? cachedFrom = null)
    {
        CheckState(result, cachedFrom);
        var at = recordedAt ?? DateTimeOffset.UtcNow;
        return Write($"record the result of '{result.Experiment}'", command => InsertResult(command, runId, result, source, at, cachedFrom, workerId: null));
    }

    /// <summary>Refuses a result whose state does not match its shapes before anything is written.</summary>
    internal void CheckState(ExperimentResult result, StoredResult? cachedFrom)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (cachedFrom is null && result.State?.Entries.FirstOrDefault(e => e.Values.Length != e.Shape.Aggregate(1L, (n, d) => n * d)) is { } bad)
        {
            // A bug of whatever filled the state: refused whole (nothing written), so no row has a state that reads back wrong.
            throw new StoreException($"Cannot record the result of '{result.Experiment}' in '{Path}': its state entry '{bad.Name}' has shape [{string.Join(", ", bad.Shape)}] but {bad.Values.Length} values");
        }
    }

    /// <summary>The result's row and its state rows, in the caller's transaction; the stored row's id when its key is taken already.</summary>
    internal static long InsertResult(DbCommand command, long runId, ExperimentResult result, ExperimentSource? source, DateTimeOffset recordedAt, StoredResult? cachedFrom, long? workerId)
    {
        command.Sql(StoreRows.InsertResult);
        StoreRows.AddResultParameters(command, runId, result, source, recordedAt, cachedFrom, workerId);
        if (command.NullableInt64() is not { } id)
        {
            command.Sql("SELECT id FROM results WHERE result_key = @key");
            command.Add("@key", StoreRows.ResultKey(runId, result.Experiment));
            return command.Int64();
        }

        if (cachedFrom is null && result.State is { } state)
        {
            ModelRows.InsertState(command, id, state);
        }

        return id;
    }

    /// <summary>
    /// The run cache's look-up: the latest completed result recorded with <paramref name="key"/>, read with its
    /// weights and its full state. A result that cannot be reused (a damaged row or state, one stored without its
    /// state) is no hit, and <see cref="CacheLookup.Problem"/> says why.
    /// </summary>
    public CacheLookup FindCached(RunCacheKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Read("look up the run cache", command =>
        {
            command.CommandText = StoreRows.ResultColumns(withWeights: true)
                + "WHERE configuration_key = @configuration AND code_key = @code AND dataset_key = @dataset AND status = @completed ORDER BY id DESC LIMIT 1";
            command.Add("@configuration", key.Configuration);
            command.Add("@code", key.Code);
            command.Add("@dataset", key.Dataset);
            command.Add("@completed", RunStatus.Of(ExperimentStatus.Completed));
            StoredResult stored;
            string describe;
            using (var reader = command.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return new CacheLookup(null, null);
                }

                describe = StoreRows.Describe(reader);
                try
                {
                    stored = StoreRows.ReadResult(reader);
                }
                catch (DamagedRowException damaged)
                {
                    return new CacheLookup(null, $"{damaged.Message} in '{Path}'; the row was left as it is");
                }
            }

            try
            {
                stored = WithState(command, stored, describe);
                return stored.Result.State is null
                    ? new CacheLookup(null, $"{describe} in '{Path}' was stored without its model state")
                    : new CacheLookup(stored, null);
            }
            catch (DamagedRowException damaged)
            {
                return new CacheLookup(null, $"{damaged.Message} in '{Path}'; the row was left as it is");
            }
        });
    }

    /// <summary>The results of one run, in the order they were recorded.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="withWeights">Whether to read the learned weights and the model's full state too (31 KB a linear result, more for larger models; only the pictures need them).</param>
    public IReadOnlyList<StoredResult> ResultsOfRun(long runId, bool withWeights = false) => ReadResults("WHERE run_id = @value ORDER BY id", runId, withWeights);

    /// <summary>Every result of one experiment, oldest first.</summary>
    public IReadOnlyList<StoredResult> ResultsOf(string experiment) => ReadResults("WHERE experiment = @value ORDER BY run_id, id", experiment, withWeights: false);

    /// <summary>The names of every experiment with a stored result, in ordinal order.</summary>
    public IReadOnlyList<string> ExperimentNames() => Read("read the experiment names", command =>
    {
        command.CommandText = "SELECT DISTINCT experiment FROM results ORDER BY experiment";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names.Order(StringComparer.Ordinal).ToList();
    });

    /// <summary>The latest stored result of every experiment (by experiment name, ordinal order).</summary>
    public IReadOnlyList<StoredResult> LatestResults() =>
        ReadResults("WHERE id IN (SELECT max(id) FROM results GROUP BY experiment)", null, withWeights: false)
            .OrderBy(r => r.Experiment, StringComparer.Ordinal).ToList();

    private IReadOnlyList<StoredResult> ReadResults(string where, object? value, bool withWeights) => Read("read the results", command =>
    {
        command.CommandText = StoreRows.ResultColumns(withWeights) + where;
        if (value is not null)
        {
            command.Add("@value", value);
        }

        var rows = new List<(StoredResult Result, string Describe)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                try
                {
                    rows.Add((StoreRows.ReadResult(reader), StoreRows.Describe(reader)));
                }
                catch (DamagedRowException damaged)
                {
                    Skip(damaged);
                }
            }
        }

        var results = new List<StoredResult>(rows.Count);
        foreach (var (stored, describe) in rows)
        {
            try
            {
                results.Add(withWeights ? WithState(command, stored, describe) : stored);
            }
            catch (DamagedRowException damaged)
            {
                Skip(damaged);
            }
        }

        return results;
    });

    private void Skip(DamagedRowException damaged)
    {
        lock (skippedRows)
        {
            skippedRows.TryAdd(damaged.RowId, $"skipped {damaged.Message} in '{Path}'; the row was left as it is");
        }
    }

    /// <summary>The result with its state read from <c>result_state</c>, when it was stored with one.</summary>
    private static StoredResult WithState(DbCommand command, StoredResult stored, string describe) =>
        stored.StateEntries is { } entries
            ? stored with { Result = stored.Result with { State = ModelRows.ReadState(command, stored.Id, describe, stored.StateResultId, entries) } }
            : stored;
}
