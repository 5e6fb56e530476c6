using Experiments.Checkpoints;
using Experiments.History;
using Experiments.Training;
using Microsoft.Data.Sqlite;
using Spectre.Console.Rendering;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// <c>run --resume</c> in the runner's own process (stopped as Ctrl+C stops it, once a given epoch was printed): what it
/// goes on from, what it says, and every state it must not go on from.
/// </summary>
public sealed class ResumeCommandTests : IDisposable
{
    /// <summary>The fused SGD path with Nesterov momentum and a cosine schedule: epochs short enough for many runs.</summary>
    private static readonly ExperimentSettings Linear = new()
    {
        InputSize = 784,
        NumClasses = 10,
        Epochs = 4,
        BatchSize = 100,
        LearningRate = 0.1,
        Optimizer = OptimizerKind.Momentum,
        Nesterov = true,
        LrSchedule = LearningRateSchedule.Cosine,
        Seed = 5,
    };

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    [Fact]
    public void Resume_goes_on_from_the_last_finished_epoch_to_the_weights_of_an_uninterrupted_run()
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear)];
        using var reference = new TemporaryDirectory();
        Assert.Equal(0, Run(catalog, reference.Path, null, "run", "linear").ExitCode);

        var (stoppedExit, stopped) = Run(catalog, results.Path, "epoch 2/4", "run", "linear");
        Assert.True(stoppedExit == ExitCodes.Cancelled, stopped);
        var state = TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"));
        Assert.Contains($"'dotnet run --project runner -- run linear --data-root {RepositoryPaths.Data} --results {results.Path} --resume' goes on with linear from epoch 3 of 4 (the state after epoch 2 is saved in its folder of run 1).", stopped, StringComparison.Ordinal);
        Assert.True(File.Exists(state));

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("linear: resuming after epoch 2 of 4 of run 1", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 2/4", output, StringComparison.Ordinal);
        Assert.Contains("epoch 3/4", output, StringComparison.Ordinal);
        Assert.Contains("(resumed after epoch 2)", output, StringComparison.Ordinal);
        Assert.Equal(ModelBytes(reference.Path, 1), ModelBytes(results.Path, 2));
        Assert.False(File.Exists(state), "the state the run went on from is spent once the result is recorded");
        Assert.False(File.Exists(TrainingStateFile.PathIn(Path.Combine(results.Path, "2", "linear"))));
        using var store = ResultStore.OpenExisting(results.Path);
        var result = Assert.Single(store.ResultsOfRun(2));
        Assert.Equal("completed", result.Status);
        Assert.Equal(4, result.Result.Epochs.Count);
        Assert.Empty(store.ResultsOfRun(1));
    }

    [Fact]
    public void Without_resume_a_run_says_what_resume_would_go_on_from_and_trains_from_the_start()
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear)];
        Run(catalog, results.Path, "epoch 2/4", "run", "linear");

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear");

        Assert.True(exitCode == 0, output);
        Assert.Contains("linear: run 1 stopped it after epoch 2 of 4; this run trains it from the start (--resume would go on from there)", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/4", output, StringComparison.Ordinal);
        Assert.False(File.Exists(TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"))), "the training completed from the start: the state is spent");
    }

    [Fact]
    public void A_result_the_history_could_not_record_keeps_its_state_and_resume_saves_it_without_training_again()
    {
        // The run history refuses every result, as a full disk does; the runs themselves are recorded.
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear)];
        using (ResultStore.OpenOrCreate(results.Path))
        {
        }

        Sql("CREATE TRIGGER disk_full BEFORE INSERT ON results BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
        var (firstExit, first) = Run(catalog, results.Path, null, "run", "linear");
        Assert.True(firstExit == ExitCodes.ExperimentFailed, first);
        Assert.Contains("1 of 1 results could not be recorded", first, StringComparison.Ordinal);
        var state = TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"));
        Assert.True(File.Exists(state), "the state of a result the history does not have must stay");

        // Without --resume, a run says what that state is (and, unrecorded again, keeps its own too).
        var (_, second) = Run(catalog, results.Path, null, "run", "linear");
        Assert.Contains("linear: run 1 finished training it but did not keep the result (not recorded, or its checkpoint not written); this run trains it from the start (--resume would save that training's model without training again)", second, StringComparison.Ordinal);
        Assert.True(File.Exists(state));

        Sql("DROP TRIGGER disk_full;");
        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("linear: resuming after epoch 4 of 4 of run 2, where its training had ended (nothing is trained again; the model is evaluated and saved)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 4/4", output, StringComparison.Ordinal);
        Assert.Contains("(resumed after epoch 4)", output, StringComparison.Ordinal);
        using (var store = ResultStore.OpenExisting(results.Path))
        {
            Assert.Equal("completed", Assert.Single(store.ResultsOfRun(3)).Status);
        }

        // Recorded with its checkpoint: every state of that training is spent, run 1's included.
        Assert.Empty(Directory.GetFiles(results.Path, TrainingStateFile.FileName, SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(results.Path, "3", "linear", CheckpointFiles.Model)));
    }

    [Fact]
    public void A_training_completed_from_the_start_spends_the_state_an_earlier_interrupted_run_left()
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear)];
        Run(catalog, results.Path, "epoch 2/4", "run", "linear");
        var interrupted = TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"));
        Assert.True(File.Exists(interrupted));

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear");
        Assert.True(exitCode == 0, output);
        Assert.False(File.Exists(interrupted), "run 2 completed the same training: run 1's state is spent");

        // A state such a run could not remove (left by an older build, say), further along than any other, is passed
        // over once a completed result of the same training has its checkpoint: a --force run does not offer it.
        var (_, stoppedAgain) = Run(catalog, results.Path, "epoch 3/4", "run", "linear", "--force");
        Assert.Contains("--resume' goes on with linear from epoch 4 of 4", stoppedAgain, StringComparison.Ordinal);
        File.Move(TrainingStateFile.PathIn(Path.Combine(results.Path, "3", "linear")), interrupted);

        var (forcedExit, forced) = Run(catalog, results.Path, null, "run", "linear", "--force");

        Assert.True(forcedExit == 0, forced);
        Assert.DoesNotContain("stopped it", forced, StringComparison.Ordinal);
        Assert.Contains("epoch 1/4", forced, StringComparison.Ordinal);
        Assert.False(File.Exists(interrupted), "run 4 completed the same training: the left-over state is spent too");
    }

    [Fact]
    public void A_damaged_state_is_reported_and_the_experiment_trains_from_the_start_to_the_same_weights()
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear)];
        using var reference = new TemporaryDirectory();
        Run(catalog, reference.Path, null, "run", "linear");
        Run(catalog, results.Path, "epoch 2/4", "run", "linear");
        var state = TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"));
        var bytes = File.ReadAllBytes(state);
        bytes[^100] ^= 0x01;
        File.WriteAllBytes(state, bytes);

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"linear: the training state run 1 left cannot be resumed: The training state '{state}' cannot be used: its content's SHA-256 is not the one it was written with (the file is damaged)", output, StringComparison.Ordinal);
        Assert.Contains("linear trains from the start.", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/4", output, StringComparison.Ordinal);
        Assert.Equal(ModelBytes(reference.Path, 1), ModelBytes(results.Path, 2));
        Assert.True(File.Exists(state), "a damaged state is left as it is, for whoever wants to look at it");
    }

    [Fact]
    public void A_state_of_another_configuration_is_not_gone_on_from()
    {
        Run([new KeyedExperiment("linear", Linear)], results.Path, "epoch 2/4", "run", "linear");
        IExperiment[] edited = [new KeyedExperiment("linear", Linear with { LearningRate = 0.05 }, configuration: "edited")];

        var (exitCode, output) = Run(edited, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("linear: not resuming after epoch 2 of run 1", output, StringComparison.Ordinal);
        Assert.Contains("it was trained with another configuration (the key differs from this build's)", output, StringComparison.Ordinal);
        Assert.Contains("linear trains from the start.", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/4", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_that_fails_only_in_its_restore_is_named_and_the_experiment_trains_from_the_start()
    {
        // The same key with another model (a user module edited without its fingerprint changing): every check of
        // the file passes, and the restore finds the model's entries named otherwise.
        Run([new KeyedExperiment("linear", Linear)], results.Path, "epoch 2/4", "run", "linear");
        var state = TrainingStateFile.PathIn(Path.Combine(results.Path, "1", "linear"));
        IExperiment[] renamed = [new KeyedExperiment("linear", Linear, create: () => torch.nn.Sequential(("linear", torch.nn.Linear(784, 10))))];

        var (exitCode, output) = Run(renamed, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("linear: resuming after epoch 2 of 4 of run 1", output, StringComparison.Ordinal);
        Assert.Contains($"warning: linear: {state}: cannot resume from it: it has the model entry 'weight', which the model does not have; so it trained from the first epoch", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/4", output, StringComparison.Ordinal);
        Assert.DoesNotContain("(resumed after epoch", output, StringComparison.Ordinal);
        using var store = ResultStore.OpenExisting(results.Path);
        Assert.Equal("completed", Assert.Single(store.ResultsOfRun(2)).Status);
    }

    [Fact]
    public void An_LBFGS_training_is_said_not_to_be_resumable_and_trains_from_the_start()
    {
        IExperiment[] catalog = [new KeyedExperiment("lbfgs", Linear with { Optimizer = OptimizerKind.Lbfgs, Nesterov = false, LearningRate = 1, Epochs = 3, LrSchedule = LearningRateSchedule.Constant })];
        var (stoppedExit, stopped) = Run(catalog, results.Path, "epoch 1/3", "run", "lbfgs");
        Assert.True(stoppedExit == ExitCodes.Cancelled, stopped);
        Assert.Contains("lbfgs cannot be resumed (L-BFGS keeps its history of steps and gradients inside libtorch", stopped, StringComparison.Ordinal);

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "lbfgs", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("lbfgs: not resuming after epoch 1 of run 1", output, StringComparison.Ordinal);
        Assert.Contains("training cannot go on from it: L-BFGS", output, StringComparison.Ordinal);
        Assert.Contains("lbfgs trains from the start.", output, StringComparison.Ordinal);
        Assert.Contains("epoch 1/3", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_nothing_to_resume_resume_says_so_and_trains()
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear with { Epochs = 1 })];

        var (exitCode, output) = Run(catalog, results.Path, null, "run", "linear", "--resume");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Nothing to resume for linear: no earlier run left an unfinished training of it, so it trains from the start.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "linear")]
    [InlineData("all")]
    public void Force_and_resume_together_are_refused(params string[] command)
    {
        IExperiment[] catalog = [new KeyedExperiment("linear", Linear with { Epochs = 1 })];

        var (exitCode, output) = Run(catalog, results.Path, null, [.. command, "--force", "--resume"]);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--force and --resume cannot be used together", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results.Path, "experiments.db")));
    }

    /// <summary>Runs the runner in this process; with <paramref name="stopAfter"/>, stops it (as Ctrl+C does) once that text was printed.</summary>
    private static (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, string resultsPath, string? stopAfter, params string[] args)
    {
        using var stop = new CancellationTokenSource();
        var console = new StoppingAtConsole(stopAfter, stop);
        var exitCode = TestHost.Run([.. args, "--data-root", RepositoryPaths.Data, "--results", resultsPath], console, catalog, stop.Token);
        return (exitCode, console.Output);
    }

    private void Sql(string statement)
    {
        using var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = statement;
        command.ExecuteNonQuery();
    }

    private static byte[] ModelBytes(string resultsPath, long run) =>
        File.ReadAllBytes(Path.Combine(resultsPath, run.ToString(System.Globalization.CultureInfo.InvariantCulture), "linear", CheckpointFiles.Model));

    /// <summary>An experiment with a run cache key, as the generated ones have, on the linear fast path.</summary>
    private sealed class KeyedExperiment(string name, ExperimentSettings settings, string configuration = "resume-test", Func<torch.nn.Module<torch.Tensor, torch.Tensor>>? create = null) : IExperiment
    {
        public string Name => name;

        public string Description => name;

        public string SourceFile => "test";

        public string Dataset => "mnist";

        public ExperimentSettings Settings => settings;

        public string? ConfigurationSha256 => configuration;

        public string? CodeFingerprint => "resume-test";

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => create?.Invoke() ?? torch.nn.Linear(784, 10);

        public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);
    }

    private sealed class StoppingAtConsole : InterceptingConsole
    {
        private readonly string? trigger;
        private readonly CancellationTokenSource stop;

        public StoppingAtConsole(string? trigger, CancellationTokenSource stop)
        {
            this.trigger = trigger;
            this.stop = stop;
            Inner.Profile.Width = 1000; // the messages asserted on stay on one line
        }

        public override void Write(IRenderable renderable)
        {
            Inner.Write(renderable);
            if (trigger is not null && !stop.IsCancellationRequested && Inner.Output.Contains(trigger, StringComparison.Ordinal))
            {
                stop.Cancel();
            }
        }
    }
}
