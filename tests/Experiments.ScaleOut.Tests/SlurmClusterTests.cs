using System.Globalization;
using System.Runtime.Versioning;

namespace Experiments.ScaleOut.Tests;

/// <summary>
/// The single-node cluster itself, with plain sbatch job arrays (what <c>submit --slurm</c> relies on): an array's
/// tasks all run and know their index, a cancelled task's children die with it (proctrack/cgroup), and a task that
/// exits with slurm.conf's RequeueExit code runs again.
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(SlurmCollection.Name)]
public sealed class SlurmClusterTests(SlurmFixture fixture) : IDisposable
{
    private readonly TemporaryDirectory directory = ScaleOutDirectories.Create();
    private readonly SlurmCluster cluster = fixture.Cluster;

    public void Dispose() => directory.Dispose();

    [Fact]
    public void A_four_task_array_runs_every_task_once_each_knowing_its_index()
    {
        var script = Script("array.sh", """
            #!/bin/bash
            #SBATCH --array=0-3
            #SBATCH --cpus-per-task=1
            #SBATCH --output=OUT/slurm-%A_%a.out
            echo "task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID}"
            """);

        var job = cluster.Submit(script);
        var tasks = cluster.WaitForJob(job, TimeSpan.FromSeconds(120));

        Assert.Equal([0, 1, 2, 3], tasks.Select(task => task.ArrayTaskId ?? -1));
        Assert.All(tasks, task => Assert.Equal("COMPLETED", task.State));
        for (var i = 0; i < 4; i++)
        {
            var log = directory.Combine(string.Create(CultureInfo.InvariantCulture, $"slurm-{job}_{i}.out"));
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"task {i} of job {job}"), File.ReadAllText(log).Trim());
        }
    }

    [Fact]
    public void A_cancelled_task_takes_its_children_with_it()
    {
        var script = Script("children.sh", """
            #!/bin/bash
            #SBATCH --cpus-per-task=1
            #SBATCH --output=OUT/children-%j.out
            # A child that would outlive a task tracked by process group alone (setsid: a group of its own).
            setsid sleep 600 &
            echo $! > OUT/child.pid
            wait
            """);

        var job = cluster.Submit(script);
        var pidFile = directory.Combine("child.pid");
        cluster.WaitFor(job, tasks => tasks.Count == 1 && tasks[0].State == "RUNNING" && File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, TimeSpan.FromSeconds(60), "the task's start");
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{child}"), "the child runs while its task does");

        cluster.Run("scancel", job);
        cluster.WaitForJob(job, TimeSpan.FromSeconds(60));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.Exists($"/proc/{child}") && !IsZombie(child) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Assert.False(Directory.Exists($"/proc/{child}") && !IsZombie(child), $"the task's child {child} survived scancel");
        Assert.Equal("CANCELLED", cluster.Tasks(job).Single().State);
    }

    [Fact]
    public void A_task_exiting_with_the_requeue_code_runs_again_and_knows_it()
    {
        var script = Script("requeue.sh", $$"""
            #!/bin/bash
            #SBATCH --array=0-1
            #SBATCH --requeue
            #SBATCH --open-mode=append
            #SBATCH --output=OUT/requeue-%A_%a.out
            echo "task ${SLURM_ARRAY_TASK_ID} restart ${SLURM_RESTART_COUNT:-0}"
            if [ "$SLURM_ARRAY_TASK_ID" = 1 ] && [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then exit {{SlurmCluster.RequeueExitCode}}; fi
            """);

        var job = cluster.Submit(script);
        var tasks = cluster.WaitForJob(job, TimeSpan.FromSeconds(120));

        Assert.All(tasks, task => Assert.Equal("COMPLETED", task.State));
        Assert.Equal([0, 1], tasks.Select(task => task.Restarts));
        Assert.Equal(["task 1 restart 0", "task 1 restart 1"], File.ReadAllLines(directory.Combine($"requeue-{job}_1.out")));
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private string Script(string name, string text)
    {
        var path = directory.Combine(name);
        File.WriteAllText(path, text.Replace("OUT", directory.Path, StringComparison.Ordinal).ReplaceLineEndings("\n") + "\n");
        return path;
    }
}
