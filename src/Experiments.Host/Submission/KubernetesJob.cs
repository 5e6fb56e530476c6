using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Experiments.Hosting;

/// <summary>
/// The Kubernetes Indexed Job of a submitted run (docs/scale-out.md), as JSON that <c>kubectl apply -f</c> takes:
/// <see cref="Workers"/> pods at once, each one worker of the run named by its completion index, the store's
/// connection from a Secret. A pod that fails is replaced (up to <see cref="BackoffLimitPerIndex"/> times per index)
/// only once it has stopped, so no two pods are ever the same worker at once.
/// </summary>
internal sealed record KubernetesJob
{
    /// <summary>The manifest's file name in the submission's folder.</summary>
    public const string FileName = "job.json";

    /// <summary>The key of the Secret that holds the store's connection string.</summary>
    public const string SecretKey = "connection";

    /// <summary>The Secret's name when <c>--secret</c> is not given.</summary>
    public const string DefaultSecret = "experiments-store";

    /// <summary>Where a results volume (<c>--results-claim</c>) is mounted in the pod, and the worker's <c>--results</c> then.</summary>
    public const string ResultsPath = "/results";

    /// <summary>The label that names the run key on the Job and its pods.</summary>
    public const string RunKeyLabel = "experiments/run-key";

    /// <summary>How often a pod of one index may fail before the index counts as failed (the other workers go on).</summary>
    public const int BackoffLimitPerIndex = 2;

    /// <summary>The worker's name: Kubernetes expands <c>$(JOB_COMPLETION_INDEX)</c> in a container's args from its env.</summary>
    public const string WorkerName = "k8s-$(JOB_COMPLETION_INDEX)";

    /// <summary>The Job's name (a DNS label, <see cref="JobNameFor"/>).</summary>
    public required string Name { get; init; }

    public required string RunKey { get; init; }

    /// <summary>The run's id in the store, as an annotation; null before it is created (<c>--dry-run</c>).</summary>
    public long? RunId { get; init; }

    /// <summary>How many workers: <c>completions</c> and <c>parallelism</c>.</summary>
    public required int Workers { get; init; }

    /// <summary>The container image that holds the application.</summary>
    public required string Image { get; init; }

    /// <summary>The worker's program inside the image (and its first arguments).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The Secret with the store's connection string under <see cref="SecretKey"/>.</summary>
    public required string Secret { get; init; }

    /// <summary>A PersistentVolumeClaim mounted at <see cref="ResultsPath"/> for the checkpoints and pictures, or null.</summary>
    public string? ResultsClaim { get; init; }

    /// <summary>The worker's arguments; <see cref="WorkerArguments.Name"/>, <see cref="WorkerArguments.Threads"/>, <see cref="WorkerArguments.Store"/> and <see cref="WorkerArguments.Results"/> are the manifest's own.</summary>
    public required WorkerArguments Worker { get; init; }

    /// <summary>
    /// A Job name from the application's name and the run key: a DNS label (lowercase letters, digits and '-',
    /// starting with a letter), short enough that the pods' hostnames (<c>NAME-INDEX</c>) stay within 63 characters.
    /// </summary>
    public static string JobNameFor(string applicationName, string runKey)
    {
        var name = new StringBuilder();
        foreach (var c in applicationName.ToLowerInvariant())
        {
            var keep = char.IsAsciiLetterOrDigit(c) ? c : '-';
            if (keep != '-' || (name.Length > 0 && name[^1] != '-'))
            {
                name.Append(keep);
            }
        }

        var prefix = name.ToString().Trim('-');
        if (prefix.Length == 0 || !char.IsAsciiLetterLower(prefix[0]))
        {
            prefix = "experiments" + (prefix.Length == 0 ? "" : "-" + prefix);
        }

        var key = new string(runKey.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        const int MaxLength = 52;
        var room = MaxLength - key.Length - 1;
        if (prefix.Length > room)
        {
            prefix = prefix[..Math.Max(1, room)].TrimEnd('-');
        }

        var full = prefix + "-" + key;
        return full.Length > MaxLength ? full[..MaxLength].TrimEnd('-') : full;
    }

    /// <summary>The manifest, indented JSON.</summary>
    public string Render()
    {
        if (Workers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Workers), Workers, "An Indexed Job needs at least one completion");
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("apiVersion", "batch/v1");
            json.WriteString("kind", "Job");
            json.WriteStartObject("metadata");
            json.WriteString("name", Name);
            WriteLabels(json);
            if (RunId is { } id)
            {
                json.WriteStartObject("annotations");
                json.WriteString("experiments/run-id", id.ToString(CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteEndObject();

            json.WriteStartObject("spec");
            json.WriteString("completionMode", "Indexed");
            json.WriteNumber("completions", Workers);
            json.WriteNumber("parallelism", Workers);

            // backoffLimitPerIndex (Kubernetes 1.29 on): a worker that keeps failing fails its own index only; the
            // others go on claiming. The Job fails only when every index has failed.
            json.WriteNumber("backoffLimitPerIndex", BackoffLimitPerIndex);
            json.WriteNumber("maxFailedIndexes", Workers - 1);

            // A replacement pod starts once the failed one has stopped: never two pods of one worker name at once.
            json.WriteString("podReplacementPolicy", "Failed");
            json.WriteStartObject("template");
            json.WriteStartObject("metadata");
            WriteLabels(json);
            json.WriteEndObject();
            json.WriteStartObject("spec");
            json.WriteString("restartPolicy", "Never");
            json.WriteStartArray("containers");
            WriteContainer(json);
            json.WriteEndArray();
            if (ResultsClaim is { } claim)
            {
                json.WriteStartArray("volumes");
                json.WriteStartObject();
                json.WriteString("name", "results");
                json.WriteStartObject("persistentVolumeClaim");
                json.WriteString("claimName", claim);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private void WriteLabels(Utf8JsonWriter json)
    {
        json.WriteStartObject("labels");
        json.WriteString("app.kubernetes.io/name", "experiments");
        json.WriteString(RunKeyLabel, RunKey);
        json.WriteEndObject();
    }

    private void WriteContainer(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("name", "worker");
        json.WriteString("image", Image);
        json.WriteStartArray("command");
        foreach (var word in Command)
        {
            json.WriteStringValue(word);
        }

        json.WriteEndArray();

        // Kubernetes expands $(VAR) from the container's env in args; a literal "$(" would be written "$$(".
        var worker = Worker with { Name = NamePlaceholder, Threads = 1, Store = null, Results = ResultsClaim is null ? null : ResultsPath };
        json.WriteStartArray("args");
        foreach (var argument in worker.ToArguments())
        {
            json.WriteStringValue(argument == NamePlaceholder ? WorkerName : argument.Replace("$(", "$$(", StringComparison.Ordinal));
        }

        json.WriteEndArray();

        json.WriteStartArray("env");
        json.WriteStartObject();
        json.WriteString("name", Experiments.History.StoreLocation.EnvironmentVariable);
        json.WriteStartObject("valueFrom");
        json.WriteStartObject("secretKeyRef");
        json.WriteString("name", Secret);
        json.WriteString("key", SecretKey);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();

        // Kubernetes adds JOB_COMPLETION_INDEX to an Indexed Job's pods itself; declared here as well (the same
        // annotation it reads) so that $(JOB_COMPLETION_INDEX) in args expands whatever adds it.
        json.WriteStartObject();
        json.WriteString("name", "JOB_COMPLETION_INDEX");
        json.WriteStartObject("valueFrom");
        json.WriteStartObject("fieldRef");
        json.WriteString("fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();

        json.WriteStartObject("resources");
        foreach (var kind in new[] { "requests", "limits" })
        {
            json.WriteStartObject(kind);
            json.WriteString("cpu", "1");
            json.WriteEndObject();
        }

        json.WriteEndObject();
        if (ResultsClaim is not null)
        {
            json.WriteStartArray("volumeMounts");
            json.WriteStartObject();
            json.WriteString("name", "results");
            json.WriteString("mountPath", ResultsPath);
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>Stands for the worker's name in <see cref="WorkerArguments.ToArguments"/>.</summary>
    private const string NamePlaceholder = "\u0001name\u0001";
}
