using Experiments.Checkpoints;
using Experiments.Tests;
using Experiments.Training;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>
/// The learning curves (<see cref="LearningCurves"/>): each epoch's test loss and accuracy, measured right after the
/// epoch, change nothing of the training, and are the numbers of the model as it was then.
/// </summary>
public sealed class LearningCurvesTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static readonly ExperimentSettings Base = TestExperiment.BlogRecipe with { Epochs = 3, Seed = 11 };

    public static TheoryData<string> Recipes => ["adamw-onecycle-dropout-batchnorm", "fused-nesterov-cosine"];

    private static KeyedExperiment Recipe(string name) => name switch
    {
        // Dropout draws masks and batch norm updates its running statistics in training mode: evaluation must do neither.
        "adamw-onecycle-dropout-batchnorm" => new KeyedExperiment(
            Base with { Optimizer = OptimizerKind.AdamW, LearningRate = 0.003, WeightDecay = 1e-4, LrSchedule = LearningRateSchedule.OneCycle, ValidationSplit = 0.1 },
            () => new SmallNet(p: 0.3),
            name),
        "fused-nesterov-cosine" => KeyedExperiment.Linear(
            Base with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9, Nesterov = true, LearningRate = 0.1, LrSchedule = LearningRateSchedule.Cosine },
            name),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Measuring_the_test_set_after_every_epoch_changes_no_bit_of_the_training(string recipe)
    {
        var experiment = Recipe(recipe);
        using var folders = new TemporaryDirectory();

        var measured = Train(experiment, curves: true, folders.Combine("measured"));
        var unmeasured = Train(experiment, curves: false, folders.Combine("unmeasured"));

        Assert.Equal(ExperimentStatus.Completed, measured.Status);
        Assert.All(measured.Epochs, e => Assert.NotNull(e.TestAccuracy));
        Assert.All(measured.Epochs, e => Assert.NotNull(e.TestLoss));
        Assert.All(unmeasured.Epochs, e => Assert.Null(e.TestAccuracy));
        Assert.Equal(
            unmeasured.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.ValidationAccuracy)),
            measured.Epochs.Select(e => (e.TrainLoss, e.ValidationLoss, e.ValidationAccuracy)));
        AssertSameBits(unmeasured.State!, measured.State!);
        Assert.Equal(unmeasured.Test!.Loss, measured.Test!.Loss);

        // The last epoch's point is the model the final evaluation measures.
        Assert.Equal(measured.Test.Loss, measured.Epochs[^1].TestLoss);
        Assert.Equal(measured.Test.Accuracy, measured.Epochs[^1].TestAccuracy);
    }

    [Fact]
    public void With_early_stopping_the_best_epochs_point_is_the_kept_model_and_the_checkpoint_holds_it()
    {
        // A linear model (no buffers): the kept model is exactly the best epoch's. The learning rate overshoots, so
        // the validation loss rises soon and training stops after a later epoch than the best.
        var experiment = KeyedExperiment.Linear(
            Base with { Epochs = 10, Optimizer = OptimizerKind.Adam, LearningRate = 0.05, ValidationSplit = 0.2, EarlyStoppingPatience = 1 },
            "stops-early");
        using var folder = new TemporaryDirectory();

        var result = Train(experiment, curves: true, folder.Path);

        Assert.True(result.StoppedEarly, "the recipe did not stop early, so this tests nothing");
        var best = result.Epochs.Single(e => e.Epoch == result.BestEpoch);
        Assert.NotEqual(result.Epochs[^1].TestLoss, best.TestLoss);
        Assert.Equal(result.Test!.Loss, best.TestLoss);
        Assert.Equal(result.Test.Accuracy, best.TestAccuracy);

        // The checkpoint is the kept model (the curves no longer put each epoch's weights back into the model).
        using var scope = NewDisposeScope();
        var saved = ModelCheckpoint.ReadTensors(folder.Path);
        foreach (var entry in result.State!.Entries)
        {
            Assert.Equal(entry.Values, saved[entry.Name].data<float>().ToArray());
        }
    }

    [Fact]
    public void A_diverged_epoch_has_no_test_point()
    {
        var metrics = new EpochMetrics(1, double.NaN, 0.1);
        using var model = nn.Linear(784, 10);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.zero_();
        }

        using var features = ones(4, 784);
        using var labels = zeros(4, dtype: ScalarType.Int64);
        var curves = new LearningCurves(features, labels, 10, Evaluator.ChunkSize);

        Assert.Same(metrics, curves.Measure(metrics, model));
        var measured = curves.Measure(metrics with { TrainLoss = 0.5 }, model);
        Assert.Equal(Math.Log(10), measured.TestLoss!.Value, 5); // zero weights: every class equally likely
        Assert.Equal(100, measured.TestAccuracy); // ties go to class 0, every label's
    }

    private ExperimentResult Train(IExperiment experiment, bool curves, string folder) => experiment.Run(new ExperimentContext(mnist.Subset)
    {
        MeasureTestCurves = curves,
        Checkpoints = new CheckpointOptions(folder),
    });

    private static void AssertSameBits(Models.ModelState expected, Models.ModelState actual)
    {
        Assert.Equal(expected.Entries.Select(e => e.Name), actual.Entries.Select(e => e.Name));
        foreach (var (e, a) in expected.Entries.Zip(actual.Entries))
        {
            Assert.True(
                e.Values.Select(BitConverter.SingleToInt32Bits).SequenceEqual(a.Values.Select(BitConverter.SingleToInt32Bits)),
                $"{e.Name} differs from the training without curves");
        }
    }
}
