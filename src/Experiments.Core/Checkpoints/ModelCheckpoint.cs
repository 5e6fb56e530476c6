using System.Globalization;
using System.Security.Cryptography;
using Experiments.Data;
using Experiments.Results;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Experiments.Checkpoints;

/// <summary>
/// Writes and reads a trained model's checkpoint: <see cref="CheckpointFiles.Model"/> (every entry of the model's
/// <c>state_dict()</c>, under the names PyTorch's equivalent module has, each in its own dtype) and
/// <see cref="CheckpointFiles.Config"/> (<see cref="ExperimentConfig"/>).
/// </summary>
/// <remarks>
/// The safetensors file is written and read by TorchSharp.PyBridge (<c>Safetensors.SaveStateDict</c> and
/// <c>LoadStateDict</c>), which works with TorchSharp 0.107. Its reader trusts the file, so
/// <see cref="SafeTensorsHeader"/> (the checks every safetensors file of the project gets) checks the layout first.
/// Each file is written to a temporary name and renamed (<see cref="AtomicFile"/>), so an interrupted write never
/// leaves half a checkpoint under the final name.
/// </remarks>
public static class ModelCheckpoint
{
    /// <summary>
    /// Writes <paramref name="model"/>'s state and <paramref name="config"/> (its <see cref="ExperimentConfig.Tensors"/>
    /// filled in from the model) into <paramref name="directory"/>, creating it; returns what the run history records,
    /// with the folder relative to <paramref name="resultsDirectory"/> when it is inside it.
    /// </summary>
    public static CheckpointRecord Save(string directory, nn.Module model, ExperimentConfig config, string? resultsDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        Directory.CreateDirectory(directory);
        byte[] weights;
        IReadOnlyList<TensorEntry> tensors;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            // Insertion order is the file's order (PyBridge writes the dictionary as it enumerates).
            var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, value) in InPyTorchOrder(model))
            {
                state[name] = value.detach().cpu().contiguous();
            }

            tensors = state.Select(p => new TensorEntry(p.Key, SafeTensorsFile.DTypeName(p.Value.dtype), p.Value.shape.ToArray())).ToArray();
            using var stream = new MemoryStream();
            Safetensors.SaveStateDict(stream, state, leaveOpen: true);
            weights = stream.ToArray();
        }

        var configBytes = (config with { Tensors = tensors }).ToJson();
        AtomicFile.Write(Path.Combine(directory, CheckpointFiles.Model), weights);
        AtomicFile.Write(Path.Combine(directory, CheckpointFiles.Config), configBytes);
        return new CheckpointRecord(
            RecordedDirectory(directory, resultsDirectory),
            [Describe(CheckpointFiles.Model, weights), Describe(CheckpointFiles.Config, configBytes)]);
    }

    /// <summary>Reads the checkpoint's <see cref="CheckpointFiles.Config"/>; throws <see cref="InvalidDataException"/> naming the file.</summary>
    public static ExperimentConfig ReadConfig(string directory) => ExperimentConfig.Read(Path.Combine(directory, CheckpointFiles.Config));

    /// <summary>
    /// Checks that each file of <paramref name="record"/> in <paramref name="directory"/> still has the SHA-256 the run
    /// history recorded; throws <see cref="InvalidDataException"/> naming the first one that is missing or changed.
    /// </summary>
    public static void Verify(string directory, CheckpointRecord record)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(record);
        foreach (var file in record.Files)
        {
            var path = Path.Combine(directory, file.Name);
            if (!File.Exists(path))
            {
                throw new InvalidDataException($"The checkpoint file '{path}' is missing (deleted or moved since it was written)");
            }

            string actual;
            try
            {
                using var stream = File.OpenRead(path);
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"Cannot read the checkpoint file '{path}': {exception.Message}", exception);
            }

            if (!string.Equals(actual, file.Sha256, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"The checkpoint file '{path}' changed since it was written: its SHA-256 is {actual}, but the run history recorded {file.Sha256}");
            }
        }
    }

    /// <summary>
    /// Reads the tensors of <see cref="CheckpointFiles.Model"/> in <paramref name="directory"/> (on the CPU, owned by
    /// the caller); throws <see cref="InvalidDataException"/> naming the file when it is not a readable safetensors file.
    /// </summary>
    public static Dictionary<string, Tensor> ReadTensors(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = Path.Combine(directory, CheckpointFiles.Model);
        try
        {
            // PyBridge's reader does not check the layout (a truncated file would load with zeros): the header is
            // checked first, by the same code as every other safetensors file, on the handle PyBridge then reads.
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            SafeTensorsHeader.Read(handle);
            using var stream = new FileStream(handle, FileAccess.Read);
            return Safetensors.LoadStateDict(stream, leaveOpen: true, keysToKeep: null);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or ArgumentException
            or InvalidOperationException or NotImplementedException or System.Text.Json.JsonException or OverflowException)
        {
            var why = exception is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : exception.Message;
            throw new InvalidDataException($"The checkpoint file '{path}' is not a readable safetensors file: {why}", exception);
        }
    }

    /// <summary>
    /// Loads the weights of <paramref name="directory"/> into <paramref name="model"/>, which must have exactly the same
    /// state entries (names and shapes); throws <see cref="InvalidDataException"/> naming the first difference.
    /// </summary>
    public static void LoadWeights(string directory, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tensors = ReadTensors(directory);
        try
        {
            using var noGrad = no_grad();
            var state = model.state_dict();
            var path = Path.Combine(directory, CheckpointFiles.Model);
            if (state.Keys.FirstOrDefault(k => !tensors.ContainsKey(k)) is { } missing)
            {
                throw new InvalidDataException($"The checkpoint '{path}' has no tensor '{missing}', which the model has: it was saved from another architecture");
            }

            if (tensors.Keys.FirstOrDefault(k => !state.ContainsKey(k)) is { } extra)
            {
                throw new InvalidDataException($"The checkpoint '{path}' has a tensor '{extra}' that the model does not have: it was saved from another architecture");
            }

            // Every shape is checked before anything is copied, so a checkpoint that does not fit leaves the model as it was.
            foreach (var (name, target) in state)
            {
                var source = tensors[name];
                if (!source.shape.SequenceEqual(target.shape))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"The checkpoint '{path}' has '{name}' of shape [{string.Join(", ", source.shape)}], but the model's is [{string.Join(", ", target.shape)}]: it was saved from another architecture"));
                }
            }

            // The scope disposes each converted copy (to() makes a new tensor unless dtype and device already match).
            using var scope = NewDisposeScope();
            foreach (var (name, target) in state)
            {
                target.copy_(tensors[name].to(target.dtype, target.device));
            }
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// The model's <c>state_dict()</c> in the order PyTorch's equivalent module lists it: module by module in
    /// registration order, each module's parameters before its buffers (<c>bn1.weight</c>, <c>bn1.bias</c>,
    /// <c>bn1.running_mean</c>, ... then <c>conv2.weight</c>). TorchSharp lists every parameter first, then every
    /// buffer; the names are the same.
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, Tensor>> InPyTorchOrder(nn.Module model)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        foreach (var (name, _) in model.named_modules())
        {
            rank.TryAdd(name, rank.Count);
        }

        static string Owner(string entry) => entry.LastIndexOf('.') is var dot and >= 0 ? entry[..dot] : "";
        return model.state_dict()
            .Select((entry, index) => (Entry: entry, Index: index))
            .OrderBy(e => rank.GetValueOrDefault(Owner(e.Entry.Key), int.MaxValue))
            .ThenBy(e => e.Index)
            .Select(e => e.Entry)
            .ToList();
    }

    private static CheckpointFile Describe(string name, byte[] bytes) => new(name, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.LongLength);

    private static string RecordedDirectory(string directory, string? resultsDirectory)
    {
        var full = Path.GetFullPath(directory);
        if (resultsDirectory is null)
        {
            return full;
        }

        var relative = Path.GetRelativePath(Path.GetFullPath(resultsDirectory), full);
        var outside = relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || relative.StartsWith("..\\", StringComparison.Ordinal) || Path.IsPathRooted(relative);
        return outside ? full : relative.Replace('\\', '/');
    }
}
