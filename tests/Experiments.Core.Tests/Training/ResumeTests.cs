using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Tests;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>An experiment with a run cache key (configuration hash and code fingerprint), as the generated ones have: a training state names it.</summary>
internal sealed class KeyedExperiment(ExperimentSettings settings, Func<nn.Module<Tensor, Tensor>> create, string name = "keyed", Models.ModelKind kind = Models.ModelKind.Module, string configuration = "test-configuration") : IExperiment
{
    public string Name => name;

    public string Description => name;

    public string SourceFile => "test.yaml";

    public string? ConfigurationSha256 => configuration;

    public string? CodeFingerprint => "test-code";

    public string Dataset => "mnist";

    public ExperimentSettings Settings => settings;

    public Models.ModelSummary Architecture => kind == Models.ModelKind.Linear
        ? Models.ModelSummary.Linear(settings.InputSize, settings.NumClasses)
        : new Models.ModelSummary(Models.ModelKind.Module, "SmallNet", [1, 28, 28], [], -1);

    public nn.Module<Tensor, Tensor> CreateModel() => create();

    public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);

    public static KeyedExperiment Linear(ExperimentSettings settings, string name = "keyed-linear") =>
        new(settings, () => nn.Linear(settings.InputSize, settings.NumClasses), name, Models.ModelKind.Linear);
}

/// <summary>
/// An interrupted training goes on from its last finished epoch and ends with the same weights, bit for bit, and the
/// same metrics as an uninterrupted one: each way of training (autograd with AdamW, one-cycle, dropout and batch norm;
/// the fused SGD step with Nesterov momentum and a cosine schedule; the optimizer's SGD; early stopping).
/// </summary>
public sealed class ResumeTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static readonly ExperimentSettings Base = TestExperiment.BlogRecipe with { Epochs = 4, Seed = 3 };

    public static TheoryData<string> Recipes => ["adamw-onecycle-dropout-batchnorm", "fused-nesterov-cosine", "optimizer-sgd-onecycle", "adam-early-stopping", "fused-sgd-step-schedule"];

    private static KeyedExperiment Recipe(string name) => name switch
    {
        "adamw-onecycle-dropout-batchnorm" => new KeyedExperiment(
            Base with { Optimizer = OptimizerKind.AdamW, LearningRate = 0.003, WeightDecay = 1e-4, LrSchedule = LearningRateSchedule.OneCycle, ValidationSplit = 0.1 },
            () => new SmallNet(p: 0.3),
            name),
        "fused-nesterov-cosine" => KeyedExperiment.Linear(
            Base with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9, Nesterov = true, WeightDecay = 1e-4, LearningRate = 0.1, LrSchedule = LearningRateSchedule.Cosine },
            name),
        "optimizer-sgd-onecycle" => KeyedExperiment.Linear(
            Base with { Optimizer = OptimizerKind.Momentum, LearningRate = 0.1, LrSchedule = LearningRateSchedule.OneCycle },
            name),
        "adam-early-stopping" => new KeyedExperiment(
            Base with { Epochs = 8, Optimizer = OptimizerKind.Adam, LearningRate = 0.01, ValidationSplit = 0.2, EarlyStoppingPatience = 2 },
            () => new SmallNet(p: 0.5, hidden: 16),
            name),
        "fused-sgd-step-schedule" => KeyedExperiment.Linear(
            Base with { Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, LrSchedule = LearningRateSchedule.Step, LrStepEpochs = 1, LrStepGamma = 0.5 },
            name),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void An_interrupted_training_resumed_ends_with_the_weights_and_metrics_of_an_uninterrupted_one(string recipe)
    {
        var experiment = Recipe(recipe);
        using var folders = new TemporaryDirectory();
        var uninterrupted = Train(experiment, folders.Combine("whole"));

        var interrupted = folders.Combine("interrupted");
        Assert.Throws<OperationCanceledException>(() => Train(experiment, interrupted, cancelAfterEpoch: 2));
        var saved = TrainingStateFile.Inspect(interrupted);
        Assert.Equal(2, saved.Epoch);
        Assert.Null(saved.ProblemFor(experiment, Experiments.History.RunCacheKey.For(experiment, mnist.Subset.ContentKey)));

        var resumedFolder = folders.Combine("resumed");
        var resumed = Train(experiment, resumedFolder, resumeFrom: interrupted);

        Assert.Equal(ExperimentStatus.Completed, uninterrupted.Status);
        Assert.Equal(ExperimentStatus.Completed, resumed.Status);
        Assert.Equal(2, resumed.ResumedFromEpoch);
        Assert.Null(uninterrupted.ResumedFromEpoch);
        AssertSameBits(uninterrupted.State!, resumed.State!);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folders.Combine("whole"), CheckpointFiles.Model)), File.ReadAllBytes(Path.Combine(resumedFolder, CheckpointFiles.Model)));
        Assert.Equal(uninterrupted.Test!.Accuracy, resumed.Test!.Accuracy);
        Assert.Equal(uninterrupted.Test.Loss, resumed.Test.Loss);
        Assert.Equal(uninterrupted.BestEpoch, resumed.BestEpoch);
        Assert.Equal(uninterrupted.StoppedEarly, resumed.StoppedEarly);
        // Every epoch's numbers, those of the epochs before the interruption included (the seconds are the runs' own).
        Assert.Equal(Numbers(uninterrupted), Numbers(resumed));
        Assert.All(resumed.Epochs, e => Assert.NotNull(e.TestAccuracy)); // learning curves over every epoch
        Assert.True(resumed.TrainSeconds >= saved.TrainSeconds, $"{resumed.TrainSeconds} < {saved.TrainSeconds}");

        // The trainer removes no state: the host does, once it has recorded the result (ResumeCommandTests).
        Assert.Equal(experiment.Settings.Epochs, TrainingStateFile.Inspect(resumedFolder).Epoch);
        Assert.True(TrainingStateFile.Inspect(resumedFolder).TrainingIsOver(experiment.Settings.EarlyStoppingPatience));
        Assert.False(saved.TrainingIsOver(experiment.Settings.EarlyStoppingPatience));
        Assert.True(File.Exists(TrainingStateFile.PathIn(interrupted)));
        Assert.True(TrainingStateFile.IsSpentBy(resumed));
    }

    [Fact]
    public void A_completed_training_whose_checkpoint_could_not_be_written_keeps_its_state_and_resuming_it_trains_nothing_more()
    {
        // Patience 1 with a learning rate that overshoots: the validation loss rises soon, and training stops early.
        var experiment = new KeyedExperiment(
            Base with { Epochs = 10, Optimizer = OptimizerKind.Adam, LearningRate = 0.05, ValidationSplit = 0.2, EarlyStoppingPatience = 1 },
            () => new SmallNet(p: 0.1, hidden: 16),
            "stops-early");
        using var folders = new TemporaryDirectory();
        var whole = Train(experiment, folders.Combine("whole"));
        Assert.True(whole.StoppedEarly, "the recipe did not stop early, so this tests nothing");

        // A folder where model.safetensors should go: the checkpoint cannot be written, the result is kept without it,
        // and so is the state of the last epoch trained, the one after which early stopping ended training.
        var unsaved = folders.Combine("unsaved");
        Directory.CreateDirectory(Path.Combine(unsaved, CheckpointFiles.Model));
        var first = Train(experiment, unsaved);
        Assert.NotNull(first.CheckpointError);
        Assert.Equal(whole.Epochs.Count, TrainingStateFile.Inspect(unsaved).Epoch);
        Assert.True(whole.Epochs.Count < experiment.Settings.Epochs);
        Assert.True(TrainingStateFile.Inspect(unsaved).TrainingIsOver(experiment.Settings.EarlyStoppingPatience)); // by early stopping
        Assert.False(TrainingStateFile.IsSpentBy(first)); // no checkpoint: its state is what can still save the model

        var reports = new List<EpochReport>();
        var resumed = Train(experiment, folders.Combine("resumed"), resumeFrom: unsaved, reports: reports);

        Assert.Empty(reports); // no epoch trained
        Assert.Equal(whole.Epochs.Count, resumed.ResumedFromEpoch);
        Assert.True(resumed.StoppedEarly);
        Assert.Equal(whole.BestEpoch, resumed.BestEpoch);
        Assert.Equal(Numbers(whole), Numbers(resumed));
        AssertSameBits(whole.State!, resumed.State!);
    }

    public static TheoryData<string, string> Unusable => new()
    {
        { "another-configuration", "it was trained with another configuration" },
        { "tensors-that-do-not-fit", "its optimizer state does not fit this Adam" },
        { "dropout-layers-that-do-not-fit", "it has 1 dropout generators, but the model has 2" },
        { "gone", "There is no training state" },
        { "damaged", "the file is damaged" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void A_state_that_cannot_be_gone_on_from_is_named_and_the_training_starts_over_as_a_fresh_one(string what, string expected)
    {
        // The state of a SmallNet with 16 hidden units, interrupted after its second epoch.
        var settings = Base with { Optimizer = OptimizerKind.Adam, LearningRate = 0.01 };
        var small = new KeyedExperiment(settings, () => new SmallNet(p: 0.2, hidden: 16), "unusable");
        using var folders = new TemporaryDirectory();
        var interrupted = folders.Combine("interrupted");
        Assert.Throws<OperationCanceledException>(() => Train(small, interrupted, cancelAfterEpoch: 2));
        var state = TrainingStateFile.PathIn(interrupted);

        // What goes on from it: the same key but another model (a user module edited without its code fingerprint
        // changing), which passes every check before the restore and fails in it: a wider one, or one with a second
        // dropout layer, which fails after the optimizer and the weights were overwritten; an edited configuration;
        // no file; a damaged one.
        var experiment = what switch
        {
            "another-configuration" => new KeyedExperiment(settings, () => new SmallNet(p: 0.2, hidden: 16), "unusable", configuration: "edited"),
            "tensors-that-do-not-fit" => new KeyedExperiment(settings, () => new SmallNet(p: 0.2, hidden: 32), "unusable"),
            "dropout-layers-that-do-not-fit" => new KeyedExperiment(settings, () => new TwoDropoutNet(p: 0.2, hidden: 16), "unusable"),
            _ => small,
        };
        if (what == "gone")
        {
            File.Delete(state);
        }
        else if (what == "damaged")
        {
            var bytes = File.ReadAllBytes(state);
            bytes[^5] ^= 0x10;
            File.WriteAllBytes(state, bytes);
        }

        var reports = new List<EpochReport>();
        var result = Train(experiment, folders.Combine("resumed"), resumeFrom: interrupted, reports: reports);
        var fresh = Train(experiment, folders.Combine("fresh"));

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.Null(result.ResumedFromEpoch);
        Assert.NotNull(result.ResumeError);
        Assert.Contains(state, result.ResumeError, StringComparison.Ordinal);
        Assert.True(result.ResumeError.Contains(expected, StringComparison.Ordinal), result.ResumeError);
        Assert.Contains("so it trained from the first epoch", result.ResumeError, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, settings.Epochs), reports.Select(r => r.Epoch));
        AssertSameBits(fresh.State!, result.State!); // nothing of the half-restored attempt is left
        Assert.Equal(Numbers(fresh), Numbers(result));
        Assert.Equal(what != "gone", File.Exists(state)); // a state that cannot be used is left as it is
    }

    [Fact]
    public void LBFGS_writes_a_state_that_says_it_cannot_be_resumed()
    {
        var experiment = KeyedExperiment.Linear(Base with { Optimizer = OptimizerKind.Lbfgs, LearningRate = 1, Epochs = 3 }, "lbfgs");
        using var folders = new TemporaryDirectory();
        var interrupted = folders.Combine("interrupted");
        Assert.Throws<OperationCanceledException>(() => Train(experiment, interrupted, cancelAfterEpoch: 1));

        var info = TrainingStateFile.Inspect(interrupted);
        var problem = info.ProblemFor(experiment, Experiments.History.RunCacheKey.For(experiment, mnist.Subset.ContentKey));

        Assert.Equal(1, info.Epoch);
        Assert.NotNull(problem);
        Assert.Contains("L-BFGS", problem, StringComparison.Ordinal);
        var reports = new List<EpochReport>();
        var result = Train(experiment, folders.Combine("resumed"), resumeFrom: interrupted, reports: reports);
        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.Contains("L-BFGS", result.ResumeError, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Epoch));
    }

    [Fact]
    public void A_diverged_training_leaves_its_state_for_the_host_which_it_spends()
    {
        var experiment = KeyedExperiment.Linear(Base with { LearningRate = 100, WeightDecay = 1, Epochs = 3 }, "blows-up");
        using var folders = new TemporaryDirectory();

        var result = Train(experiment, folders.Path);

        // The state of the last finished epoch stays (none when the first epoch diverged), for the host to remove.
        Assert.Equal(ExperimentStatus.Diverged, result.Status);
        Assert.Equal(result.Epochs.Count > 1, File.Exists(TrainingStateFile.PathIn(folders.Path)));
        Assert.True(TrainingStateFile.IsSpentBy(result));
    }

    [Fact]
    public void A_state_that_cannot_be_written_does_not_stop_training_and_is_reported()
    {
        var experiment = Recipe("fused-nesterov-cosine");
        using var folders = new TemporaryDirectory();
        var blocked = folders.Combine("file-not-folder");
        File.WriteAllText(blocked, "a file where the experiment's folder should be");

        var result = Train(experiment, blocked);

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.NotNull(result.TrainingStateError);
        Assert.Contains("epoch 1", result.TrainingStateError, StringComparison.Ordinal);
        Assert.Contains(blocked, result.TrainingStateError, StringComparison.Ordinal);
    }

    private ExperimentResult Train(IExperiment experiment, string folder, int? cancelAfterEpoch = null, string? resumeFrom = null, List<EpochReport>? reports = null)
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new ActionProgress(report =>
        {
            reports?.Add(report);
            if (report.Epoch == cancelAfterEpoch)
            {
                // The trainer looks at the token before each step.
                cancellation.Cancel();
            }
        });
        var context = new ExperimentContext(mnist.Subset)
        {
            Progress = progress,
            CancellationToken = cancellation.Token,
            MeasureTestCurves = true,
            Checkpoints = new CheckpointOptions(folder) { ResumeFrom = resumeFrom },
        };
        return experiment.Run(context);
    }

    private static void AssertSameBits(Models.ModelState expected, Models.ModelState actual)
    {
        Assert.Equal(expected.Entries.Select(e => e.Name), actual.Entries.Select(e => e.Name));
        foreach (var (e, a) in expected.Entries.Zip(actual.Entries))
        {
            Assert.True(
                e.Values.Select(BitConverter.SingleToInt32Bits).SequenceEqual(a.Values.Select(BitConverter.SingleToInt32Bits)),
                $"{e.Name} differs from the uninterrupted training's");
        }
    }

    private static IEnumerable<(int, double, double?, double?, double?, double?)> Numbers(ExperimentResult result) =>
        result.Epochs.Select(e => (e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationAccuracy, e.TestLoss, e.TestAccuracy));

    /// <summary>SmallNet's layers under SmallNet's names (so the same <c>state_dict()</c>), and a second dropout layer, on the inputs.</summary>
    private sealed class TwoDropoutNet : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Linear fc1;
        private readonly Models.BatchNorm1d bn1;
        private readonly Models.Dropout dropout1;
        private readonly TorchSharp.Modules.Linear fc2;
        private readonly Models.Dropout dropout2;

        public TwoDropoutNet(double p, int hidden)
            : base(nameof(TwoDropoutNet))
        {
            fc1 = nn.Linear(784, hidden);
            bn1 = new Models.BatchNorm1d(hidden);
            dropout1 = new Models.Dropout(p);
            fc2 = nn.Linear(hidden, 10);
            dropout2 = new Models.Dropout(p);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) =>
            fc2.forward(dropout1.forward(nn.functional.relu(bn1.forward(fc1.forward(dropout2.forward(input))))));
    }

    private sealed class ActionProgress(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }
}
