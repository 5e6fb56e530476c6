using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Experiments.History;

/// <summary>
/// How runs and results map to the store's rows: the columns written for a result, and the reading of a run or a
/// result row back into records. A result row whose content cannot be read throws <see cref="DamagedRowException"/>
/// naming the row and the column, so a reader can skip it and go on.
/// </summary>
internal static class StoreRows
{
    public const string InsertResult = """
        INSERT INTO results (run_id, recorded_at, experiment, dataset, source_file, source_sha256, status, hyperparameters, seed,
            test_accuracy, test_loss, validation_accuracy, validation_loss, train_seconds, evaluation_seconds, epochs, test, validation, error,
            weights, weights_rows, weights_columns, preprocess_seconds, best_epoch, stopped_early, divergence_reason,
            model, state_result, state_entries, configuration_key, code_key, dataset_key, cached_from_run, class_names, checkpoint, resumed_from_epoch,
            result_key, worker_id)
        VALUES (@run, @recorded, @experiment, @dataset, @source, @sha, @status, @hyperparameters, @seed,
            @testAccuracy, @testLoss, @validationAccuracy, @validationLoss, @train, @evaluation, @epochs, @test, @validation, @error,
            @weights, @rows, @columns, @preprocess, @bestEpoch, @stoppedEarly, @divergence,
            @model, @stateResult, @stateEntries, @configurationKey, @codeKey, @datasetKey, @cachedFromRun, @classNames, @checkpoint, @resumedFromEpoch,
            @resultKey, @workerId)
        ON CONFLICT (result_key) DO NOTHING
        RETURNING id
        """;

    /// <param name="p">The command's parameters.</param>
    /// <param name="runId">The run.</param>
    /// <param name="result">The result.</param>
    /// <param name="source">Where the experiment came from, with its cache key.</param>
    /// <param name="recordedAt">When.</param>
    /// <param name="stateOf">For a cached result, the stored result it reuses (whose state rows it shares); null when its state is written with it.</param>
    /// <param name="workerId">The worker of a queued run that records it, or null.</param>
    public static void AddResultParameters(DbCommand p, long runId, ExperimentResult result, ExperimentSource? source, DateTimeOffset recordedAt, StoredResult? stateOf, long? workerId = null)
    {
        p.Add("@resultKey", ResultKey(runId, result.Experiment));
        p.Add("@workerId", workerId);
        p.Add("@run", runId);
        p.Add("@recorded", Timestamp(recordedAt));
        p.Add("@experiment", result.Experiment);
        p.Add("@dataset", result.Dataset);
        p.Add("@source", (object?)source?.SourceFile ?? DBNull.Value);
        p.Add("@sha", (object?)source?.Sha256 ?? DBNull.Value);
        p.Add("@status", RunStatus.Of(result.Status));
        p.Add("@hyperparameters", StoredJson.Hyperparameters(result.Hyperparameters));
        p.Add("@seed", Seed(result) is { } seed ? seed : DBNull.Value);
        p.Add("@testAccuracy", Real(result.Test?.Accuracy));
        p.Add("@testLoss", Real(result.Test?.Loss));
        p.Add("@validationAccuracy", Real(result.Validation?.Accuracy));
        p.Add("@validationLoss", Real(result.Validation?.Loss));
        p.Add("@train", Real(result.TrainSeconds));
        p.Add("@evaluation", Real(result.EvaluationSeconds));
        p.Add("@epochs", StoredJson.Epochs(result.Epochs));
        p.Add("@test", result.Test is { } test ? StoredJson.Evaluation(test) : DBNull.Value);
        p.Add("@validation", result.Validation is { } validation ? StoredJson.Evaluation(validation) : DBNull.Value);
        p.Add("@error", (object?)result.Error ?? DBNull.Value);
        p.Add("@weights", result.Weights is { } weights ? MemoryMarshal.AsBytes(weights.AsSpan()).ToArray() : DBNull.Value);
        p.Add("@rows", result.Weights is { } w1 ? w1.Rows : DBNull.Value);
        p.Add("@columns", result.Weights is { } w2 ? w2.Columns : DBNull.Value);
        p.Add("@preprocess", Real(result.PreprocessSeconds));
        p.Add("@bestEpoch", result.BestEpoch is { } best ? best : DBNull.Value);
        p.Add("@stoppedEarly", result.StoppedEarly ? 1 : 0);
        p.Add("@divergence", (object?)result.DivergenceReason ?? DBNull.Value);
        p.Add("@model", result.Model is { } model ? ModelRows.Summary(model) : DBNull.Value);
        p.Add("@stateResult", stateOf is { } reused ? reused.StateResultId : DBNull.Value);
        var stateEntries = stateOf is not null ? stateOf.StateEntries : result.State?.Entries.Count;
        p.Add("@stateEntries", stateEntries is { } entries ? entries : DBNull.Value);
        p.Add("@configurationKey", (object?)source?.CacheKey?.Configuration ?? DBNull.Value);
        p.Add("@codeKey", (object?)source?.CacheKey?.Code ?? DBNull.Value);
        p.Add("@datasetKey", (object?)source?.CacheKey?.Dataset ?? DBNull.Value);
        p.Add("@cachedFromRun", result.CachedFromRun is { } cachedFrom ? cachedFrom : DBNull.Value);
        p.Add("@classNames", StoredJson.ClassNames(result.ClassNames));
        p.Add("@checkpoint", (object?)StoredJson.Checkpoint(result) ?? DBNull.Value);
        p.Add("@resumedFromEpoch", result.ResumedFromEpoch is { } resumed ? resumed : DBNull.Value);
    }

    /// <summary>What makes a result's row unique (docs/scale-out.md): a retried or repeated write of it records nothing new.</summary>
    public static string ResultKey(long runId, string experiment) => runId.ToString(CultureInfo.InvariantCulture) + "/" + experiment;

    /// <summary>The columns <see cref="ReadResult"/> reads, in its order; the weights only when asked for.</summary>
    public static string ResultColumns(bool withWeights) => """
        SELECT id, run_id, recorded_at, experiment, dataset, source_file, source_sha256, status, hyperparameters,
               train_seconds, evaluation_seconds, epochs, test, validation, error, preprocess_seconds, best_epoch, stopped_early, divergence_reason,
        """ + (withWeights ? " weights, weights_rows, weights_columns" : " NULL, NULL, NULL")
        + ", model, state_result, state_entries, configuration_key, code_key, dataset_key, cached_from_run, class_names, checkpoint, resumed_from_epoch,"
        + " (SELECT w.name FROM workers w WHERE w.id = results.worker_id) FROM results ";

    public static StoredResult ReadResult(DbDataReader reader)
    {
        var id = reader.GetInt64(0);
        var column = "";
        T Column<T>(string name, Func<T> read)
        {
            column = name;
            return read();
        }

        try
        {
            var status = Column("status", () => reader.GetString(7));
            var weights = reader.IsDBNull(19) ? null : Column("weights", () => new ModelWeights(
                reader.Int32(20),
                reader.Int32(21),
                MemoryMarshal.Cast<byte, float>((byte[])reader.GetValue(19)).ToArray()));
            var model = reader.IsDBNull(22) ? null : Column("model", () => ModelRows.ReadSummary(reader.GetString(22)));
            var test = reader.IsDBNull(12) ? null : Column("test", () => StoredJson.ReadEvaluation(reader.GetString(12)));
            var validation = reader.IsDBNull(13) ? null : Column("validation", () => StoredJson.ReadEvaluation(reader.GetString(13)));
            var classNames = reader.IsDBNull(29)
                ? IndexNames(test ?? validation)
                : Column("class_names", () => StoredJson.ReadClassNames(reader.GetString(29)));
            var (checkpoint, checkpointError) = reader.IsDBNull(30) ? default : Column("checkpoint", () => StoredJson.ReadCheckpoint(reader.GetString(30)));
            var cacheKey = reader.IsDBNull(25) || reader.IsDBNull(26) || reader.IsDBNull(27)
                ? null
                : Column("configuration_key", () => new RunCacheKey(reader.GetString(25), reader.GetString(26), reader.GetString(27)));
            return new StoredResult
            {
                Id = id,
                CacheKey = cacheKey,
                StateResultId = reader.IsDBNull(23) ? id : Column("state_result", () => reader.GetInt64(23)),
                StateEntries = reader.IsDBNull(24) ? null : Column("state_entries", () => reader.Int32(24)),
                WorkerName = reader.IsDBNull(32) ? null : reader.GetString(32),
                RunId = reader.GetInt64(1),
                RecordedAt = Column("recorded_at", () => ParseTimestamp(reader.GetString(2))),
                SourceFile = reader.IsDBNull(5) ? null : reader.GetString(5),
                SourceSha256 = reader.IsDBNull(6) ? null : reader.GetString(6),
                Status = status,
                Result = new ExperimentResult
                {
                    Experiment = Column("experiment", () => reader.GetString(3)),
                    Dataset = Column("dataset", () => reader.GetString(4)),
                    ClassNames = classNames,
                    Status = Enum.TryParse<ExperimentStatus>(status, ignoreCase: true, out var known) && Enum.IsDefined(known) ? known : ExperimentStatus.Failed,
                    Hyperparameters = Column("hyperparameters", () => StoredJson.ReadHyperparameters(reader.GetString(8))),
                    TrainSeconds = reader.IsDBNull(9) ? double.NaN : Column("train_seconds", () => reader.GetDouble(9)),
                    EvaluationSeconds = reader.IsDBNull(10) ? double.NaN : Column("evaluation_seconds", () => reader.GetDouble(10)),
                    Epochs = Column("epochs", () => StoredJson.ReadEpochs(reader.GetString(11))),
                    Test = test,
                    Validation = validation,
                    Error = reader.IsDBNull(14) ? null : reader.GetString(14),
                    PreprocessSeconds = reader.IsDBNull(15) ? double.NaN : Column("preprocess_seconds", () => reader.GetDouble(15)),
                    BestEpoch = reader.IsDBNull(16) ? null : Column("best_epoch", () => reader.Int32(16)),
                    StoppedEarly = !reader.IsDBNull(17) && Column("stopped_early", () => reader.GetInt64(17)) != 0,
                    DivergenceReason = reader.IsDBNull(18) ? null : reader.GetString(18),
                    Weights = weights,
                    Model = model,
                    CachedFromRun = reader.IsDBNull(28) ? null : Column("cached_from_run", () => reader.GetInt64(28)),
                    Checkpoint = checkpoint,
                    CheckpointError = checkpointError,
                    ResumedFromEpoch = reader.IsDBNull(31) ? null : Column("resumed_from_epoch", () => reader.Int32(31)),
                },
            };
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or FormatException or InvalidCastException or InvalidOperationException
            or KeyNotFoundException or ArgumentException or OverflowException or IndexOutOfRangeException)
        {
            throw new DamagedRowException(id, $"{Describe(reader)}: its {column} column cannot be read ({exception.Message})", exception);
        }
    }

    /// <summary>
    /// The class names of a row written before the store kept them (schema 5): "0".."n-1" for the n classes of its
    /// confusion matrix, as it was shown then; none without an evaluation.
    /// </summary>
    internal static IReadOnlyList<string> IndexNames(Evaluation? evaluation) =>
        evaluation is null ? [] : [.. Enumerable.Range(0, evaluation.ConfusionMatrix.Count).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The row the reader is on, as messages name it: <c>result 4 (run 2, experiment 'a')</c>.</summary>
    public static string Describe(DbDataReader reader)
    {
        var runId = reader.IsDBNull(1) ? "?" : Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture);
        var experiment = reader.IsDBNull(3) ? "?" : Convert.ToString(reader.GetValue(3), CultureInfo.InvariantCulture);
        return $"result {reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)} (run {runId}, experiment '{experiment}')";
    }

    public const string SelectRuns = """
        SELECT r.id, r.started_at, r.ended_at, r.command_line, r.git_commit, r.git_dirty, r.machine, r.operating_system,
               r.dotnet_version, r.torchsharp_version, r.status, count(x.id), max(x.test_accuracy),
               r.host, r.pid, r.process_start, r.planned_results, count(x.cached_from_run),
               r.run_key, r.scheduler, r.job_id, r.lease_seconds
        FROM runs r LEFT JOIN results x ON x.run_id = r.id
        """;

    /// <summary>A run as stored (its status not yet checked against its process).</summary>
    public static RunRecord ReadRun(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        StartedAt = ParseTimestamp(reader.GetString(1)),
        EndedAt = reader.IsDBNull(2) ? null : ParseTimestamp(reader.GetString(2)),
        Info = new RunInfo
        {
            CommandLine = reader.GetString(3),
            GitCommit = reader.IsDBNull(4) ? null : reader.GetString(4),
            GitDirty = reader.IsDBNull(5) ? null : reader.GetInt64(5) != 0,
            Machine = reader.GetString(6),
            OperatingSystem = reader.GetString(7),
            DotnetVersion = reader.GetString(8),
            TorchSharpVersion = reader.IsDBNull(9) ? null : reader.GetString(9),
            RecordedBy = reader.IsDBNull(13) || reader.IsDBNull(14)
                ? null
                : new ProcessIdentity(reader.GetString(13), reader.Int32(14), reader.IsDBNull(15) ? null : reader.GetString(15)),
        },
        Status = reader.GetString(10),
        ResultCount = reader.Int32(11),
        BestTestAccuracy = reader.IsDBNull(12) ? null : reader.GetDouble(12),
        PlannedResults = reader.NullableInt32(16),
        CachedResults = reader.Int32(17),
        RunKey = reader.NullableString(18),
    };

    /// <summary>The queue columns of a run read by <see cref="ReadRun"/>: scheduler, job id, lease seconds.</summary>
    public static (string? Scheduler, string? JobId, int? LeaseSeconds) ReadScheduling(DbDataReader reader) =>
        (reader.NullableString(19), reader.NullableString(20), reader.NullableInt32(21));

    /// <summary>
    /// The run as a reader should see it: one stored as running whose process on this host is gone is abandoned, and
    /// one whose process cannot be checked from here says so.
    /// </summary>
    public static RunRecord WithLiveness(RunRecord run)
    {
        var process = run.Info.RecordedBy;
        if (string.Equals(run.Status, RunStatus.Abandoned, StringComparison.Ordinal))
        {
            return run with { StatusNote = AbandonedNote(process) };
        }

        if (!string.Equals(run.Status, RunStatus.Running, StringComparison.Ordinal))
        {
            return run;
        }

        var liveness = process?.Liveness() ?? ProcessLiveness.Unknown;
        return liveness switch
        {
            ProcessLiveness.Gone => run with { Status = RunStatus.Abandoned, StatusNote = AbandonedNote(process) },
            ProcessLiveness.Alive => run,
            _ when process is null => run with { StatusNote = "whether it is still going is unknown: it was recorded before runs kept their process" },
            _ => run with { StatusNote = $"it runs on host '{process.Host}': whether it is still going cannot be checked from this host" },
        };
    }

    private static string AbandonedNote(ProcessIdentity? process) =>
        $"its process ({(process is null ? "" : $"pid {process.ProcessId.ToString(CultureInfo.InvariantCulture)} on {process.Host}, ")}recorded as running) is gone without recording how the run ended: killed (SIGKILL, out of memory) or the machine restarted";

    internal static string Timestamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTimestamp(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    internal static object Real(double? value) => value is { } v && double.IsFinite(v) ? v : DBNull.Value;

    private static long? Seed(ExperimentResult result) =>
        result.Hyperparameters.FirstOrDefault(p => p.Key == "seed").Value switch
        {
            int i => i,
            long l => l,
            _ => null,
        };
}

/// <summary>A row of the store whose content this build cannot read; the message names the row and the column.</summary>
internal sealed class DamagedRowException(long rowId, string message, Exception innerException) : Exception(message, innerException)
{
    public long RowId { get; } = rowId;
}
