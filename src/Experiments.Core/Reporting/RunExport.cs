using System.Globalization;
using System.Text;
using System.Text.Json;
using Experiments.History;

namespace Experiments.Reporting;

/// <summary><c>export</c>: one run's results as Markdown (papers), CSV (spreadsheets) or JSON (CI artifacts).</summary>
public static class RunExport
{
    public static IReadOnlyList<string> Formats { get; } = ["md", "csv", "json"];

    public static string Write(string format, RunRecord run, IReadOnlyList<StoredResult> results) => format switch
    {
        "md" => Markdown(run, results),
        "csv" => Csv(run, results),
        "json" => Json(run, results),
        _ => throw new ArgumentException($"Unknown export format '{format}'; expected md, csv or json", nameof(format)),
    };

    public static string Markdown(RunRecord run, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(run);
        var builder = new StringBuilder();
        builder.Append("# Run ").Append(HistoryTables.Id(run.Id)).Append("\n\n");
        foreach (var row in HistoryTables.RunFacts(run).Rows.Skip(1))
        {
            builder.Append("- ").Append(row[0].Text).Append(": ").Append(row[1].Text.Replace("|", "\\|", StringComparison.Ordinal)).Append('\n');
        }

        builder.Append("\n## Results\n\n").Append(HistoryTables.Results("Results", results).ToMarkdown());
        foreach (var perClass in HistoryTables.PerClassAccuracy(results))
        {
            builder.Append("\n## ").Append(perClass.Title).Append("\n\n").Append(perClass.ToMarkdown());
        }

        return builder.ToString();
    }

    /// <summary>One row per result; every hyperparameter any result has gets a column <c>hp.NAME</c>.</summary>
    public static string Csv(RunRecord run, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(results);
        var names = results.SelectMany(r => r.Result.Hyperparameters.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
        var headers = new List<string> { "run", "experiment", "dataset", "status", "yaml_sha256" };
        headers.AddRange(names.Select(n => "hp." + n));
        headers.AddRange(["test_accuracy", "test_loss", "validation_accuracy", "validation_loss", "train_seconds", "evaluation_seconds", "epochs", "error",
            "preprocess_seconds", "best_epoch", "stopped_early", "divergence_reason", "architecture", "parameter_count", "cached_from_run"]);
        var rows = results.Select(stored =>
        {
            var result = stored.Result;
            var values = result.Hyperparameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            var cells = new List<Cell> { HistoryTables.Id(stored.RunId), result.Experiment, result.Dataset, stored.Status, stored.SourceSha256 ?? "" };
            cells.AddRange(names.Select(n => new Cell(values.TryGetValue(n, out var v) ? ExperimentSettings.Format(v) : "")));
            cells.AddRange(
            [
                Number(result.Test?.Accuracy), Number(result.Test?.Loss), Number(result.Validation?.Accuracy), Number(result.Validation?.Loss),
                Number(result.TrainSeconds), Number(result.EvaluationSeconds), result.Epochs.Count.ToString(CultureInfo.InvariantCulture), result.Error ?? "",
                Number(result.PreprocessSeconds), result.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "", result.StoppedEarly ? "true" : "false", result.DivergenceReason ?? "",
                result.Model?.Architecture ?? "", Results.ResultTable.ParameterCount(result)?.ToString(CultureInfo.InvariantCulture) ?? "", result.CachedFromRun?.ToString(CultureInfo.InvariantCulture) ?? "",
            ]);
            return (IReadOnlyList<Cell>)cells;
        }).ToList();
        return new TextTable("Results", headers, rows).ToCsv();

        static Cell Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
    }

    /// <summary>The run and its results in full (the weights excepted), as one JSON object.</summary>
    public static string Json(RunRecord run, IReadOnlyList<StoredResult> results)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(results);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("run");
            writer.WriteNumber("id", run.Id);
            writer.WriteString("status", run.Status);
            writer.WriteString("statusNote", run.StatusNote);
            writer.WriteNumber("resultCount", run.ResultCount);
            writer.WriteNumber("cachedResults", run.CachedResults);
            if (run.PlannedResults is { } planned)
            {
                writer.WriteNumber("plannedResults", planned);
            }
            else
            {
                writer.WriteNull("plannedResults");
            }

            writer.WriteString("startedAt", run.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            if (run.EndedAt is { } ended)
            {
                writer.WriteString("endedAt", ended.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            }
            else
            {
                writer.WriteNull("endedAt");
            }

            writer.WriteString("commandLine", run.Info.CommandLine);
            writer.WriteString("gitCommit", run.Info.GitCommit);
            if (run.Info.GitDirty is { } dirty)
            {
                writer.WriteBoolean("gitDirty", dirty);
            }
            else
            {
                writer.WriteNull("gitDirty");
            }

            writer.WriteString("machine", run.Info.Machine);
            writer.WriteString("host", run.Info.RecordedBy?.Host);
            if (run.Info.RecordedBy is { } process)
            {
                writer.WriteNumber("pid", process.ProcessId);
            }
            else
            {
                writer.WriteNull("pid");
            }

            writer.WriteString("operatingSystem", run.Info.OperatingSystem);
            writer.WriteString("dotnetVersion", run.Info.DotnetVersion);
            writer.WriteString("torchSharpVersion", run.Info.TorchSharpVersion);
            writer.WriteEndObject();
            writer.WriteStartArray("results");
            foreach (var stored in results)
            {
                Results.ResultFiles.WriteResult(writer, stored.Result, w =>
                {
                    w.WriteString("status", stored.Status);
                    w.WriteString("sourceFile", stored.SourceFile);
                    w.WriteString("yamlSha256", stored.SourceSha256);
                });
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
