namespace Experiments.Core.Tests.Training;

/// <summary>
/// The two recipes of the validation search (experiments/best-linear.yaml and
/// best-deskewed.yaml) on the full MNIST test set. The targets are 92.5% and 94.8%; measured here, 92.60% and 95.78%.
/// Another CPU's math kernels round differently over thousands of SGD steps, so the bounds leave 0.3 points below
/// the raw-pixel target (30 test images) rather than 0.1; the bench and BENCHMARKS.md report the exact figures, and
/// times are measured there, never here.
/// </summary>
public sealed class BestRecipesTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static readonly ExperimentSettings NesterovCosine = TestExperiment.BlogRecipe with
    {
        LearningRate = 0.1,
        Optimizer = OptimizerKind.Momentum,
        Momentum = 0.9,
        Nesterov = true,
        LrSchedule = LearningRateSchedule.Cosine,
    };

    [Fact]
    public void Best_linear_on_raw_pixels_reaches_about_92_5_percent()
    {
        var result = new TestExperiment(NesterovCosine with { Epochs = 15 }).Run(new ExperimentContext(mnist.Full));
        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.InRange(result.Test!.Accuracy, 92.2, 100);
    }

    [Fact]
    public void Best_deskewed_reaches_94_8_percent()
    {
        var settings = NesterovCosine with { Epochs = 5, LearningRate = 0.3, WeightDecay = 1e-4, Deskew = true };
        var result = new TestExperiment(settings).Run(new ExperimentContext(mnist.Full));
        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.InRange(result.Test!.Accuracy, 94.8, 100);
    }

    [Fact]
    public void Deskewing_is_what_lifts_the_same_linear_model()
    {
        // The same recipe without deskew stays where a linear model on raw pixels stays.
        var settings = NesterovCosine with { Epochs = 5, LearningRate = 0.3, WeightDecay = 1e-4 };
        var result = new TestExperiment(settings).Run(new ExperimentContext(mnist.Full));
        Assert.InRange(result.Test!.Accuracy, 90, 93);
    }
}
