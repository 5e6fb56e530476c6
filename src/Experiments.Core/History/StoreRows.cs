using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

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
            model, state_result, state_entries, configuration_key, code_key, dataset_key, cached_from_run, class_names, checkpoint, resumed_from_epoch)
        VALUES ($run, $recorded, $experiment, $dataset, $source, $sha, $status, $hyperparameters, $seed,
            $testAccuracy, $testLoss, $validationAccuracy, $validationLoss, $train, $evaluation, $epochs, $test, $validation, $error,
            $weights, $rows, $columns, $preprocess, $bestEpoch, $stoppedEarly, $divergence,
            $model, $stateResult, $stateEntries, $configurationKey, $codeKey, $datasetKey, $cachedFromRun, $classNames, $checkpoint, $resumedFromEpoch)
        RETURNING id
        """;

    /// <param name="p">The command's parameters.</param>
    /// <param name="runId">The run.</param>
    /// <param name="result">The result.</param>
    /// <param name="source">Where the experiment came from, with its cache key.</param>
    /// <param name="recordedAt">When.</param>
    /// <param name="stateOf">For a cached result, the stored result it reuses (whose state rows it shares); null when its state is written with it.</param>
    public static void AddResultParameters(SqliteParameterCollection p, long runId, ExperimentResult result, ExperimentSource? source, DateTimeOffset recordedAt, StoredResult? stateOf)
    {
        p.AddWithValue("$run", runId);
        p.AddWithValue("$recorded", Timestamp(recordedAt));
        p.AddWithValue("$experiment", result.Experiment);
        p.AddWithValue("$dataset", result.Dataset);
        p.AddWithValue("$source", (object?)source?.SourceFile ?? DBNull.Value);
        p.AddWithValue("$sha", (object?)source?.Sha256 ?? DBNull.Value);
        p.AddWithValue("$status", RunStatus.Of(result.Status));
        p.AddWithValue("$hyperparameters", StoredJson.Hyperparameters(result.Hyperparameters));
        p.AddWithValue("$seed", Seed(result) is { } seed ? seed : DBNull.Value);
        p.AddWithValue("$testAccuracy", Real(result.Test?.Accuracy));
        p.AddWithValue("$testLoss", Real(result.Test?.Loss));
        p.AddWithValue("$validationAccuracy", Real(result.Validation?.Accuracy));
        p.AddWithValue("$validationLoss", Real(result.Validation?.Loss));
        p.AddWithValue("$train", Real(result.TrainSeconds));
        p.AddWithValue("$evaluation", Real(result.EvaluationSeconds));
        p.AddWithValue("$epochs", StoredJson.Epochs(result.Epochs));
        p.AddWithValue("$test", result.Test is { } test ? StoredJson.Evaluation(test) : DBNull.Value);
        p.AddWithValue("$validation", result.Validation is { } validation ? StoredJson.Evaluation(validation) : DBNull.Value);
        p.AddWithValue("$error", (object?)result.Error ?? DBNull.Value);
        p.AddWithValue("$weights", result.Weights is { } weights ? MemoryMarshal.AsBytes(weights.AsSpan()).ToArray() : DBNull.Value);
        p.AddWithValue("$rows", result.Weights is { } w1 ? w1.Rows : DBNull.Value);
        p.AddWithValue("$columns", result.Weights is { } w2 ? w2.Columns : DBNull.Value);
        p.AddWithValue("$preprocess", Real(result.PreprocessSeconds));
        p.AddWithValue("$bestEpoch", result.BestEpoch is { } best ? best : DBNull.Value);
        p.AddWithValue("$stoppedEarly", result.StoppedEarly ? 1 : 0);
        p.AddWithValue("$divergence", (object?)result.DivergenceReason ?? DBNull.Value);
        p.AddWithValue("$model", result.Model is { } model ? ModelRows.Summary(model) : DBNull.Value);
        p.AddWithValue("$stateResult", stateOf is { } reused ? reused.StateResultId : DBNull.Value);
        var stateEntries = stateOf is not null ? stateOf.StateEntries : result.State?.Entries.Count;
        p.AddWithValue("$stateEntries", stateEntries is { } entries ? entries : DBNull.Value);
        p.AddWithValue("$configurationKey", (object?)source?.CacheKey?.Configuration ?? DBNull.Value);
        p.AddWithValue("$codeKey", (object?)source?.CacheKey?.Code ?? DBNull.Value);
        p.AddWithValue("$datasetKey", (object?)source?.CacheKey?.Dataset ?? DBNull.Value);
        p.AddWithValue("$cachedFromRun", result.CachedFromRun is { } cachedFrom ? cachedFrom : DBNull.Value);
        p.AddWithValue("$classNames", StoredJson.ClassNames(result.ClassNames));
        p.AddWithValue("$checkpoint", (object?)StoredJson.Checkpoint(result) ?? DBNull.Value);
        p.AddWithValue("$resumedFromEpoch", result.ResumedFromEpoch is { } resumed ? resumed : DBNull.Value);
    }

    /// <summary>The columns <see cref="ReadResult"/> reads, in its order; the weights only when asked for.</summary>
    public static string ResultColumns(bool withWeights) => """
        SELECT id, run_id, recorded_at, experiment, dataset, source_file, source_sha256, status, hyperparameters,
               train_seconds, evaluation_seconds, epochs, test, validation, error, preprocess_seconds, best_epoch, stopped_early, divergence_reason,
        """ + (withWeights ? " weights, weights_rows, weights_columns" : " NULL, NULL, NULL")
        + ", model, state_result, state_entries, configuration_key, code_key, dataset_key, cached_from_run, class_names, checkpoint, resumed_from_epoch FROM results ";

    public static StoredResult ReadResult(SqliteDataReader reader)
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
                reader.GetInt32(20),
                reader.GetInt32(21),
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
                StateEntries = reader.IsDBNull(24) ? null : Column("state_entries", () => reader.GetInt32(24)),
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
                    BestEpoch = reader.IsDBNull(16) ? null : Column("best_epoch", () => reader.GetInt32(16)),
                    StoppedEarly = !reader.IsDBNull(17) && Column("stopped_early", () => reader.GetInt64(17)) != 0,
                    DivergenceReason = reader.IsDBNull(18) ? null : reader.GetString(18),
                    Weights = weights,
                    Model = model,
                    CachedFromRun = reader.IsDBNull(28) ? null : Column("cached_from_run", () => reader.GetInt64(28)),
                    Checkpoint = checkpoint,
                    CheckpointError = checkpointError,
                    ResumedFromEpoch = reader.IsDBNull(31) ? null : Column("resumed_from_epoch", () => reader.GetInt32(31)),
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
    public static string Describe(SqliteDataReader reader)
    {
        var runId = reader.IsDBNull(1) ? "?" : Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture);
        var experiment = reader.IsDBNull(3) ? "?" : Convert.ToString(reader.GetValue(3), CultureInfo.InvariantCulture);
        return $"result {reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)} (run {runId}, experiment '{experiment}')";
    }

    public const string SelectRuns = """
        SELECT r.id, r.started_at, r.ended_at, r.command_line, r.git_commit, r.git_dirty, r.machine, r.operating_system,
               r.dotnet_version, r.torchsharp_version, r.status, count(x.id), max(x.test_accuracy),
               r.host, r.pid, r.process_start, r.planned_results, count(x.cached_from_run)
        FROM runs r LEFT JOIN results x ON x.run_id = r.id
        """;

    /// <summary>A run as stored (its status not yet checked against its process).</summary>
    public static RunRecord ReadRun(SqliteDataReader reader) => new()
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
                : new ProcessIdentity(reader.GetString(13), reader.GetInt32(14), reader.IsDBNull(15) ? null : reader.GetString(15)),
        },
        Status = reader.GetString(10),
        ResultCount = reader.GetInt32(11),
        BestTestAccuracy = reader.IsDBNull(12) ? null : reader.GetDouble(12),
        PlannedResults = reader.IsDBNull(16) ? null : reader.GetInt32(16),
        CachedResults = reader.GetInt32(17),
    };

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
