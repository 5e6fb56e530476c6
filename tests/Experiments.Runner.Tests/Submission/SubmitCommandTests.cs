using System.Text.Json;
using Experiments.Generated;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary><c>submit</c>'s refusals and <c>--dry-run</c>, in process (no store is opened, nothing is submitted).</summary>
public sealed class SubmitCommandTests : IDisposable
{
    /// <summary>A PostgreSQL store with a password: nothing may show it. No server is there (a dry run connects to none).</summary>
    private const string Store = "postgresql://me:hunter2@127.0.0.1:1/lab";

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, ExperimentCatalog.All);
        Assert.DoesNotContain("hunter2", console.Output, StringComparison.Ordinal);
        return (exitCode, console.Output);
    }

    private (int ExitCode, string Output) Submit(params string[] args) =>
        Run(["submit", .. args, "--results", results.Path]);

    [Fact]
    public void Without_names_the_parser_asks_for_them()
    {
        var (exitCode, output) = Submit("--slurm", "--store", Store);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("Required argument missing for command: 'submit'", output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_name_is_named_with_the_closest_one()
    {
        var (exitCode, output) = Submit("--slurm", "seed-recipy", "--store", Store, "--dry-run");
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("seed-recipy", output, StringComparison.Ordinal);
        Assert.Contains("seed-recipe", output, StringComparison.Ordinal);
        Assert.Empty(results.Files());
    }

    [Fact]
    public void An_sqlite_store_is_refused_saying_how_to_give_a_shared_one()
    {
        var (exitCode, output) = Submit("--slurm", "seed-recipe", "--store", "sqlite:" + results.Combine("lab.db"));
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("PostgreSQL", output, StringComparison.Ordinal);
        Assert.Contains("lab.db", output, StringComparison.Ordinal);
        Assert.Contains("--store postgresql://", output, StringComparison.Ordinal);
        Assert.Contains("EXPERIMENTS_STORE", output, StringComparison.Ordinal);
        Assert.Empty(results.Files());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    public void Fewer_than_one_worker_is_refused(string workers)
    {
        var (exitCode, output) = Submit("--slurm", "seed-recipe", "--store", Store, "--workers", workers);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"--workers must be at least 1", output, StringComparison.Ordinal);
        Assert.Contains($"but is {workers}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_needs_an_image()
    {
        var (exitCode, output) = Submit("--kubernetes", "seed-recipe", "--store", Store);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--kubernetes needs --image IMAGE", output, StringComparison.Ordinal);
    }

    [Fact]
    public void One_scheduler_exactly()
    {
        var (neitherExit, neither) = Submit("seed-recipe", "--store", Store);
        Assert.Equal(ExitCodes.UsageError, neitherExit);
        Assert.Contains("submit needs a scheduler: --slurm", neither, StringComparison.Ordinal);

        var (bothExit, both) = Submit("--slurm", "--kubernetes", "--image", "lab:1", "seed-recipe", "--store", Store);
        Assert.Equal(ExitCodes.UsageError, bothExit);
        Assert.Contains("--slurm and --kubernetes cannot be used together", both, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_of_one_scheduler_are_refused_with_the_other()
    {
        var (slurmExit, slurm) = Submit("--slurm", "seed-recipe", "--store", Store, "--image", "lab:1");
        Assert.Equal(ExitCodes.UsageError, slurmExit);
        Assert.Contains("--image is an option of --kubernetes", slurm, StringComparison.Ordinal);

        var (kubernetesExit, kubernetes) = Submit("--kubernetes", "--image", "lab:1", "seed-recipe", "--store", Store, "--partition", "gpu");
        Assert.Equal(ExitCodes.UsageError, kubernetesExit);
        Assert.Contains("--partition is an option of --slurm", kubernetes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1h")]
    [InlineData("1:2:3:4")]
    [InlineData("soon")]
    public void A_time_limit_sbatch_would_not_take_is_refused(string time)
    {
        var (exitCode, output) = Submit("--slurm", "seed-recipe", "--store", Store, "--time", time);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"--time '{time}' is no Slurm time limit", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dry_run_prints_the_script_and_writes_nothing()
    {
        var (exitCode, output) = Submit("--slurm", "seed-*", "--store", Store, "--workers", "3", "--partition", "debug", "--time", "30", "--dry-run");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("#!/bin/bash\n", output, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --array=0-2\n", output, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --partition=debug\n", output, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --time=30\n", output, StringComparison.Ordinal);
        Assert.Contains($"#SBATCH --output={results.Path}/submissions/", output, StringComparison.Ordinal);
        Assert.Contains("export EXPERIMENTS_STORE='postgresql://me@127.0.0.1:1/lab'\n", output, StringComparison.Ordinal);
        Assert.Contains("--name \"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"", output, StringComparison.Ordinal);
        Assert.Contains($"--results {results.Path}", output, StringComparison.Ordinal);

        // The names the globs matched, in catalog order.
        var names = ExperimentCatalog.All.Where(e => e.Name.StartsWith("seed-", StringComparison.Ordinal)).Select(e => e.Name).ToList();
        Assert.NotEmpty(names);
        Assert.Contains("    " + string.Join(' ', names) + "\n", output, StringComparison.Ordinal);
        Assert.Contains("Dry run: nothing was written", output, StringComparison.Ordinal);
        Assert.Contains($"warning: 3 workers for {names.Count} experiment(s)", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(results.Combine("submissions")));
        Assert.Empty(results.Files());
    }

    [Fact]
    public void A_store_with_settings_the_display_leaves_out_is_exported_whole_without_its_password()
    {
        var (exitCode, output) = Submit("--slurm", "seed-recipe", "--store", "Host=127.0.0.1;Port=1;Database=lab;Username=me;Password=hunter2;SSL Mode=Require", "--dry-run");
        Assert.Equal(0, exitCode);
        var export = Assert.Single(output.Split('\n'), l => l.StartsWith("export EXPERIMENTS_STORE=", StringComparison.Ordinal));
        Assert.Contains("SSL Mode=Require", export, StringComparison.Ordinal);
        Assert.Contains("Database=lab", export, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", export, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_kubernetes_dry_run_prints_a_manifest_that_parses()
    {
        var (exitCode, output) = Submit("--kubernetes", "--image", "registry.example.org/lab:1.0", "--secret", "lab-store", "seed-recipe", "--store", Store, "--workers", "2", "--dry-run");
        Assert.Equal(0, exitCode);
        var json = output[..(output.LastIndexOf("}\n", StringComparison.Ordinal) + 1)];
        using var document = JsonDocument.Parse(json);
        var spec = document.RootElement.GetProperty("spec");
        Assert.Equal("Indexed", spec.GetProperty("completionMode").GetString());
        Assert.Equal(2, spec.GetProperty("parallelism").GetInt32());
        var container = spec.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.Equal("/app/" + System.Reflection.Assembly.GetEntryAssembly()!.GetName().Name, container.GetProperty("command")[0].GetString());
        Assert.Equal("lab-store", container.GetProperty("env")[0].GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("name").GetString());
        Assert.DoesNotContain("127.0.0.1", json, StringComparison.Ordinal);
        Assert.Empty(results.Files());
    }
}
