using Experiments.History;

namespace Experiments.Runner.Tests;

/// <summary>
/// <c>submit --slurm</c> as a process against PostgreSQL, with PATH of its own: without sbatch, with a stand-in
/// sbatch that records its arguments and prints a job id, and with one that fails. The real Slurm end to end is the
/// services' test (tests of the job array on a single-node cluster).
/// </summary>
public sealed class SbatchTests : IClassFixture<PostgresServer>, IDisposable
{
    private const string Password = "pw-Not-For-Logs-7";

    private readonly TemporaryDirectory temp = new();
    private readonly string connection;

    public SbatchTests(PostgresServer server)
    {
        connection = server.CreateDatabase() + ";Password=" + Password;
    }

    public void Dispose() => temp.Dispose();

    private string Results => temp.Combine("results");

    /// <summary>A folder for PATH holding an <c>sbatch</c> shell script with <paramref name="body"/>, or nothing.</summary>
    private string Bin(string? body)
    {
        var bin = temp.Combine("bin");
        Directory.CreateDirectory(bin);
        if (body is not null && !OperatingSystem.IsWindows())
        {
            var sbatch = Path.Combine(bin, "sbatch");
            File.WriteAllText(sbatch, "#!/bin/sh\n" + body);
            File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return bin;
    }

    private (int ExitCode, string Output) Submit(string bin, params string[] extra)
    {
        string[] arguments = ["submit", "--slurm", "seed-recipe", "tuned-momentum", "--workers", "3", "--store", connection, "--results", Results, .. extra];
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = bin,
            ["PGPASSWORD"] = "",
            [StoreLocation.EnvironmentVariable] = "",
        };
        using var process = new RunnerProcess([], RunnerProcess.PlainCommand(arguments), environment, runnerCommand: false);
        var exitCode = process.WaitForExit();
        Assert.DoesNotContain(Password, process.Output, StringComparison.Ordinal);

        // Spectre wraps long lines at a blank: one line again for the checks.
        return (exitCode, process.Output.Replace("\n", " ", StringComparison.Ordinal));
    }

    private ResultStore OpenStore() => ResultStore.Open(StoreLocation.Parse(connection, temp.Path), create: false);

    private string Script()
    {
        var script = Assert.Single(Directory.GetFiles(Path.Combine(Results, SubmitCommand.SubmissionsFolder), SlurmScript.FileName, SearchOption.AllDirectories));
        Assert.DoesNotContain(Password, File.ReadAllText(script), StringComparison.Ordinal);
        return script;
    }

    [Fact]
    public void Sbatch_missing_fails_the_run_it_created_and_keeps_the_script()
    {
        var (exitCode, output) = Submit(Bin(null));

        Assert.Equal(ExitCodes.ExperimentFailed, exitCode);
        Assert.Contains("sbatch cannot be run", output, StringComparison.Ordinal);
        Assert.Contains("on PATH", output, StringComparison.Ordinal);
        var script = Script();
        Assert.Contains(script, output, StringComparison.Ordinal);

        using var store = OpenStore();
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("is marked failed", output, StringComparison.Ordinal);
        Assert.Contains($"Run {run.Id} is marked failed", output, StringComparison.Ordinal);
        Assert.Equal(2, new WorkQueue(store).Tasks(run.Id).Count);
    }

    [Fact]
    public void A_failing_sbatch_is_reported_with_its_error_and_the_run_failed()
    {
        var (exitCode, output) = Submit(Bin("echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\nexit 1\n"), "--partition", "nosuch");

        Assert.Equal(ExitCodes.ExperimentFailed, exitCode);
        Assert.Contains("sbatch --parsable exited with 1: sbatch: error: Batch job submission failed: Invalid partition name specified", output, StringComparison.Ordinal);
        Script();
        using var store = OpenStore();
        Assert.Equal(RunStatus.Failed, Assert.Single(store.Runs()).Status);
    }

    [Fact]
    public void A_submitted_run_records_the_job_id_and_says_how_to_follow_it()
    {
        var record = temp.Combine("sbatch-called");
        var quoted = "'" + record + "'";
        var (exitCode, output) = Submit(Bin($"for a in \"$@\"; do printf '%s\\n' \"$a\"; done > {quoted}.args\nprintf '%s' \"${{PGPASSWORD-}}\" > {quoted}.password\necho '4242;cluster'\n"));

        Assert.True(exitCode == 0, output);
        var script = Script();
        Assert.Equal(["--parsable", script], File.ReadAllLines(record + ".args"));

        // The password reaches the job through sbatch's environment, never through a file.
        Assert.Equal(Password, File.ReadAllText(record + ".password"));

        using var store = OpenStore();
        var run = Assert.Single(store.Runs());
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.DoesNotContain(Password, run.Info.CommandLine, StringComparison.Ordinal);
        Assert.Contains("submit --slurm --workers 3", run.Info.CommandLine, StringComparison.Ordinal);
        var progress = new WorkQueue(store).Progress(run.Id);
        Assert.Equal("4242", progress.JobId);
        Assert.Equal(Schedulers.Slurm, progress.Scheduler);
        Assert.Equal(2, progress.Tasks);
        Assert.Equal(2, progress.Pending);
        Assert.Equal(TimeSpan.FromSeconds(60), progress.LeaseDuration);

        Assert.Contains($"Submitted run {run.Id} as Slurm job 4242 (3 tasks)", output, StringComparison.Ordinal);
        Assert.Contains("squeue -j 4242", output, StringComparison.Ordinal);
        Assert.Contains($"show {run.Id} --store", output, StringComparison.Ordinal);
        Assert.Contains("slurm-4242_*.out", output, StringComparison.Ordinal);

        // The script names the run it belongs to, and its workers' key is the run's.
        var text = File.ReadAllText(script);
        Assert.Contains($"(run {run.Id} in the store)", text, StringComparison.Ordinal);
        Assert.Contains("--run-key " + run.RunKey, text, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --array=0-2", text, StringComparison.Ordinal);
    }
}
