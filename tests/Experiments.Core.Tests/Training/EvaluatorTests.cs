using Experiments.Data;
using Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Training;

public sealed class EvaluatorTests
{
    /// <summary>Six 1x2-pixel images of three classes.</summary>
    private static DataSplit Split() => new(
        tensor(new byte[] { 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0, 255 }, [6, 1, 2]),
        tensor(new long[] { 0, 1, 2, 0, 1, 2 }));

    [Fact]
    public void A_model_that_always_says_class_1_gets_a_third_right()
    {
        using var split = Split();
        using var model = nn.Linear(2, 3);
        using (no_grad())
        {
            model.weight!.zero_();
            model.bias!.copy_(tensor(new[] { 0f, 1f, 0f }));
        }

        var evaluation = Evaluator.Evaluate(model, split, 3);

        Assert.Equal(6, evaluation.Count);
        Assert.Equal(100.0 / 3, evaluation.Accuracy, 9);
        Assert.Equal([0.0, 100.0, 0.0], evaluation.PerClassAccuracy);
        Assert.Equal([0L, 2, 0], evaluation.ConfusionMatrix[0]);
        Assert.Equal([0L, 2, 0], evaluation.ConfusionMatrix[1]);
        Assert.Equal([0L, 2, 0], evaluation.ConfusionMatrix[2]);

        // Cross-entropy of logits (0, 1, 0): -log(e^1 / (2 + e)) for class 1, -log(1 / (2 + e)) otherwise.
        var expected = Math.Log(2 + Math.E) - (2.0 / 6);
        Assert.Equal(expected, evaluation.Loss, 5);
    }

    [Fact]
    public void A_perfect_model_fills_the_diagonal()
    {
        using var split = Split();
        using var model = nn.Linear(2, 3);
        using (no_grad())
        {
            // Pixel pattern (0,0) → class 0, (1,0) → class 1, (0,1) → class 2.
            model.weight!.copy_(tensor(new[] { 0f, 0f, 10f, 0f, 0f, 10f }, [3, 2]));
            model.bias!.copy_(tensor(new[] { 5f, 0f, 0f }));
        }

        var evaluation = Evaluator.Evaluate(model, split, 3);

        Assert.Equal(100.0, evaluation.Accuracy);
        Assert.Equal([100.0, 100.0, 100.0], evaluation.PerClassAccuracy);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(2, evaluation.ConfusionMatrix[i][i]);
        }
    }
}
