using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>Measures a classifier on a dataset split: accuracy, mean loss, per-class accuracy, confusion matrix.</summary>
public static class Evaluator
{
    /// <summary>Images per forward pass; bounds memory on large splits.</summary>
    public const int ChunkSize = 10_000;

    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, ImageSplit split, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        model.eval();
        var count = split.Count;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = split.Images.reshape(count, -1);
        var lossSum = 0.0;
        var confusion = zeros(numClasses * numClasses, dtype: ScalarType.Int64);
        for (var start = 0; start < count; start += ChunkSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(ChunkSize, count - start);
            var inputs = images.narrow(0, start, length).to_type(ScalarType.Float32).div_(255f);
            var targets = split.Labels.narrow(0, start, length);
            var outputs = model.forward(inputs);
            lossSum += nn.functional.cross_entropy(outputs, targets, reduction: nn.Reduction.Sum).item<float>();
            var predictions = outputs.argmax(1);
            confusion.add_(bincount(targets * numClasses + predictions, minlength: numClasses * numClasses));
        }

        var counts = confusion.data<long>().ToArray();
        var matrix = new IReadOnlyList<long>[numClasses];
        var perClass = new double[numClasses];
        long correct = 0;
        for (var actual = 0; actual < numClasses; actual++)
        {
            var row = counts.AsSpan(actual * numClasses, numClasses).ToArray();
            matrix[actual] = row;
            correct += row[actual];
            var total = row.Sum();
            perClass[actual] = total == 0 ? double.NaN : 100.0 * row[actual] / total;
        }

        return new Evaluation
        {
            Accuracy = count == 0 ? double.NaN : 100.0 * correct / count,
            Loss = count == 0 ? double.NaN : lossSum / count,
            PerClassAccuracy = perClass,
            ConfusionMatrix = matrix,
            Count = count,
        };
    }
}
