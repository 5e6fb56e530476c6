using System.Security.Cryptography;
using Experiments.Checkpoints;
using Experiments.History;
using Experiments.Training;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// Checkpoints in runs of the command line: <c>run</c> writes one for every completed experiment into its folder of
/// the run and records it; a checkpoint that cannot be written keeps the result and warns; the run cache trains
/// again a result whose checkpoint is gone or changed.
/// </summary>
public sealed class CheckpointRunTests : IDisposable
{
    internal static readonly ExperimentSettings OneEpoch = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, params string[] args)
    {
        var console = new TestConsole().Width(400);
        var exitCode = TestHost.Run([.. args, "--data-root", RepositoryPaths.Data, "--results", results.Path], console, catalog);
        return (exitCode, console.Output.ReplaceLineEndings(""));
    }

    private IReadOnlyList<StoredResult> ResultsOfRun(long run)
    {
        using var store = ResultStore.OpenExisting(results.Path);
        return store.ResultsOfRun(run);
    }

    [Fact]
    public void Run_writes_and_records_a_checkpoint_for_every_completed_experiment_and_none_for_a_failed_or_diverged_one()
    {
        var ok = new CheckpointedExperiment("ok", OneEpoch);
        var diverged = new CheckpointedExperiment("blows-up", OneEpoch with { LearningRate = 100, WeightDecay = 1 });
        var failed = new CheckpointedExperiment("wrong-size", OneEpoch with { InputSize = 100 });

        var (exit, output) = Run([ok, diverged, failed], "run", "ok", "blows-up", "wrong-size");

        Assert.True(exit == ExitCodes.ExperimentFailed, output);
        var stored = ResultsOfRun(1).ToDictionary(r => r.Experiment);
        var checkpoint = stored["ok"].Result.Checkpoint!;
        Assert.Equal("1/ok", checkpoint.Directory);
        foreach (var file in checkpoint.Files)
        {
            var bytes = File.ReadAllBytes(results.Combine("1", "ok", file.Name));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
            Assert.Equal(bytes.LongLength, file.Bytes);
        }

        var tensors = SafetensorsChecker.Check(File.ReadAllBytes(results.Combine("1", "ok", CheckpointFiles.Model)));
        Assert.Equal(["weight", "bias"], tensors.Select(t => t.Name)); // the experiment's model is a bare nn.Linear
        Assert.Equal(stored["ok"].Result.Test!.Accuracy, ModelCheckpoint.ReadConfig(results.Combine("1", "ok")).TestAccuracy);

        Assert.Equal(ExperimentStatus.Diverged, stored["blows-up"].Result.Status);
        Assert.Equal(ExperimentStatus.Failed, stored["wrong-size"].Result.Status);
        foreach (var name in new[] { "blows-up", "wrong-size" })
        {
            Assert.Null(stored[name].Result.Checkpoint);
            Assert.Null(stored[name].Result.CheckpointError);
            Assert.False(File.Exists(results.Combine("1", name, CheckpointFiles.Model)), name);
            Assert.False(File.Exists(results.Combine("1", name, CheckpointFiles.Config)), name);
        }

        Assert.DoesNotContain("checkpoint", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_written_keeps_the_result_warns_and_trains_again_next_time()
    {
        var a = new CheckpointedExperiment("a", OneEpoch);
        // A folder where the weights file should go: every write of it fails, the folder itself (and its pictures) does not.
        Directory.CreateDirectory(results.Combine("1", "a", CheckpointFiles.Model));

        var (exit, output) = Run([a], "run", "a");

        Assert.True(exit == 0, output);
        var why = $"the checkpoint could not be written into '{results.Combine("1", "a")}': Cannot write '{results.Combine("1", "a", CheckpointFiles.Model)}': it is a directory";
        Assert.Contains($"warning: a: {why}; the result is kept without it", output, StringComparison.Ordinal);
        Assert.Contains("Run 1 (completed)", output, StringComparison.Ordinal);
        var stored = Assert.Single(ResultsOfRun(1)).Result;
        Assert.Equal(ExperimentStatus.Completed, stored.Status);
        Assert.NotNull(stored.Test);
        Assert.Null(stored.Checkpoint);
        Assert.Equal(why, stored.CheckpointError);
        Assert.True(File.Exists(results.Combine("1", "a", "confusion-matrix.png")));

        // The next run does not reuse a result without its model: it trains again, and this time saves it.
        var (secondExit, second) = Run([a], "run", "a");
        Assert.True(secondExit == 0, second);
        Assert.Equal(2, a.Trained);
        Assert.Contains($"warning: a is trained again: the run cache's result of run 1 has no saved model ({why})", second, StringComparison.Ordinal);
        Assert.Equal("2/a", Assert.Single(ResultsOfRun(2)).Result.Checkpoint!.Directory);
    }

    [Fact]
    public void The_run_cache_reuses_a_checkpoint_and_trains_again_when_a_file_is_gone_or_has_another_length()
    {
        var a = new CheckpointedExperiment("a", OneEpoch);
        Run([a], "run", "a");

        // Cached: the new row repeats the checkpoint of run 1, and nothing is written into run 2's folder.
        var (_, cached) = Run([a], "run", "a");
        Assert.Equal(1, a.Trained);
        Assert.Contains("cached: ", cached, StringComparison.Ordinal);
        Assert.Equal("1/a", Assert.Single(ResultsOfRun(2)).Result.Checkpoint!.Directory);
        Assert.False(File.Exists(results.Combine("2", "a", CheckpointFiles.Model)));

        File.Delete(results.Combine("1", "a", CheckpointFiles.Model));
        var (exit, deleted) = Run([a], "run", "a");
        Assert.True(exit == 0, deleted);
        Assert.Equal(2, a.Trained);
        Assert.Contains($"warning: a is trained again: the run cache's result of run 2 has lost its checkpoint file '{results.Combine("1", "a", CheckpointFiles.Model)}' (deleted or moved)", deleted, StringComparison.Ordinal);
        Assert.Equal("3/a", Assert.Single(ResultsOfRun(3)).Result.Checkpoint!.Directory);

        var config = results.Combine("3", "a", CheckpointFiles.Config);
        var length = new FileInfo(config).Length;
        File.AppendAllText(config, " ");
        var (_, longer) = Run([a], "run", "a");
        Assert.Equal(3, a.Trained);
        Assert.Contains($"warning: a is trained again: the run cache's result of run 3 has a checkpoint file '{config}' of {length + 1} bytes, not the {length} recorded (changed since)", longer, StringComparison.Ordinal);
    }

    /// <summary>A linear experiment the run cache can answer (a configuration hash and a code fingerprint), counting its trainings.</summary>
    internal sealed class CheckpointedExperiment(string name, ExperimentSettings settings) : IExperiment
    {
        public string Name => name;

        public string Description => name;

        public string SourceFile => "test";

        public string Dataset => "mnist";

        public ExperimentSettings Settings => settings;

        public string? ConfigurationSha256 => "c0nf1g-" + name;

        public string? CodeFingerprint => "generator 1";

        public int Trained { get; private set; }

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(784, 10);

        public ExperimentResult Run(ExperimentContext context)
        {
            Trained++;
            return Trainer.Run(this, context);
        }
    }
}
