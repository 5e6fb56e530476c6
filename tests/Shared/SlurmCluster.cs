using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Experiments.Tests;

/// <summary>
/// A Slurm cluster for the tests: the one test.sh started when <c>EXPERIMENTS_TEST_SLURM=1</c> and <c>SLURM_CONF</c>
/// say so, else a single-node cluster of its own started with <c>tests/services/slurm.sh</c> in a temporary folder
/// (needs root) and stopped on dispose. Its tools (sbatch, squeue, scontrol, scancel) run with <see cref="ConfigPath"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SlurmCluster : IDisposable
{
    /// <summary>The variable test.sh sets to 1 when <c>SLURM_CONF</c> names a running cluster the tests may use.</summary>
    public const string EnvironmentVariable = "EXPERIMENTS_TEST_SLURM";

    /// <summary>The exit code slurm.conf's <c>RequeueExit</c> lists (tests/services/slurm.sh): a task exiting with it is requeued.</summary>
    public const int RequeueExitCode = 85;

    private readonly TemporaryDirectory? own;

    public SlurmCluster()
    {
        var configured = Environment.GetEnvironmentVariable("SLURM_CONF");
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) == "1" && !string.IsNullOrEmpty(configured))
        {
            ConfigPath = configured;
            return;
        }

        if (Environment.UserName != "root")
        {
            throw new InvalidOperationException(
                "These tests need a Slurm cluster: run them as root (the fixture then starts one with tests/services/slurm.sh), " +
                "or through ./test.sh, or name a running cluster with EXPERIMENTS_TEST_SLURM=1 and SLURM_CONF.");
        }

        own = new TemporaryDirectory();
        // The munge user must reach the cluster's folder inside the temporary one.
        File.SetUnixFileMode(own.Path, (UnixFileMode)0b111_101_101);
        var directory = own.Combine("slurm");
        var (exitCode, output) = Script("start", directory);
        if (exitCode != 0)
        {
            Script("stop", directory);
            own.Dispose();
            throw new InvalidOperationException($"tests/services/slurm.sh start {directory} failed (exit code {exitCode.ToString(CultureInfo.InvariantCulture)}):\n{output}");
        }

        Directory = directory;
        ConfigPath = Path.Combine(directory, "slurm.conf");
    }

    /// <summary>The cluster's slurm.conf (<c>SLURM_CONF</c> for its clients).</summary>
    public string ConfigPath { get; }

    /// <summary>The folder of a cluster this fixture started itself; null when it uses test.sh's.</summary>
    public string? Directory { get; }

    /// <summary>What a process needs in its environment to use this cluster.</summary>
    public IReadOnlyDictionary<string, string> ClientEnvironment => new Dictionary<string, string> { ["SLURM_CONF"] = ConfigPath };

    /// <summary>Runs a Slurm client tool; its exit code and its output (stdout, then stderr).</summary>
    public (int ExitCode, string Output, string Error) Tool(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SLURM_CONF"] = ConfigPath;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within 60 s");
        }

        return (process.ExitCode, output, error.GetAwaiter().GetResult());
    }

    /// <summary>Runs a Slurm client tool that must succeed; its standard output.</summary>
    public string Run(string tool, params string[] arguments)
    {
        var (exitCode, output, error) = Tool(tool, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed (exit code {exitCode.ToString(CultureInfo.InvariantCulture)}): {error}{output}");
        }

        return output;
    }

    /// <summary>Submits a batch script (<c>sbatch --parsable</c>); the job id.</summary>
    public string Submit(string script, params string[] options) =>
        Run("sbatch", ["--parsable", .. options, script]).Trim().Split(';')[0];

    /// <summary>The job's (or array's) tasks as scontrol shows them: one entry per task, with its fields.</summary>
    public IReadOnlyList<SlurmTask> Tasks(string jobId)
    {
        var (exitCode, output, _) = Tool("scontrol", "-o", "show", "job", jobId);
        if (exitCode != 0)
        {
            return [];
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(SlurmTask.Parse)
            .OrderBy(task => task.ArrayTaskId ?? -1)
            .ToList();
    }

    /// <summary>Waits until nothing of the job is pending, running or requeued any more; its tasks then.</summary>
    public IReadOnlyList<SlurmTask> WaitForJob(string jobId, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var tasks = Tasks(jobId);
            if (tasks.Count > 0 && tasks.All(task => task.Finished))
            {
                return tasks;
            }

            if (stopwatch.Elapsed > timeout)
            {
                var states = string.Join(", ", tasks.Select(task => $"{task.JobId}:{task.State}"));
                throw new TimeoutException($"Slurm job {jobId} did not finish within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s ({states}); its logs may say why");
            }

            Thread.Sleep(200);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds of the job's tasks.</summary>
    public IReadOnlyList<SlurmTask> WaitFor(string jobId, Func<IReadOnlyList<SlurmTask>, bool> condition, TimeSpan timeout, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var tasks = Tasks(jobId);
            if (condition(tasks))
            {
                return tasks;
            }

            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"Slurm job {jobId}: {what} did not happen within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s ({string.Join(", ", tasks.Select(t => $"{t.JobId}:{t.State}"))})");
            }

            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (own is not null && Directory is not null)
        {
            Script("stop", Directory);
            own.Dispose();
        }
    }

    private static (int ExitCode, string Output) Script(string action, string directory)
    {
        var start = new ProcessStartInfo(Path.Combine(RepositoryPaths.Root, "tests", "services", "slurm.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(action);
        start.ArgumentList.Add(directory);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = new StringBuilder(process.StandardOutput.ReadToEnd());
        process.WaitForExit();
        output.Append(error.GetAwaiter().GetResult());
        return (process.ExitCode, output.ToString());
    }
}

/// <summary>One job (an array's task) as <c>scontrol -o show job</c> shows it.</summary>
internal sealed record SlurmTask(string JobId, int? ArrayTaskId, string State, int Restarts, string ExitCode, IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>Neither pending, running, requeued nor being configured or completing.</summary>
    public bool Finished => State is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED";

    public static SlurmTask Parse(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                fields.TryAdd(word[..equals], word[(equals + 1)..]);
            }
        }

        int? task = fields.TryGetValue("ArrayTaskId", out var id) && int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
        var restarts = fields.TryGetValue("Restarts", out var r) && int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
        return new SlurmTask(fields.GetValueOrDefault("JobId", "?"), task, fields.GetValueOrDefault("JobState", "?"), restarts, fields.GetValueOrDefault("ExitCode", "?"), fields);
    }
}
