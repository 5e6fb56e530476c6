using System.Text.Json;
using Experiments.Data;
using Experiments.Results;
using Experiments.Running;
using Experiments.Training;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

/// <summary>The options of issue 4 on the 3,000-image subset: each one does what it says, and divergence is a result.</summary>
public sealed class TrainingOptionsTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static readonly ExperimentSettings Base = TestExperiment.BlogRecipe with { Epochs = 3, LearningRate = 0.05 };

    private ExperimentResult Train(ExperimentSettings settings, Dataset? data = null) =>
        new TestExperiment(settings).Run(new ExperimentContext(data ?? mnist.Subset));

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static TheoryData<string, ExperimentSettings> Optimizers => new()
    {
        { "nesterov", Base with { Optimizer = OptimizerKind.Momentum, Momentum = 0.9, Nesterov = true } },
        { "adam", Base with { Optimizer = OptimizerKind.Adam, LearningRate = 0.003 } },
        { "lbfgs", Base with { Optimizer = OptimizerKind.Lbfgs, LearningRate = 1, Epochs = 15 } },
        { "sgd with weight decay and a cosine schedule", Base with { WeightDecay = 1e-4, LrSchedule = LearningRateSchedule.Cosine, LearningRate = 0.2 } },
        { "step schedule", Base with { LrSchedule = LearningRateSchedule.Step, LrStepEpochs = 1, LrStepGamma = 0.5, LearningRate = 0.2 } },
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_optimizer_and_schedule_learns(string name, ExperimentSettings settings)
    {
        var result = Train(settings);
        Assert.True(result.Status == ExperimentStatus.Completed, name);
        Assert.Equal(settings.Epochs, result.Epochs.Count);
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss, $"{name}: {result.Epochs[0].TrainLoss} -> {result.Epochs[^1].TrainLoss}");
        Assert.InRange(result.Test!.Accuracy, 80, 100);
    }

    [Fact]
    public void Weight_decay_holds_the_fit_back()
    {
        // The penalty pulls the weights towards 0, so the (unpenalised) training loss stays higher.
        var plain = Train(Base with { Epochs = 2 });
        var decayed = Train(Base with { Epochs = 2, WeightDecay = 0.2 });
        Assert.True(decayed.Epochs[^1].TrainLoss > plain.Epochs[^1].TrainLoss + 0.05, $"{plain.Epochs[^1].TrainLoss} vs {decayed.Epochs[^1].TrainLoss}");
    }

    [Fact]
    public void A_validation_split_is_held_out_and_measured_every_epoch()
    {
        var result = Train(Base with { ValidationSplit = 0.2 });

        Assert.Equal(600, result.Validation!.Count);
        Assert.Equal(1000, result.Test!.Count);
        Assert.All(result.Epochs, e => Assert.InRange(e.ValidationLoss!.Value, 0.01, 2.3));
        Assert.All(result.Epochs, e => Assert.InRange(e.ValidationAccuracy!.Value, 50, 100));
        Assert.Equal(result.Epochs[^1].ValidationLoss!.Value, result.Validation.Loss, 9);
        Assert.Null(Train(Base).Validation);
    }

    [Fact]
    public void The_validation_images_are_never_trained_on_nor_augmented()
    {
        var settings = Base with { ValidationSplit = 0.1, Augment = Augmentation.Shifts };
        using var inputs = TrainingInputs.Prepare(mnist.Subset, settings, cacheFloats: false);

        Assert.Equal(2700 * 5, inputs.Count);
        Assert.Equal(300, inputs.ValidationFeatures!.shape[0]);
        // Every original label is either in validation or (five times) in training.
        using var scope = NewDisposeScope();
        var original = bincount(mnist.Subset.Train.Labels, minlength: 10);
        var split = bincount(inputs.Labels, minlength: 10).div(5).add(bincount(inputs.ValidationLabels!, minlength: 10));
        Assert.True(Same(original, split));
        // Same seed, same split; another seed, another split.
        using var again = TrainingInputs.Prepare(mnist.Subset, settings, cacheFloats: false);
        using var other = TrainingInputs.Prepare(mnist.Subset, settings with { Seed = 1 }, cacheFloats: false);
        Assert.True(Same(inputs.ValidationFeatures, again.ValidationFeatures!));
        Assert.False(Same(inputs.ValidationFeatures, other.ValidationFeatures!));
    }

    [Fact]
    public void Standardize_gives_the_training_pixels_mean_0_and_deviation_1_and_the_test_pixels_the_same_transform()
    {
        var settings = Base with { Normalize = InputNormalization.Standardize };
        using var inputs = TrainingInputs.Prepare(mnist.Subset, settings, cacheFloats: true);
        using var scope = NewDisposeScope();
        var features = inputs.AllFeatures!;
        var varying = mnist.Subset.Train.Inputs.squeeze(1).reshape(3000, -1).to_type(ScalarType.Float32).std(0).gt(0);
        var mean = features.mean([0]).masked_select(varying);
        var std = features.std(0).masked_select(varying);
        Assert.Equal(784, varying.shape[0]);
        Assert.InRange(mean.abs().max().item<float>(), 0, 1e-3);
        Assert.InRange(std.sub(1).abs().max().item<float>(), 0, 1e-2);

        var test = inputs.TransformImages(mnist.Subset.Train.Inputs.squeeze(1).narrow(0, 0, 10));
        Assert.True(test.allclose(features.narrow(0, 0, 10), rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Deskew_is_applied_to_the_test_images_too()
    {
        using var inputs = TrainingInputs.Prepare(mnist.Subset, Base with { Deskew = true }, cacheFloats: false);
        using var scope = NewDisposeScope();
        var images = mnist.Subset.Test.Inputs.squeeze(1).narrow(0, 0, 50);
        var expected = Experiments.Preprocessing.Deskew.Apply(images).reshape(50, -1).to_type(ScalarType.Float32).div(255f);
        Assert.True(Same(inputs.TransformImages(images), expected));
        Assert.False(Same(expected, images.reshape(50, -1).to_type(ScalarType.Float32).div(255f)));
    }

    [Fact]
    public void Early_stopping_keeps_the_weights_of_the_best_validation_epoch()
    {
        // Plain SGD at a large rate on 2,400 images overfits: the validation loss turns up and training stops.
        var result = Train(Base with { Epochs = 40, LearningRate = 0.5, ValidationSplit = 0.2, EarlyStoppingPatience = 2 });

        Assert.True(result.StoppedEarly);
        Assert.Equal(result.BestEpoch + 2, result.Epochs.Count);
        var best = result.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(best, result.Epochs[result.BestEpoch!.Value - 1].ValidationLoss!.Value);
        Assert.Equal(best, result.Validation!.Loss, 5);
        Assert.True(result.Epochs[^1].ValidationLoss > best);
    }

    [Fact]
    public void A_learning_rate_that_blows_up_is_reported_as_diverged_and_the_next_experiment_runs()
    {
        // With weight decay 1, each step multiplies the weights by (1 - 100 * 1) = -99: they overflow within an epoch.
        var session = new ExperimentSession(_ => mnist.Subset);
        var diverged = session.Run(new TestExperiment(Base with { Epochs = 5, LearningRate = 100, WeightDecay = 1 }, name: "blows-up"));
        var fine = session.Run(new TestExperiment(Base with { Epochs = 1 }, name: "fine"));

        Assert.Equal(ExperimentStatus.Diverged, diverged.Status);
        Assert.Single(diverged.Epochs);
        Assert.False(double.IsFinite(diverged.Epochs[0].TrainLoss));
        Assert.Contains("at epoch 1", diverged.DivergenceReason, StringComparison.Ordinal);
        Assert.Null(diverged.Test);
        Assert.Null(diverged.Error);
        Assert.Equal(ExperimentStatus.Completed, fine.Status);

        using var json = JsonDocument.Parse(ResultFiles.ToJson([diverged, fine]));
        Assert.Equal("diverged", json.RootElement[0].GetProperty("status").GetString());
        Assert.Contains("epoch 1", json.RootElement[0].GetProperty("divergenceReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, json.RootElement[0].GetProperty("accuracy").ValueKind);
        Assert.Equal("diverged", ResultTable.Status.Value(diverged).Text);
        Assert.Contains("**blows-up** diverged: training loss", ResultFiles.ToMarkdown([diverged, fine]), StringComparison.Ordinal);
    }

    [Fact]
    public void Lbfgs_diverges_cleanly_too()
    {
        var result = Train(Base with { Optimizer = OptimizerKind.Lbfgs, LearningRate = 1e30, Epochs = 10 });
        Assert.Equal(ExperimentStatus.Diverged, result.Status);
        Assert.True(result.Epochs.Count < 10);
    }

    [Fact]
    public void Weights_blown_up_by_the_last_update_are_diverged_not_completed()
    {
        // An L-BFGS iteration reports the loss it started from: both losses are finite (the second absurdly large),
        // and only the weights after the last step show that it blew up.
        var result = Train(Base with { Optimizer = OptimizerKind.Lbfgs, LearningRate = 1e30, Epochs = 2 });

        Assert.Equal(ExperimentStatus.Diverged, result.Status);
        Assert.All(result.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
        Assert.Equal("weights not finite after epoch 2", result.DivergenceReason);
        Assert.Null(result.Test);
    }

    [Fact]
    public void A_validation_split_too_small_to_hold_an_image_is_an_error_that_says_so()
    {
        var result = new ExperimentSession(_ => mnist.Subset).Run(new TestExperiment(Base with { ValidationSplit = 1e-6, EarlyStoppingPatience = 1 }));

        Assert.Equal(ExperimentStatus.Failed, result.Status);
        Assert.StartsWith("validationSplit 1E-06 holds out no image of ", result.Error, StringComparison.Ordinal);
    }
}
