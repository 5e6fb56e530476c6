using System.Text;
using System.Text.Json;

namespace Experiments.History;

/// <summary>
/// The JSON the store keeps in its text columns: hyperparameters (an object, in order), epochs, and evaluations.
/// Numbers JSON cannot hold (NaN, infinities) are written as null and read back as NaN.
/// </summary>
internal static class StoredJson
{
    public static string Hyperparameters(IReadOnlyList<KeyValuePair<string, object>> values) => Write(writer =>
    {
        writer.WriteStartObject();
        foreach (var (name, value) in values)
        {
            writer.WritePropertyName(name);
            Results.ResultFiles.WriteValue(writer, value);
        }

        writer.WriteEndObject();
    });

    /// <summary>Name/value pairs in stored order: integers as int (or long), other numbers as double, text as string.</summary>
    public static IReadOnlyList<KeyValuePair<string, object>> ReadHyperparameters(string json)
    {
        using var document = JsonDocument.Parse(json);
        var values = new List<KeyValuePair<string, object>>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            object value = property.Value.ValueKind switch
            {
                JsonValueKind.Number when IsInteger(property.Value.GetRawText()) && property.Value.TryGetInt32(out var i) => i,
                JsonValueKind.Number when IsInteger(property.Value.GetRawText()) && property.Value.TryGetInt64(out var l) => l,
                JsonValueKind.Number => property.Value.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => double.NaN,
                JsonValueKind.String => property.Value.GetString()!,
                _ => property.Value.GetRawText(),
            };
            values.Add(new(property.Name, value));
        }

        return values;
    }

    public static string Epochs(IReadOnlyList<EpochMetrics> epochs) => Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var epoch in epochs)
        {
            WriteEpoch(writer, epoch, Number);
        }

        writer.WriteEndArray();
    });

    public static IReadOnlyList<EpochMetrics> ReadEpochs(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => ReadEpoch(e, ReadNumber)).ToList();
    }

    /// <summary>
    /// One epoch's metrics as a JSON object, each number written by <paramref name="number"/>: the run history's
    /// <see cref="Number"/> (null for a value that is not finite), or the training state's exact form.
    /// </summary>
    public static void WriteEpoch(Utf8JsonWriter writer, EpochMetrics epoch, Action<Utf8JsonWriter, double> number)
    {
        writer.WriteStartObject();
        writer.WriteNumber("epoch", epoch.Epoch);
        writer.WritePropertyName("trainLoss");
        number(writer, epoch.TrainLoss);
        writer.WritePropertyName("seconds");
        number(writer, epoch.Seconds);
        foreach (var (name, value) in new[]
        {
            ("testLoss", epoch.TestLoss),
            ("testAccuracy", epoch.TestAccuracy),
            ("validationLoss", epoch.ValidationLoss),
            ("validationAccuracy", epoch.ValidationAccuracy),
        })
        {
            if (value is { } present)
            {
                writer.WritePropertyName(name);
                number(writer, present);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>Reads what <see cref="WriteEpoch"/> writes, each number by <paramref name="number"/>.</summary>
    public static EpochMetrics ReadEpoch(JsonElement e, Func<JsonElement, double> number)
    {
        double? Optional(string name) => e.TryGetProperty(name, out var value) ? number(value) : null;
        return new EpochMetrics(e.GetProperty("epoch").GetInt32(), number(e.GetProperty("trainLoss")), number(e.GetProperty("seconds")), Optional("validationLoss"), Optional("validationAccuracy"))
        {
            TestLoss = Optional("testLoss"),
            TestAccuracy = Optional("testAccuracy"),
        };
    }

    public static string Evaluation(Evaluation evaluation) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WritePropertyName("accuracy");
        Number(writer, evaluation.Accuracy);
        writer.WritePropertyName("loss");
        Number(writer, evaluation.Loss);
        writer.WriteNumber("count", evaluation.Count);
        writer.WriteStartArray("perClassAccuracy");
        foreach (var accuracy in evaluation.PerClassAccuracy)
        {
            Number(writer, accuracy);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("confusionMatrix");
        foreach (var row in evaluation.ConfusionMatrix)
        {
            writer.WriteStartArray();
            foreach (var count in row)
            {
                writer.WriteNumberValue(count);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    public static Evaluation ReadEvaluation(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new Evaluation
        {
            Accuracy = ReadNumber(root.GetProperty("accuracy")),
            Loss = ReadNumber(root.GetProperty("loss")),
            Count = root.GetProperty("count").GetInt32(),
            PerClassAccuracy = root.GetProperty("perClassAccuracy").EnumerateArray().Select(ReadNumber).ToArray(),
            ConfusionMatrix = root.GetProperty("confusionMatrix").EnumerateArray()
                .Select(row => (IReadOnlyList<long>)row.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray(),
        };
    }

    /// <summary>Class names as a JSON array of strings.</summary>
    public static string ClassNames(IReadOnlyList<string> names) => Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var name in names)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
    });

    /// <summary>A JSON array of strings, as <see cref="ClassNames(IReadOnlyList{string})"/> writes it; anything else is a <see cref="JsonException"/>.</summary>
    public static IReadOnlyList<string> ReadClassNames(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException($"expected an array of class names, not {document.RootElement.ValueKind}");
        }

        return [.. document.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new JsonException($"expected a class name (a string), not {e.ValueKind}"))];
    }

    /// <summary>
    /// A result's checkpoint as the <c>checkpoint</c> column keeps it: its folder and files,
    /// <c>{"directory": ..., "files": [{"name", "sha256", "bytes"}]}</c>, and why it could not be written,
    /// <c>{"error": ...}</c>; null (the column's NULL) when the result has neither.
    /// </summary>
    public static string? Checkpoint(ExperimentResult result)
    {
        if (result.Checkpoint is null && result.CheckpointError is null)
        {
            return null;
        }

        return Write(writer =>
        {
            writer.WriteStartObject();
            if (result.Checkpoint is { } checkpoint)
            {
                writer.WriteString("directory", checkpoint.Directory);
                writer.WriteStartArray("files");
                foreach (var file in checkpoint.Files)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", file.Name);
                    writer.WriteString("sha256", file.Sha256);
                    writer.WriteNumber("bytes", file.Bytes);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            if (result.CheckpointError is { } error)
            {
                writer.WriteString("error", error);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>Reads what <see cref="Checkpoint"/> writes; anything else is a <see cref="JsonException"/>, <see cref="KeyNotFoundException"/> or <see cref="InvalidOperationException"/>.</summary>
    public static (Checkpoints.CheckpointRecord? Record, string? Error) ReadCheckpoint(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var error = root.TryGetProperty("error", out var e) ? e.GetString() ?? throw new JsonException("the checkpoint's error is null") : null;
        if (!root.TryGetProperty("directory", out var directory))
        {
            return error is null ? throw new JsonException("the checkpoint has neither a directory nor an error") : (null, error);
        }

        return (new Checkpoints.CheckpointRecord(
            directory.GetString() ?? throw new JsonException("the checkpoint's directory is null"),
            [.. root.GetProperty("files").EnumerateArray().Select(f => new Checkpoints.CheckpointFile(
                f.GetProperty("name").GetString() ?? throw new JsonException("a checkpoint file's name is null"),
                f.GetProperty("sha256").GetString() ?? throw new JsonException("a checkpoint file's sha256 is null"),
                f.GetProperty("bytes").GetInt64()))]), error);
    }

    public static void Number(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    public static double ReadNumber(JsonElement element) => element.ValueKind == JsonValueKind.Null ? double.NaN : element.GetDouble();

    private static bool IsInteger(string raw) => raw.All(c => char.IsAsciiDigit(c) || c == '-');

    private static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
