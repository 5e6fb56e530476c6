using System.Text.Json;

namespace Experiments.Runner.Tests;

/// <summary>The Indexed Job manifest of <c>submit --kubernetes</c>, parsed back and checked field by field.</summary>
public sealed class KubernetesJobTests
{
    private static KubernetesJob Job(string? claim = null) => new()
    {
        Name = KubernetesJob.JobNameFor("experiments", "20261202-001805-3fa9c1"),
        RunKey = "20261202-001805-3fa9c1",
        RunId = 7,
        Workers = 3,
        Image = "registry.example.org/lab:1.0",
        Command = ["/app/experiments"],
        Secret = "lab-store",
        ResultsClaim = claim,
        Worker = new WorkerArguments("20261202-001805-3fa9c1", ["seed-recipe", "cnn-$(x)"])
        {
            LeaseSeconds = 45,
            Threads = 2,
            Name = "ignored",
            Store = "postgresql://me:secret@db/lab",
            Results = "/home/me/results",
        },
    };

    private static JsonElement Parse(KubernetesJob job)
    {
        using var document = JsonDocument.Parse(job.Render());
        return document.RootElement.Clone();
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact]
    public void The_manifest_is_an_indexed_job_of_k_workers_with_per_index_retries()
    {
        var job = Parse(Job());
        Assert.Equal("batch/v1", job.GetProperty("apiVersion").GetString());
        Assert.Equal("Job", job.GetProperty("kind").GetString());
        var metadata = job.GetProperty("metadata");
        Assert.Equal("experiments-20261202-001805-3fa9c1", metadata.GetProperty("name").GetString());
        Assert.Equal("20261202-001805-3fa9c1", metadata.GetProperty("labels").GetProperty(KubernetesJob.RunKeyLabel).GetString());
        Assert.Equal("7", metadata.GetProperty("annotations").GetProperty("experiments/run-id").GetString());

        var spec = job.GetProperty("spec");
        Assert.Equal("Indexed", spec.GetProperty("completionMode").GetString());
        Assert.Equal(3, spec.GetProperty("completions").GetInt32());
        Assert.Equal(3, spec.GetProperty("parallelism").GetInt32());
        Assert.Equal(KubernetesJob.BackoffLimitPerIndex, spec.GetProperty("backoffLimitPerIndex").GetInt32());
        Assert.Equal(2, spec.GetProperty("maxFailedIndexes").GetInt32());
        Assert.Equal("Failed", spec.GetProperty("podReplacementPolicy").GetString());

        var template = spec.GetProperty("template");
        Assert.Equal("20261202-001805-3fa9c1", template.GetProperty("metadata").GetProperty("labels").GetProperty(KubernetesJob.RunKeyLabel).GetString());
        var pod = template.GetProperty("spec");
        Assert.Equal("Never", pod.GetProperty("restartPolicy").GetString());
        Assert.False(pod.TryGetProperty("volumes", out _));
        var container = Assert.Single(pod.GetProperty("containers").EnumerateArray());
        Assert.Equal("registry.example.org/lab:1.0", container.GetProperty("image").GetString());
        Assert.Equal(["/app/experiments"], Strings(container.GetProperty("command")));
        Assert.Equal("1", container.GetProperty("resources").GetProperty("requests").GetProperty("cpu").GetString());
        Assert.Equal("1", container.GetProperty("resources").GetProperty("limits").GetProperty("cpu").GetString());
        Assert.False(container.TryGetProperty("volumeMounts", out _));
    }

    [Fact]
    public void The_store_comes_from_the_secret_and_the_name_from_the_completion_index()
    {
        var text = Job().Render();
        Assert.DoesNotContain("secret", text.Replace("secretKeyRef", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var container = Parse(Job()).GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

        var env = container.GetProperty("env").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        var store = env["EXPERIMENTS_STORE"].GetProperty("valueFrom").GetProperty("secretKeyRef");
        Assert.Equal("lab-store", store.GetProperty("name").GetString());
        Assert.Equal("connection", store.GetProperty("key").GetString());
        Assert.Equal(
            "metadata.annotations['batch.kubernetes.io/job-completion-index']",
            env["JOB_COMPLETION_INDEX"].GetProperty("valueFrom").GetProperty("fieldRef").GetProperty("fieldPath").GetString());

        // The pods' paths are not this machine's: no --results without a claim, no --store (the Secret is the store),
        // one thread; $( of a value is escaped, so that only the worker's name is expanded.
        string[] expected = ["worker", "--run-key", "20261202-001805-3fa9c1", "--threads", "1", "--lease", "45", "--name", "k8s-$(JOB_COMPLETION_INDEX)", "seed-recipe", "cnn-$$(x)"];
        Assert.Equal(expected, Strings(container.GetProperty("args")));
    }

    [Fact]
    public void A_results_claim_is_mounted_where_the_workers_write_their_results()
    {
        var pod = Parse(Job("lab-results")).GetProperty("spec").GetProperty("template").GetProperty("spec");
        var volume = Assert.Single(pod.GetProperty("volumes").EnumerateArray());
        Assert.Equal("lab-results", volume.GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());
        var container = pod.GetProperty("containers")[0];
        var mount = Assert.Single(container.GetProperty("volumeMounts").EnumerateArray());
        Assert.Equal(volume.GetProperty("name").GetString(), mount.GetProperty("name").GetString());
        Assert.Equal(KubernetesJob.ResultsPath, mount.GetProperty("mountPath").GetString());
        var args = Strings(container.GetProperty("args"));
        Assert.Equal(KubernetesJob.ResultsPath, args[Array.IndexOf(args, "--results") + 1]);
    }

    [Theory]
    [InlineData("experiments", "experiments-20261202-001805-3fa9c1")]
    [InlineData("My_Lab.Runner", "my-lab-runner-20261202-001805-3fa9c1")]
    [InlineData("2048-lab", "experiments-2048-lab-20261202-001805-3fa9c1")]
    [InlineData("___", "experiments-20261202-001805-3fa9c1")]
    [InlineData("a-very-long-application-name-that-goes-on-and-on-and-on", "a-very-long-application-name-20261202-001805-3fa9c1")]
    public void The_job_name_is_a_dns_label_that_leaves_room_for_the_pod_index(string application, string expected)
    {
        var name = KubernetesJob.JobNameFor(application, "20261202-001805-3fa9c1");
        Assert.Equal(expected, name);
        Assert.Matches("^[a-z]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.True(name.Length <= 52, name);
    }
}
