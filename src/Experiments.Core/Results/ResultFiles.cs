using System.Text;
using System.Text.Json;

namespace Experiments.Results;

/// <summary>
/// Writes <c>latest.json</c> and <c>latest.md</c> into a results directory, each atomically (written to a
/// temporary file, then renamed), so a reader never sees half a file and a failed write keeps the old one. A name
/// that is a symbolic link, a device or a pipe keeps being one (<see cref="AtomicFile"/>).
/// </summary>
public static class ResultFiles
{
    public const string JsonFileName = "latest.json";
    public const string MarkdownFileName = "latest.md";

    /// <summary>
    /// Creates <paramref name="directory"/> if needed and checks that files can be created in it, so a run can fail
    /// before it trains rather than after. Throws <see cref="IOException"/> naming the directory and the reason.
    /// </summary>
    public static void EnsureWritable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, ".write-test-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write results into '{directory}': {exception.Message}", exception);
        }
    }

    /// <summary>Writes both files; returns their paths.</summary>
    public static IReadOnlyList<string> WriteLatest(string directory, IReadOnlyList<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        EnsureWritable(directory);
        var json = Path.Combine(directory, JsonFileName);
        var markdown = Path.Combine(directory, MarkdownFileName);
        AtomicFile.Write(json, ToJson(results));
        AtomicFile.Write(markdown, Encoding.UTF8.GetBytes(ToMarkdown(results)));
        return [json, markdown];
    }

    /// <summary>The results as a JSON array, one object per experiment.</summary>
    public static byte[] ToJson(IReadOnlyList<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var result in results)
            {
                WriteResult(writer, result);
            }

            writer.WriteEndArray();
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>The results table in GitHub-flavoured Markdown (<see cref="ResultTable"/>'s columns), with why each failed or diverged one did.</summary>
    public static string ToMarkdown(IReadOnlyList<ExperimentResult> results) => ResultTable.Table(results).ToMarkdown();

    /// <summary>
    /// Writes one result as latest.json does; <paramref name="writeIdentity"/>, when given, writes the status and
    /// whatever else the caller adds instead of the enum's status.
    /// </summary>
    internal static void WriteResult(Utf8JsonWriter writer, ExperimentResult result, Action<Utf8JsonWriter>? writeIdentity = null)
    {
        writer.WriteStartObject();
        writer.WriteString("experiment", result.Experiment);
        writer.WriteString("dataset", result.Dataset);
        writer.WriteStartArray("classNames");
        foreach (var name in result.ClassNames)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        if (writeIdentity is null)
        {
            writer.WriteString("status", result.Status.ToString().ToLowerInvariant());
        }
        else
        {
            writeIdentity(writer);
        }

        writer.WriteBoolean("cached", result.CachedFromRun is not null);
        if (result.CachedFromRun is { } cachedFrom)
        {
            writer.WriteNumber("cachedFrom", cachedFrom);
        }

        writer.WriteString("architecture", result.Model?.Architecture);
        if (ResultTable.ParameterCount(result) is { } parameters)
        {
            writer.WriteNumber("parameterCount", parameters);
        }
        else
        {
            writer.WriteNull("parameterCount");
        }

        writer.WriteStartObject("hyperparameters");
        foreach (var (name, value) in result.Hyperparameters)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, value);
        }

        writer.WriteEndObject();
        WriteNumber(writer, "accuracy", result.Test?.Accuracy);
        WriteNumber(writer, "loss", result.Test?.Loss);
        WriteNumber(writer, "trainSeconds", result.TrainSeconds);
        WriteNumber(writer, "evaluationSeconds", result.EvaluationSeconds);
        WriteNumber(writer, "preprocessSeconds", result.PreprocessSeconds);
        if (result.Validation is { } validation)
        {
            writer.WriteStartObject("validation");
            WriteNumber(writer, "accuracy", validation.Accuracy);
            WriteNumber(writer, "loss", validation.Loss);
            writer.WriteNumber("count", validation.Count);
            writer.WriteEndObject();
        }

        if (result.BestEpoch is { } bestEpoch)
        {
            writer.WriteNumber("bestEpoch", bestEpoch);
            writer.WriteBoolean("stoppedEarly", result.StoppedEarly);
        }

        writer.WriteStartArray("epochs");
        foreach (var epoch in result.Epochs)
        {
            writer.WriteStartObject();
            writer.WriteNumber("epoch", epoch.Epoch);
            WriteNumber(writer, "trainLoss", epoch.TrainLoss);
            WriteNumber(writer, "seconds", epoch.Seconds);
            if (epoch.TestLoss is { } testLoss)
            {
                WriteNumber(writer, "testLoss", testLoss);
            }

            if (epoch.TestAccuracy is { } testAccuracy)
            {
                WriteNumber(writer, "testAccuracy", testAccuracy);
            }

            if (epoch.ValidationLoss is not null || epoch.ValidationAccuracy is not null)
            {
                WriteNumber(writer, "validationLoss", epoch.ValidationLoss);
                WriteNumber(writer, "validationAccuracy", epoch.ValidationAccuracy);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (result.Test is { } test)
        {
            writer.WriteStartArray("perClassAccuracy");
            foreach (var accuracy in test.PerClassAccuracy)
            {
                WriteNumber(writer, null, accuracy);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("confusionMatrix");
            foreach (var row in test.ConfusionMatrix)
            {
                writer.WriteStartArray();
                foreach (var count in row)
                {
                    writer.WriteNumberValue(count);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        if (result.Error is not null)
        {
            writer.WriteString("error", result.Error);
        }

        if (result.DivergenceReason is not null)
        {
            writer.WriteString("divergenceReason", result.DivergenceReason);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes one hyperparameter value (<see cref="ExperimentSettings.ToNamedValues"/>): integers and finite numbers
    /// as JSON numbers, NaN as null, booleans as booleans, everything else as invariant text. Shared by latest.json
    /// and the run history.
    /// </summary>
    internal static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                WriteNumber(writer, null, d);
                break;
            case float f:
                WriteNumber(writer, null, f);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            default:
                writer.WriteStringValue(ExperimentSettings.Format(value));
                break;
        }
    }

    /// <summary>Writes a number, or null where JSON has no number (NaN, infinities, missing).</summary>
    private static void WriteNumber(Utf8JsonWriter writer, string? name, double? value)
    {
        if (name is not null)
        {
            writer.WritePropertyName(name);
        }

        if (value is { } v && double.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
