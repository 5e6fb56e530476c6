using System.Globalization;
using System.Text;
using System.Text.Json;
using Experiments.Data;
using Experiments.History;
using Experiments.Models;

namespace Experiments.Checkpoints;

/// <summary>One tensor of a checkpoint's <see cref="CheckpointFiles.Model"/>: its <c>state_dict()</c> name, safetensors dtype and shape.</summary>
public sealed record TensorEntry(string Name, string DType, IReadOnlyList<long> Shape);

/// <summary>
/// A checkpoint's <c>config.json</c>: the experiment as it was trained, resolved. Every hyperparameter, the
/// architecture, the dataset's description, the class names and the input transform with its measured statistics,
/// plus the tensors of <c>model.safetensors</c>. It is enough to use the weights without the YAML files that made them.
/// </summary>
public sealed record ExperimentConfig
{
    /// <summary>The <c>format</c> this build writes; a reader refuses a newer one.</summary>
    public const string CurrentFormat = "experiments-checkpoint/1";

    public required string Experiment { get; init; }

    public string Description { get; init; } = "";

    /// <summary>The YAML file the experiment was generated from, e.g. <c>experiments/cnn.yaml</c>; empty when not from YAML.</summary>
    public string SourceFile { get; init; } = "";

    /// <summary>The configuration's SHA-256 as built (<see cref="IExperiment.ConfigurationSha256"/>), or null.</summary>
    public string? ConfigurationSha256 { get; init; }

    /// <summary>What the result depends on in code (<see cref="IExperiment.CodeFingerprint"/>), or null.</summary>
    public string? CodeFingerprint { get; init; }

    /// <summary>The dataset as described in <c>datasets/NAME.yaml</c> when the model trained.</summary>
    public required DatasetDescription Dataset { get; init; }

    /// <summary>Every hyperparameter, as results and the run history name them (<see cref="ExperimentSettings.ToNamedValues"/>).</summary>
    public required IReadOnlyList<KeyValuePair<string, object>> Hyperparameters { get; init; }

    /// <summary>The architecture as trained (layers, output shapes, parameter count).</summary>
    public required ModelSummary Architecture { get; init; }

    /// <summary>
    /// The forward pass as data, for a model declared in YAML (<see cref="IExperiment.Network"/>): what the ONNX
    /// export builds its graph from. Null for a user module.
    /// </summary>
    public Network? Network { get; init; }

    /// <summary>How raw examples become the model's inputs, with the training statistics.</summary>
    public required InputTransform Inputs { get; init; }

    /// <summary>The tensors of <c>model.safetensors</c>, in <c>state_dict()</c> order.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; init; } = [];

    /// <summary>Test accuracy in percent of the saved weights, when evaluated.</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>The last epoch the saved weights trained (the best one with early stopping).</summary>
    public int? Epoch { get; init; }

    /// <summary>The class names in class-index order: what <c>predict</c> prints.</summary>
    public IReadOnlyList<string> ClassNames => Dataset.ClassNames;

    /// <summary>The config as UTF-8 JSON, indented, invariant culture.</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", CurrentFormat);
            writer.WriteString("experiment", Experiment);
            writer.WriteString("description", Description);
            writer.WriteString("sourceFile", SourceFile);
            writer.WriteString("configurationSha256", ConfigurationSha256);
            writer.WriteString("codeFingerprint", CodeFingerprint);
            writer.WritePropertyName("dataset");
            DatasetDescriptionJson.Write(writer, Dataset);
            writer.WritePropertyName("hyperparameters");
            using (var hyperparameters = JsonDocument.Parse(StoredJson.Hyperparameters(Hyperparameters)))
            {
                hyperparameters.RootElement.WriteTo(writer);
            }

            writer.WritePropertyName("architecture");
            using (var architecture = JsonDocument.Parse(ModelRows.Summary(Architecture)))
            {
                architecture.RootElement.WriteTo(writer);
            }

            if (Network is { } network)
            {
                writer.WritePropertyName("network");
                NetworkJson.Write(writer, network);
            }

            writer.WriteStartObject("inputs");
            WriteInts(writer, "exampleShape", Inputs.ExampleShape);
            writer.WriteNumber("divideBy", Inputs.Divisor);
            writer.WriteBoolean("deskew", Inputs.Deskew);
            WriteFloats(writer, "mean", Inputs.Mean);
            WriteFloats(writer, "std", Inputs.Std);
            writer.WriteEndObject();
            writer.WriteStartArray("tensors");
            foreach (var entry in Tensors)
            {
                writer.WriteStartObject();
                writer.WriteString("name", entry.Name);
                writer.WriteString("dtype", entry.DType);
                writer.WriteStartArray("shape");
                foreach (var dimension in entry.Shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (TestAccuracy is { } accuracy)
            {
                writer.WriteNumber("testAccuracy", accuracy);
            }

            if (Epoch is { } epoch)
            {
                writer.WriteNumber("epoch", epoch);
            }

            writer.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Reads a config written by <see cref="ToJson"/>; throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and what is wrong.</summary>
    public static ExperimentConfig Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Cannot read the checkpoint's config '{path}': {exception.Message}", exception);
        }

        try
        {
            return Parse(bytes);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"The checkpoint's config '{path}' cannot be read: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Parses config JSON; throws <see cref="JsonException"/>, <see cref="FormatException"/>,
    /// <see cref="KeyNotFoundException"/> or <see cref="InvalidOperationException"/> on bad content, naming the key.
    /// </summary>
    public static ExperimentConfig Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"it is a JSON {root.ValueKind}, not an object");
        }

        var format = JsonKeys.Required(root, "format").GetString();
        if (!string.Equals(format, CurrentFormat, StringComparison.Ordinal))
        {
            throw new FormatException($"its format is '{format}', but this build reads '{CurrentFormat}' (written by a newer build?)");
        }

        return new ExperimentConfig
        {
            Experiment = Text(root, "experiment"),
            Description = root.TryGetProperty("description", out var description) ? description.GetString() ?? "" : "",
            SourceFile = root.TryGetProperty("sourceFile", out var source) ? source.GetString() ?? "" : "",
            ConfigurationSha256 = root.TryGetProperty("configurationSha256", out var sha) ? sha.GetString() : null,
            CodeFingerprint = root.TryGetProperty("codeFingerprint", out var code) ? code.GetString() : null,
            Dataset = JsonKeys.Section(root, "dataset", DatasetDescriptionJson.Read),
            Hyperparameters = JsonKeys.Section(root, "hyperparameters", e => StoredJson.ReadHyperparameters(e.GetRawText())),
            Architecture = JsonKeys.Section(root, "architecture", e => ModelRows.ReadSummary(e.GetRawText())),
            Network = root.TryGetProperty("network", out var network) && network.ValueKind != JsonValueKind.Null ? NetworkJson.Read(network) : null,
            Inputs = JsonKeys.Section(root, "inputs", inputs => new InputTransform(
                JsonKeys.Required(inputs, "exampleShape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                JsonKeys.Required(inputs, "divideBy").GetDouble(),
                JsonKeys.Required(inputs, "deskew").GetBoolean(),
                ReadFloats(inputs, "mean"),
                ReadFloats(inputs, "std"))),
            Tensors = JsonKeys.Section(root, "tensors", tensors => tensors.EnumerateArray().Select(t => new TensorEntry(
                Text(t, "name"),
                Text(t, "dtype"),
                JsonKeys.Required(t, "shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToArray()),
            TestAccuracy = root.TryGetProperty("testAccuracy", out var accuracy) ? accuracy.GetDouble() : null,
            Epoch = root.TryGetProperty("epoch", out var epoch) ? epoch.GetInt32() : null,
        };
    }

    private static string Text(JsonElement element, string name) =>
        JsonKeys.Required(element, name).GetString() ?? throw new FormatException($"'{name}' is null");

    private static void WriteInts(Utf8JsonWriter writer, string name, IReadOnlyList<int> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>Floats as their shortest round-trip text ("R"), so that reading them back gives the same bits.</summary>
    private static void WriteFloats(Utf8JsonWriter writer, string name, float[]? values)
    {
        if (values is null)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            // JSON has no NaN or infinity: a statistic that is not finite (a NaN in the data) cannot be kept.
            if (!float.IsFinite(value))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"the input statistic '{name}' holds {value}, which JSON cannot hold (does the dataset hold NaN or infinite values?)"));
            }

            writer.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: true);
        }

        writer.WriteEndArray();
    }

    /// <summary>The floats under <paramref name="name"/>; null when it is missing or null (no standardization), anything else an error.</summary>
    private static float[]? ReadFloats(JsonElement element, string name) =>
        !element.TryGetProperty(name, out var values) || values.ValueKind == JsonValueKind.Null ? null
        : values.ValueKind == JsonValueKind.Array ? values.EnumerateArray().Select(v => v.GetSingle()).ToArray()
        : throw new FormatException($"'{name}' is a {values.ValueKind}, not a list of numbers or null");
}
