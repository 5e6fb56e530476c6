using Experiments.Training;
using TorchSharp;

namespace Experiments.Core.Tests.Training;

public sealed class LearningRateScheduleTests
{
    private static LearningRateScheduler Scheduler(ExperimentSettings settings, int stepsPerEpoch, out torch.optim.Optimizer optimizer)
    {
        var model = torch.nn.Linear(2, 2);
        optimizer = torch.optim.SGD(model.parameters(), settings.LearningRate);
        return new LearningRateScheduler(settings, optimizer, stepsPerEpoch);
    }

    [Fact]
    public void Cosine_goes_from_the_rate_through_half_to_almost_zero_over_every_step()
    {
        var settings = TestExperiment.BlogRecipe with { LearningRate = 0.4, Epochs = 4, LrSchedule = LearningRateSchedule.Cosine };
        var scheduler = Scheduler(settings, stepsPerEpoch: 10, out var optimizer);
        using var _ = optimizer;

        Assert.Equal(0.4, scheduler.RateAt(1, 0), 12);
        Assert.Equal(0.2, scheduler.RateAt(3, 0), 12);      // step 20 of 40
        Assert.InRange(scheduler.RateAt(4, 9), 1e-6, 0.01); // the last step
        var rates = Enumerable.Range(1, 4).SelectMany(e => Enumerable.Range(0, 10).Select(s => scheduler.RateAt(e, s))).ToList();
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.First > p.Second));

        scheduler.BeforeStep(3, 0);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.2, g.LearningRate, 12));
    }

    [Fact]
    public void Step_multiplies_by_gamma_every_few_epochs()
    {
        var settings = TestExperiment.BlogRecipe with { LearningRate = 1, LrSchedule = LearningRateSchedule.Step, LrStepEpochs = 2, LrStepGamma = 0.5 };
        var scheduler = Scheduler(settings, stepsPerEpoch: 5, out var optimizer);
        using var _ = optimizer;

        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.25], Enumerable.Range(1, 5).Select(e => scheduler.RateAt(e, 3)));
        scheduler.BeforeStep(5, 0);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.25, g.LearningRate, 12));
    }

    [Fact]
    public void Constant_leaves_the_optimizer_alone()
    {
        var scheduler = Scheduler(TestExperiment.BlogRecipe with { LearningRate = 0.3 }, stepsPerEpoch: 5, out var optimizer);
        using var _ = optimizer;
        scheduler.BeforeStep(4, 2);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.3, g.LearningRate, 12));
        Assert.Equal(0.3, scheduler.RateAt(4, 2));
    }
}
