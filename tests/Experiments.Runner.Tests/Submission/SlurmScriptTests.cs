using System.Diagnostics;

namespace Experiments.Runner.Tests;

/// <summary>The sbatch script of <c>submit --slurm</c>: its directives, and the worker's command line as bash runs it.</summary>
public sealed class SlurmScriptTests : IDisposable
{
    private readonly TemporaryDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static SlurmScript Script(string directory, string results, IReadOnlyList<string>? command = null) => new()
    {
        JobName = "experiments",
        Workers = 4,
        Directory = directory,
        Store = "postgresql://me@db.example.org:5432/lab",
        RunKey = "20261202-001805-3fa9c1",
        RunId = 12,
        Command = command ?? ["/opt/lab/lab"],
        Worker = new WorkerArguments("20261202-001805-3fa9c1", ["seed-recipe", "tuned-momentum"])
        {
            Results = results,
            DataRoot = "/data/mnist root",
            LeaseSeconds = 90,
            Force = true,

            // The script's own: one thread, its name from the array task, the store from the environment.
            Threads = 2,
            Name = "ignored",
            Store = "postgresql://me:secret@db/lab",
        },
    };

    private static string[] Lines(string script) => script.Split('\n');

    [Fact]
    public void The_directives_ask_for_a_requeueable_array_of_single_cpu_tasks_logging_beside_the_script()
    {
        var script = (Script("/shared/results/submissions/20261202-001805-3fa9c1", "/shared/results") with { Partition = "gpu", Time = "01:30:00" }).Render();
        var lines = Lines(script);

        Assert.Equal("#!/bin/bash", lines[0]);
        Assert.Contains("#SBATCH --job-name=experiments", lines);
        Assert.Contains("#SBATCH --array=0-3", lines);
        Assert.Contains("#SBATCH --cpus-per-task=1", lines);
        Assert.Contains("#SBATCH --partition=gpu", lines);
        Assert.Contains("#SBATCH --time=01:30:00", lines);
        Assert.Contains("#SBATCH --requeue", lines);
        Assert.Contains("#SBATCH --open-mode=append", lines);
        Assert.Contains("#SBATCH --output=/shared/results/submissions/20261202-001805-3fa9c1/slurm-%A_%a.out", lines);
        Assert.Contains("#SBATCH --error=/shared/results/submissions/20261202-001805-3fa9c1/slurm-%A_%a.out", lines);
        Assert.Contains("export EXPERIMENTS_STORE='postgresql://me@db.example.org:5432/lab'", lines);
        Assert.Contains(lines, l => l.StartsWith("echo ", StringComparison.Ordinal) && l.Contains("${SLURM_ARRAY_TASK_ID}", StringComparison.Ordinal) && l.Contains("${SLURM_JOB_ID}", StringComparison.Ordinal) && l.Contains("$(hostname)", StringComparison.Ordinal));
        Assert.Contains("PGPASSWORD", script, StringComparison.Ordinal);
        Assert.Contains("~/.pgpass", script, StringComparison.Ordinal);

        // Every #SBATCH line comes before the first command: sbatch stops reading directives there.
        var firstCommand = Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#'));
        Assert.True(firstCommand > 0);
        Assert.DoesNotContain(lines.Skip(firstCommand), l => l.StartsWith("#SBATCH", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("exec /opt/lab/lab worker", StringComparison.Ordinal));

        // The worker's store is the exported variable, never a --store argument with a password.
        Assert.DoesNotContain("secret", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--store", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_partition_and_time_the_cluster_defaults_apply()
    {
        var script = Script("/r/submissions/k", "/r").Render();
        Assert.DoesNotContain("--partition", script, StringComparison.Ordinal);
        Assert.DoesNotContain("--time", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --array=0-0", Lines((Script("/r/submissions/k", "/r") with { Workers = 1 }).Render()));
    }

    [Fact]
    public void A_folder_with_a_blank_a_quote_a_percent_sign_and_a_backslash_is_quoted_for_sbatch()
    {
        var script = Script("/tmp/my \"lab\" it's 100%\\x/submissions/k", "/tmp/r").Render();

        // sbatch reads #SBATCH values itself: double quotes group, a backslash escapes; Slurm writes a '%' of the name as %%.
        Assert.Contains("#SBATCH --output=\"/tmp/my \\\"lab\\\" it's 100%%\\\\x/submissions/k/slurm-%A_%a.out\"", Lines(script));
        Assert.Equal("plain/path-1.0_x:%A", SlurmScript.DirectiveQuote("plain/path-1.0_x:%A"));
        Assert.Equal("\"a b\"", SlurmScript.DirectiveQuote("a b"));
        Assert.Equal("\"#x\"", SlurmScript.DirectiveQuote("#x"));
    }

    [Fact]
    public void A_line_break_in_any_value_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => (Script("/r/submissions/k", "/r") with { Partition = "gpu\n#SBATCH --x" }).Render());
        Assert.Contains("partition", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Script("/r/sub\nmissions/k", "/r").Render());
        Assert.Throws<ArgumentException>(() => Script("/r/submissions/k", "/r\n").Render());
        Assert.Throws<ArgumentOutOfRangeException>(() => (Script("/r/submissions/k", "/r") with { Workers = 0 }).Render());
    }

    [Fact]
    public void Bash_runs_the_worker_with_exactly_its_arguments_named_by_the_array_task()
    {
        // The "worker" prints each argument on a line of its own: what bash made of the quoting.
        var results = temp.Combine("results with 'quote' and $HOME");
        var script = Script(temp.Combine("submissions", "k"), results, ["printf", "%s\\n"]).Render();
        var file = temp.Combine("job.sbatch");
        File.WriteAllText(file, script);

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(file);
        start.Environment["SLURM_JOB_ID"] = "80";
        start.Environment["SLURM_ARRAY_JOB_ID"] = "77";
        start.Environment["SLURM_ARRAY_TASK_ID"] = "3";
        start.Environment["EXPERIMENTS_STORE"] = "postgresql://other@elsewhere/x";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.True(process.ExitCode == 0, error);

        var lines = output.TrimEnd('\n').Split('\n');
        Assert.StartsWith("job 80 (array job 77, task 3) on ", lines[0], StringComparison.Ordinal);
        string[] expected =
        [
            "worker", "--run-key", "20261202-001805-3fa9c1", "--results", results, "--data-root", "/data/mnist root",
            "--threads", "1", "--lease", "90", "--name", "slurm-77_3", "--force", "seed-recipe", "tuned-momentum",
        ];
        Assert.Equal(expected, lines.Skip(1));
    }

    [Fact]
    public void The_exported_store_is_the_one_the_worker_sees()
    {
        var script = Script(temp.Combine("s"), temp.Path, ["bash", "-c", "echo \"store=$EXPERIMENTS_STORE\"", "--"]).Render();
        var file = temp.Combine("job.sbatch");
        File.WriteAllText(file, script);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(file);
        start.Environment["SLURM_JOB_ID"] = "1";
        start.Environment["SLURM_ARRAY_JOB_ID"] = "1";
        start.Environment["SLURM_ARRAY_TASK_ID"] = "0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("store=postgresql://me@db.example.org:5432/lab\n", output, StringComparison.Ordinal);
    }
}
