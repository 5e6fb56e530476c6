using System.Security.Cryptography;
using System.Text;
using Experiments.Data;

namespace Experiments.History;

/// <summary>
/// What decides a result, as the run cache compares it (DVC's run cache): a stored completed result with the same
/// three keys is reused instead of training again. Each key is lower-case hex SHA-256.
/// </summary>
/// <param name="Configuration">The experiment's resolved configuration (<see cref="IExperiment.ConfigurationSha256"/>).</param>
/// <param name="Code">The experiment's <see cref="IExperiment.CodeFingerprint"/> with <see cref="RuntimeFingerprint"/>.</param>
/// <param name="Dataset">The dataset's content (<see cref="DatasetKey"/>).</param>
public sealed record RunCacheKey(string Configuration, string Code, string Dataset)
{
    /// <summary>
    /// The code every experiment runs on besides its own: the Experiments.Core assembly (trainer, evaluator,
    /// preprocessing) by its ModuleVersionId, which a deterministic build makes a hash of its content, and the
    /// TorchSharp version.
    /// </summary>
    public static string RuntimeFingerprint { get; } = string.Join(
        '\n',
        "core " + typeof(RunCacheKey).Assembly.ManifestModule.ModuleVersionId.ToString("N"),
        "torchsharp " + (RunInfo.ReadTorchSharpVersion() ?? "unknown"));

    /// <summary>The experiment's code key, or null when it has no <see cref="IExperiment.CodeFingerprint"/> (never cached).</summary>
    public static string? CodeKey(IExperiment experiment) => CodeKey(experiment, RuntimeFingerprint);

    internal static string? CodeKey(IExperiment experiment, string runtime)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.CodeFingerprint is { } fingerprint ? Sha256("code\n" + fingerprint + "\n" + runtime) : null;
    }

    /// <summary>
    /// The dataset's content key: its name and the SHA-256 of each of its files' content. Every load checks the files
    /// against exactly these hashes (hashing them, or finding them in the verification cache by path, size and
    /// modification time), so a dataset that loads, or that <see cref="DatasetStore.IsVerified"/> vouches for, has
    /// this content; no file is read to compute it.
    /// </summary>
    public static string DatasetKey(DatasetDescription dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var text = new StringBuilder("dataset\n").Append(dataset.Name.ToLowerInvariant()).Append('\n');
        foreach (var path in dataset.Sources.SelectMany(s => s.Paths))
        {
            text.Append(path).Append(' ').Append(dataset.Sha256.TryGetValue(path, out var sha) ? sha.ToLowerInvariant() : "-").Append('\n');
        }

        return Sha256(text.ToString());
    }

    /// <summary>The key of <paramref name="experiment"/> on a dataset of key <paramref name="datasetKey"/>; null when it is not cacheable (no configuration hash or code fingerprint).</summary>
    public static RunCacheKey? For(IExperiment experiment, string datasetKey)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(datasetKey);
        return experiment.ConfigurationSha256 is { } configuration && CodeKey(experiment) is { } code
            ? new RunCacheKey(configuration, code, datasetKey)
            : null;
    }

    /// <summary>Whether <paramref name="experiment"/> can be cached at all.</summary>
    public static bool IsCacheable(IExperiment experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.ConfigurationSha256 is not null && experiment.CodeFingerprint is not null;
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
