using Experiments.Checkpoints;
using Experiments.Core.Tests.Training;
using Experiments.Data;
using Experiments.Running;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Checkpoints;

/// <summary>
/// What the trainer saves when its context asks: a checkpoint for a completed result whose weights and input
/// transform give the result's test accuracy again; none for a diverged or failed one; and a folder that cannot be
/// written keeps the result and says why.
/// </summary>
public sealed class TrainedCheckpointTests(MnistFixture mnist) : IClassFixture<MnistFixture>, IDisposable
{
    private static readonly ExperimentSettings Recipe = TestExperiment.BlogRecipe with { Epochs = 1, LearningRate = 0.05 };

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private ExperimentResult Run(ExperimentSettings settings, string folder, string name = "test", string dataset = "mnist")
    {
        var session = new ExperimentSession(_ => mnist.Subset)
        {
            MeasureCurves = false,
            Checkpoints = _ => new CheckpointOptions(results.Combine(folder)),
            ResultsDirectory = results.Path,
        };
        return session.Run(new TestExperiment(settings, dataset, name));
    }

    [Theory]
    [InlineData(false, InputNormalization.None)]
    [InlineData(true, InputNormalization.Standardize)]
    public void A_completed_result_has_a_checkpoint_that_gives_its_test_accuracy_again(bool deskew, InputNormalization normalize)
    {
        var result = Run(Recipe with { Deskew = deskew, Normalize = normalize }, "1/test");

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.Null(result.CheckpointError);
        var record = Assert.IsType<CheckpointRecord>(result.Checkpoint);
        Assert.Equal("1/test", record.Directory);
        var directory = record.FullDirectory(results.Path);
        ModelCheckpoint.Verify(directory, record);

        var config = ModelCheckpoint.ReadConfig(directory);
        Assert.Equal("test", config.Experiment);
        Assert.Equal(result.Test!.Accuracy, config.TestAccuracy);
        Assert.Equal(1, config.Epoch);
        Assert.Equal(deskew, config.Inputs.Deskew);
        Assert.Equal(normalize == InputNormalization.Standardize, config.Inputs.Mean is not null);
        Assert.Equal(result.Inputs!.Mean, config.Inputs.Mean);
        Assert.Equal(mnist.Subset.Description.Name, config.Dataset.Name);
        Assert.Equal(result.Hyperparameters.Select(p => p.Key), config.Hyperparameters.Select(p => p.Key));

        // The weights and the transform alone (as predict and PyTorch use them) classify the test split as the trainer did.
        using var model = nn.Linear(784, 10);
        ModelCheckpoint.LoadWeights(directory, model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var inputs = config.Inputs.Apply(mnist.Subset.Test.Inputs);
        var predicted = model.forward(inputs).argmax(1);
        var accuracy = 100.0 * predicted.eq(mnist.Subset.Test.Labels).sum().item<long>() / mnist.Subset.Test.Count;
        Assert.Equal(result.Test.Accuracy, accuracy, 10);
    }

    [Fact]
    public void The_transform_of_a_checkpoint_computes_the_trainers_test_inputs_bit_for_bit()
    {
        var settings = Recipe with { Deskew = true, Normalize = InputNormalization.Standardize };
        using var inputs = Experiments.Training.TrainingInputs.Prepare(mnist.Subset, settings, cacheFloats: false);
        using var expected = inputs.TransformImages(mnist.Subset.Test.Inputs);
        using var actual = inputs.Transform(mnist.Subset.ExampleShape).Apply(mnist.Subset.Test.Inputs);
        Assert.True(expected.eq(actual).all().item<bool>());

        var transform = inputs.Transform([1, 28, 28]);
        using var flat = zeros(2, 784);
        var wrong = Assert.Throws<ArgumentException>(() => transform.Apply(flat));
        Assert.StartsWith("the examples have shape [784], but the model was trained on [1, 28, 28]", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_diverged_or_failed_result_has_no_checkpoint_and_writes_nothing()
    {
        // Weight decay 1 at learning rate 100 multiplies the weights by -99 per step: they overflow within the epoch.
        var diverged = Run(Recipe with { LearningRate = 100, WeightDecay = 1 }, "1/diverged");
        Assert.Equal(ExperimentStatus.Diverged, diverged.Status);
        Assert.Null(diverged.Checkpoint);
        Assert.Null(diverged.CheckpointError);

        var failed = Run(Recipe with { InputSize = 100 }, "1/failed");
        Assert.Equal(ExperimentStatus.Failed, failed.Status);
        Assert.Null(failed.Checkpoint);

        Assert.Empty(results.Files());
    }

    [Fact]
    public void A_folder_that_cannot_be_written_keeps_the_result_and_says_why()
    {
        // A file where the experiment's folder should be: the folder cannot be created.
        results.Write("1", [1, 2, 3]);

        var result = Run(Recipe, "1/test");

        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.NotNull(result.Test);
        Assert.NotNull(result.State);
        Assert.Null(result.Checkpoint);
        Assert.StartsWith($"the checkpoint could not be written into '{results.Combine("1", "test")}': ", result.CheckpointError, StringComparison.Ordinal);
    }
}
