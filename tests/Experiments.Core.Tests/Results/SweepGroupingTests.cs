using Experiments.Results;

namespace Experiments.Core.Tests.Results;

public sealed class SweepGroupingTests
{
    private static ExperimentResult Result(string name, double? accuracy, ExperimentStatus status = ExperimentStatus.Completed) => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = status,
        Hyperparameters = [],
        Test = accuracy is { } a ? new Evaluation { Accuracy = a, Loss = 0.3, PerClassAccuracy = [], ConfusionMatrix = [], Count = 10 } : null,
    };

    [Theory]
    [InlineData("lr-sweep/learningRate=0.01,batchSize=100", "lr-sweep")]
    [InlineData("seed-recipe", null)]
    public void A_sweep_members_name_starts_with_its_sweep(string name, string? sweep) =>
        Assert.Equal(sweep, ResultTable.SweepOf(name));

    [Fact]
    public void The_most_accurate_completed_member_of_each_sweep_leads_it()
    {
        var low = Result("a/x=1", 80);
        var high = Result("a/x=2", 90);
        var failed = Result("a/x=3", 99, ExperimentStatus.Failed);
        var otherLow = Result("b/y=1", 70);
        var otherHigh = Result("b/y=2", 75);
        var single = Result("c/z=1", 50);
        var plain = Result("plain", 100);

        var leaders = ResultTable.SweepLeaders([low, high, failed, otherLow, otherHigh, single, plain]);

        Assert.Equal(2, leaders.Count);
        Assert.Contains(high, leaders);
        Assert.Contains(otherHigh, leaders);
    }

    [Fact]
    public void With_a_validation_split_the_leader_is_chosen_on_validation_accuracy_not_on_the_test_set()
    {
        static Evaluation Eval(double accuracy) => new() { Accuracy = accuracy, Loss = 0.3, PerClassAccuracy = [], ConfusionMatrix = [], Count = 10 };
        var bestOnTest = Result("s/x=1", 95) with { Validation = Eval(90) };
        var bestOnValidation = Result("s/x=2", 94) with { Validation = Eval(91) };

        var leaders = ResultTable.SweepLeaders([bestOnTest, bestOnValidation]);

        Assert.Equal([bestOnValidation], leaders);
    }
}
