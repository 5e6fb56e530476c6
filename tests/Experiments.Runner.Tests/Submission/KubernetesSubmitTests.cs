using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary><c>submit --kubernetes</c> against PostgreSQL: the run is created, the manifest written beside it, and how to apply it printed.</summary>
public sealed class KubernetesSubmitTests : IClassFixture<PostgresServer>, IDisposable
{
    private const string Password = "pw-Kube-Not-Shown-3";

    private readonly TemporaryDirectory results = new();
    private readonly string connection;

    public KubernetesSubmitTests(PostgresServer server)
    {
        connection = server.CreateDatabase() + ";Password=" + Password;
    }

    public void Dispose() => results.Dispose();

    [Fact]
    public void The_run_is_created_and_the_manifest_written_for_kubectl()
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(["submit", "--kubernetes", "seed-recipe", "tuned-momentum", "--image", "registry.example.org/lab:1.0", "--workers", "2", "--lease", "30", "--results-claim", "lab-results", "--store", connection, "--results", results.Path], console, ExperimentCatalog.All);
        var output = console.Output;

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain(Password, output, StringComparison.Ordinal);
        var file = Assert.Single(results.Files());
        Assert.Equal(KubernetesJob.FileName, Path.GetFileName(file));
        Assert.Contains($"kubectl apply -f {file}", output, StringComparison.Ordinal);
        Assert.Contains("kubectl create secret generic experiments-store --from-literal=connection=", output, StringComparison.Ordinal);

        using var store = ResultStore.Open(StoreLocation.Parse(connection, results.Path), create: false);
        var run = Assert.Single(store.Runs());
        Assert.Contains($"Wrote run {run.Id} as a Kubernetes Indexed Job of 2 workers", output, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.DoesNotContain(Password, run.Info.CommandLine, StringComparison.Ordinal);
        var progress = new WorkQueue(store).Progress(run.Id);
        Assert.Equal(Schedulers.Kubernetes, progress.Scheduler);
        Assert.Equal(2, progress.Pending);
        Assert.Equal(TimeSpan.FromSeconds(30), progress.LeaseDuration);

        var text = File.ReadAllText(file);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(text);
        var metadata = manifest.RootElement.GetProperty("metadata");
        Assert.Equal(run.RunKey, metadata.GetProperty("labels").GetProperty(KubernetesJob.RunKeyLabel).GetString());
        Assert.Equal(run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.GetProperty("annotations").GetProperty("experiments/run-id").GetString());
        var container = manifest.RootElement.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(run.RunKey, args[args.IndexOf("--run-key") + 1]);
        Assert.Equal("30", args[args.IndexOf("--lease") + 1]);
        Assert.Equal(["seed-recipe", "tuned-momentum"], args[^2..]);
    }
}
