using Experiments.Checkpoints;
using Experiments.History;

namespace Experiments.Runner.Tests;

/// <summary>
/// The real runner, stopped with Ctrl+C's SIGINT in the middle of an experiment and started again with
/// <c>--resume</c>: the final weights are those of an uninterrupted run, byte for byte (one thread).
/// </summary>
public sealed class ResumeProcessTests
{
    /// <summary>
    /// best-linear: the fused SGD step with Nesterov momentum and a cosine schedule, 15 epochs. mlp: autograd with
    /// AdamW, one-cycle (which cycles β1 too) and dropout, 10 epochs. (Batch norm with the same recipe is
    /// <c>ResumeTests</c>' SmallNet, in the trainer's own tests.)
    /// </summary>
    private static readonly string[] Experiments = ["run", "best-linear", "mlp", "--data-root", RepositoryPaths.Data, "--threads", "1"];

    [Fact]
    public void A_run_stopped_twice_and_resumed_each_time_ends_with_the_weights_of_an_uninterrupted_run()
    {
        using var reference = new TemporaryDirectory();
        using var results = new TemporaryDirectory();

        // The uninterrupted run, meanwhile: one thread each.
        using var whole = new RunnerProcess([.. Experiments, "--results", reference.Path]);

        // 1: stopped in best-linear, after its first epoch (its 14 others take far longer than a signal does to arrive).
        var first = Interrupt([.. Experiments, "--results", results.Path], "epoch 1/15");
        var linearState = TrainingStateFile.Inspect(Folder(results.Path, 1, "best-linear"));
        Assert.InRange(linearState.Epoch, 1, 14);
        Assert.Contains($"--resume' goes on with best-linear from epoch {linearState.Epoch + 1} of 15", first, StringComparison.Ordinal);

        // 2: best-linear goes on from there and completes; stopped again in mlp, after its second epoch.
        var second = Interrupt([.. Experiments, "--results", results.Path, "--resume"], "epoch 2/10");
        Assert.Contains($"best-linear: resuming after epoch {linearState.Epoch} of 15 of run 1", second, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 1/15", second, StringComparison.Ordinal);
        var mlpState = TrainingStateFile.Inspect(Folder(results.Path, 2, "mlp"));
        Assert.InRange(mlpState.Epoch, 2, 9);

        // 3: best-linear from the run cache (run 2 completed it), mlp goes on from run 2's state.
        using (var third = new RunnerProcess([.. Experiments, "--results", results.Path, "--resume"]))
        {
            Assert.True(third.WaitForExit() == 0, third.Output);
            Assert.Contains($"mlp: resuming after epoch {mlpState.Epoch} of 10 of run 2", third.Output, StringComparison.Ordinal);
            Assert.Contains("cached: ", third.Output, StringComparison.Ordinal);
            Assert.Contains($"(resumed after epoch {mlpState.Epoch})", third.Output, StringComparison.Ordinal);
        }

        Assert.True(whole.WaitForExit() == 0, whole.Output);
        Assert.Equal(Model(reference.Path, 1, "best-linear"), Model(results.Path, 2, "best-linear"));
        Assert.Equal(Model(reference.Path, 1, "mlp"), Model(results.Path, 3, "mlp"));

        // Every state was spent: none is left, neither where a run stopped nor where one completed.
        Assert.Empty(Directory.GetFiles(results.Path, TrainingStateFile.FileName, SearchOption.AllDirectories));
        using var store = ResultStore.OpenExisting(results.Path);
        Assert.Equal([RunStatus.Interrupted, RunStatus.Interrupted, RunStatus.Completed], store.Runs().Select(r => r.Status));
        Assert.Equal(["best-linear"], store.ResultsOfRun(2).Select(r => r.Experiment));
        Assert.Equal(["best-linear", "mlp"], store.ResultsOfRun(3).Select(r => r.Experiment));
        using var referenceStore = ResultStore.OpenExisting(reference.Path);
        Assert.Equal(
            referenceStore.ResultsOfRun(1).Select(r => r.Result.Test!.Accuracy),
            store.ResultsOfRun(3).Select(r => r.Result.Test!.Accuracy));
    }

    /// <summary>Starts the runner, sends it SIGINT once it printed <paramref name="after"/>, and returns its output once it stopped as Ctrl+C stops it.</summary>
    private static string Interrupt(string[] arguments, string after)
    {
        using var runner = new RunnerProcess(arguments);
        runner.WaitForOutput(after);
        runner.Signal("INT");
        Assert.True(runner.WaitForExit() == ExitCodes.Cancelled, runner.Output);
        Assert.Contains("Interrupted:", runner.Output, StringComparison.Ordinal);
        return runner.Output;
    }

    private static string Folder(string results, long run, string experiment) =>
        Path.Combine(results, run.ToString(System.Globalization.CultureInfo.InvariantCulture), experiment);

    private static byte[] Model(string results, long run, string experiment) => File.ReadAllBytes(Path.Combine(Folder(results, run, experiment), CheckpointFiles.Model));
}
