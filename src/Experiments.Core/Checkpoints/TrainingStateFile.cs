using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Experiments.Data;
using Experiments.History;
using Experiments.Results;
using TorchSharp;

namespace Experiments.Checkpoints;

/// <summary>
/// What a per-epoch training state (<see cref="TrainingStateFile"/>) says about itself: which training it belongs to,
/// how far it got, and the numbers of the epochs so far. Its tensors (model, optimizer, generators...) are read by the
/// trainer only.
/// </summary>
internal sealed record TrainingStateInfo
{
    /// <summary>The experiment's name, e.g. <c>cnn</c>.</summary>
    public required string Experiment { get; init; }

    /// <summary>The run cache key of the training (configuration, code, dataset), or null for an experiment that has none.</summary>
    public required RunCacheKey? Key { get; init; }

    /// <summary>The last finished epoch (1-based): training goes on with the next one.</summary>
    public required int Epoch { get; init; }

    /// <summary>The epochs the experiment trains for.</summary>
    public required int TotalEpochs { get; init; }

    /// <summary>The optimizer, as the YAML names it (<c>adamw</c>, <c>momentum</c>...).</summary>
    public required string Optimizer { get; init; }

    /// <summary>
    /// Why training cannot go on from this state (an L-BFGS history that TorchSharp cannot save), or null when it can.
    /// Such a state is written all the same, so that <c>--resume</c> can say why it starts again.
    /// </summary>
    public string? NotResumable { get; init; }

    /// <summary>Training seconds up to the end of <see cref="Epoch"/>, over every run that trained it so far.</summary>
    public double TrainSeconds { get; init; }

    /// <summary>The metrics of epochs 1 to <see cref="Epoch"/>.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    /// <summary>Early stopping's best epoch so far (0: none yet, or early stopping is off).</summary>
    public int BestEpoch { get; init; }

    /// <summary>Early stopping's lowest validation loss so far, or null when none yet.</summary>
    public double? BestLoss { get; init; }

    /// <summary>
    /// Whether training was over at this state (its last epoch, or early stopping's patience with
    /// <paramref name="earlyStoppingPatience"/>, as the trainer decides): going on from it trains nothing more, it only
    /// evaluates and saves the model. Such a state is left when the result of a training that ended could not be kept
    /// (not recorded, or its checkpoint not written).
    /// </summary>
    public bool TrainingIsOver(int earlyStoppingPatience) =>
        Epoch >= TotalEpochs || (earlyStoppingPatience > 0 && Epoch - BestEpoch >= earlyStoppingPatience);

    /// <summary>
    /// Why this state cannot continue the training of <paramref name="experiment"/> with key <paramref name="key"/>
    /// (another experiment, configuration, code or dataset; not resumable), or null when it can.
    /// </summary>
    public string? ProblemFor(IExperiment experiment, RunCacheKey? key)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (!string.Equals(Experiment, experiment.Name, StringComparison.Ordinal))
        {
            return $"it is the state of experiment '{Experiment}', not of '{experiment.Name}'";
        }

        if (key is null)
        {
            return "the experiment has no configuration hash or code fingerprint, so no state can be shown to be of the same training";
        }

        if (Key is null)
        {
            return "it records no configuration, code or dataset key";
        }

        var changed = new List<string>();
        if (!string.Equals(Key.Configuration, key.Configuration, StringComparison.Ordinal))
        {
            changed.Add("configuration");
        }

        if (!string.Equals(Key.Code, key.Code, StringComparison.Ordinal))
        {
            changed.Add("code");
        }

        if (!string.Equals(Key.Dataset, key.Dataset, StringComparison.Ordinal))
        {
            changed.Add("dataset");
        }

        if (changed.Count > 0)
        {
            return $"it was trained with another {string.Join(", ", changed)} (the {(changed.Count == 1 ? "key differs" : "keys differ")} from this build's)";
        }

        if (TotalEpochs != experiment.Settings.Epochs || Epoch < 1 || Epoch > TotalEpochs)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its epoch {Epoch} of {TotalEpochs} does not fit the experiment's {experiment.Settings.Epochs} epochs");
        }

        return NotResumable is { } reason ? $"training cannot go on from it: {reason}" : null;
    }
}

/// <summary>
/// The training state the trainer writes after every finished epoch into the experiment's folder
/// (<see cref="ExperimentContext.Checkpoints"/>), so that an interrupted training can go on from its last finished
/// epoch (<see cref="CheckpointOptions.ResumeFrom"/>). Only the last epoch's is kept: each write replaces the file
/// atomically (<see cref="AtomicFile"/>: a crash mid-write leaves the previous epoch's file as it was).
/// </summary>
/// <remarks>
/// <para>
/// One safetensors file (<see cref="SafeTensorsFile"/>, for its <c>__metadata__</c> map): <c>format</c>, the
/// <see cref="TrainingStateInfo"/> as JSON under <c>state</c>, and the SHA-256 of that JSON and the tensors'
/// bytes under <c>sha256</c> (tensor by tensor in ordinal order of their names), so that a damaged file is refused rather than trained on. The
/// tensors are named by what they hold: <c>model.NAME</c> (the <c>state_dict()</c>), <c>optimizer</c> (TorchSharp's
/// own serialization of the optimizer, as bytes), <c>rng.shuffle</c>, <c>rng.global</c> (for a user module only),
/// <c>rng.dropout.I</c> (generator states), <c>fused.weight</c>/<c>fused.bias</c> (the fused SGD step's momentum), <c>best.I</c> (early
/// stopping's weights). The learning curves are numbers in the JSON's metrics (each epoch's test loss and accuracy,
/// measured right after it), so the file grows by a few bytes per epoch, not by a model.
/// </para>
/// <para>
/// The file is for this program to go on training, not for other tools: the model alone is in
/// <see cref="CheckpointFiles.Model"/> once the experiment completes, and the host removes this file once it has
/// recorded the result (<see cref="IsSpentBy"/>).
/// </para>
/// </remarks>
internal static class TrainingStateFile
{
    /// <summary>The file's name in the experiment's folder.</summary>
    public const string FileName = "training-state.safetensors";

    /// <summary>The <c>format</c> this build writes and reads.</summary>
    /// <remarks>2: the learning curves as each epoch's test loss and accuracy in the metrics (1 kept a model per epoch).</remarks>
    public const string CurrentFormat = "experiments-training-state/2";

    /// <summary>The file in <paramref name="directory"/>.</summary>
    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>
    /// Reads and checks the whole state in <paramref name="directory"/> (format, structure, SHA-256 of its tensors) and
    /// returns what it says about itself. Throws <see cref="InvalidDataException"/> naming the file and what is wrong,
    /// <see cref="FileNotFoundException"/> when there is none.
    /// </summary>
    public static TrainingStateInfo Inspect(string directory)
    {
        var (info, tensors) = Read(directory);
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }

        return info;
    }

    /// <summary>
    /// Whether a recorded <paramref name="result"/> of the training makes its states useless: completed with its
    /// checkpoint (the model is kept), or diverged (going on would diverge again, the same way). A completed result
    /// without its checkpoint does not: going on from its last state writes the checkpoint without training again.
    /// </summary>
    public static bool IsSpentBy(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Status == ExperimentStatus.Diverged || (result.Status == ExperimentStatus.Completed && result.Checkpoint is not null);
    }

    /// <summary>Removes the state in <paramref name="directory"/> if there is one; false (and the reason) when that failed.</summary>
    public static bool TryDelete(string directory, out string? problem)
    {
        problem = null;
        try
        {
            File.Delete(PathIn(directory));
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problem = exception.Message;
            return false;
        }
    }

    /// <summary>
    /// Writes the state atomically into <paramref name="directory"/> (created when missing); the tensors must be
    /// contiguous CPU tensors of a dtype <see cref="SafeTensorsFile"/> writes. Throws <see cref="IOException"/> naming the path.
    /// </summary>
    internal static void Write(string directory, TrainingStateInfo info, IReadOnlyList<SafeTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(tensors);
        Directory.CreateDirectory(directory);
        var state = InfoJson(info);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = CurrentFormat,
            ["state"] = state,
            ["sha256"] = Sha256(state, tensors.Select(t => (t.Name, t.Tensor))),
        };
        AtomicFile.Write(PathIn(directory), stream => SafeTensorsFile.Write(stream, tensors, metadata));
    }

    /// <summary>
    /// Reads the state in <paramref name="directory"/>: what it says and its tensors by name (CPU, owned by the
    /// caller). Throws as <see cref="Inspect"/>.
    /// </summary>
    internal static (TrainingStateInfo Info, Dictionary<string, torch.Tensor> Tensors) Read(string directory)
    {
        var path = PathIn(directory);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no training state '{path}'", path);
        }

        Dictionary<string, torch.Tensor> tensors;
        Dictionary<string, string> metadata;
        try
        {
            (tensors, metadata) = SafeTensorsFile.Read(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new InvalidDataException($"The training state '{path}' cannot be read: {exception.Message}", exception);
        }

        try
        {
            var format = metadata.GetValueOrDefault("format");
            if (!string.Equals(format, CurrentFormat, StringComparison.Ordinal))
            {
                throw new InvalidDataException(format is null
                    ? "it has no 'format' (not a training state)"
                    : $"its format is '{format}', but this build reads '{CurrentFormat}'");
            }

            var state = metadata.GetValueOrDefault("state") ?? throw new InvalidDataException("it has no 'state'");
            var sha = Sha256(state, tensors.Select(p => (p.Key, p.Value)));
            if (!string.Equals(sha, metadata.GetValueOrDefault("sha256"), StringComparison.Ordinal))
            {
                throw new InvalidDataException("its content's SHA-256 is not the one it was written with (the file is damaged)");
            }

            var info = ParseInfo(state);
            return (info, tensors);
        }
        catch (Exception exception) when (exception is InvalidDataException or JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }

            throw new InvalidDataException($"The training state '{path}' cannot be used: {exception.Message}", exception);
        }
    }

    private static string InfoJson(TrainingStateInfo info)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("experiment", info.Experiment);
            if (info.Key is { } key)
            {
                writer.WriteStartObject("key");
                writer.WriteString("configuration", key.Configuration);
                writer.WriteString("code", key.Code);
                writer.WriteString("dataset", key.Dataset);
                writer.WriteEndObject();
            }

            writer.WriteNumber("epoch", info.Epoch);
            writer.WriteNumber("epochs", info.TotalEpochs);
            writer.WriteString("optimizer", info.Optimizer);
            if (info.NotResumable is { } reason)
            {
                writer.WriteString("notResumable", reason);
            }

            WriteDouble(writer, "trainSeconds", info.TrainSeconds);
            writer.WriteNumber("bestEpoch", info.BestEpoch);
            if (info.BestLoss is { } bestLoss)
            {
                WriteDouble(writer, "bestLoss", bestLoss);
            }

            writer.WriteStartArray("metrics");
            foreach (var epoch in info.Epochs)
            {
                StoredJson.WriteEpoch(writer, epoch, WriteDoubleValue);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static TrainingStateInfo ParseInfo(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        RunCacheKey? key = root.TryGetProperty("key", out var k)
            ? new RunCacheKey(Text(k, "configuration"), Text(k, "code"), Text(k, "dataset"))
            : null;
        var metrics = root.GetProperty("metrics").EnumerateArray().Select(m => StoredJson.ReadEpoch(m, ReadDouble)).ToArray();
        var info = new TrainingStateInfo
        {
            Experiment = Text(root, "experiment"),
            Key = key,
            Epoch = root.GetProperty("epoch").GetInt32(),
            TotalEpochs = root.GetProperty("epochs").GetInt32(),
            Optimizer = Text(root, "optimizer"),
            NotResumable = root.TryGetProperty("notResumable", out var reason) ? reason.GetString() : null,
            TrainSeconds = ReadDouble(root.GetProperty("trainSeconds")),
            BestEpoch = root.GetProperty("bestEpoch").GetInt32(),
            BestLoss = root.TryGetProperty("bestLoss", out var best) ? ReadDouble(best) : null,
            Epochs = metrics,
        };
        if (info.NotResumable is null && (metrics.Length != info.Epoch || metrics.Select((m, i) => m.Epoch != i + 1).Any(wrong => wrong)))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it is at epoch {info.Epoch} but holds the metrics of epochs [{string.Join(", ", metrics.Select(m => m.Epoch))}]"));
        }

        return info;
    }

    /// <summary>
    /// A double as a JSON number (.NET writes the shortest text that reads back to the same double), or as the string
    /// <c>NaN</c>, <c>Infinity</c> or <c>-Infinity</c>, which JSON numbers cannot be (a validation loss that overflowed).
    /// </summary>
    private static void WriteDouble(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        WriteDoubleValue(writer, value);
    }

    private static void WriteDoubleValue(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static double ReadDouble(JsonElement element) => element.ValueKind == JsonValueKind.String
        ? double.Parse(element.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
        : element.GetDouble();

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    /// <summary>SHA-256 over the state's JSON, then every tensor's name and bytes, in ordinal order of the names.</summary>
    internal static string Sha256(string state, IEnumerable<(string Name, torch.Tensor Tensor)> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(state + "\n"));
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\n"));
            var length = SafeTensorsFile.ByteLength(tensor);
            for (long done = 0; done < length; done += int.MaxValue / 2)
            {
                hash.AppendData(SafeTensorsFile.Memory(tensor, done, (int)Math.Min(int.MaxValue / 2, length - done)));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
