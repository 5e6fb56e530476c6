using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>Measures a classifier on a dataset split: accuracy, mean loss, per-class accuracy, confusion matrix.</summary>
public static class Evaluator
{
    /// <summary>Images per forward pass; bounds memory on large splits.</summary>
    public const int ChunkSize = 10_000;

    /// <summary>
    /// Evaluates on uint8 images scaled to [0, 1], with no other input option (no deskew, no standardize): only right
    /// for a model trained that way, so internal; the trainer evaluates on its own transformed features.
    /// </summary>
    internal static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, ImageSplit split, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(split);
        using var scope = NewDisposeScope();
        var inputs = split.Images.reshape(split.Count, -1).to_type(ScalarType.Float32).div_(255f);
        return Evaluate(model, inputs, split.Labels, numClasses);
    }

    /// <summary>Evaluates on inputs already in the model's form: float32 [count, inputSize] and int64 labels [count].</summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        var wasTraining = model.training;
        model.eval();
        var count = (int)inputs.shape[0];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var lossSum = 0.0;
        var confusion = zeros(numClasses * numClasses, dtype: ScalarType.Int64);
        for (var start = 0; start < count; start += ChunkSize)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(ChunkSize, count - start);
            var targets = labels.narrow(0, start, length);
            var outputs = model.forward(inputs.narrow(0, start, length));
            lossSum += nn.functional.cross_entropy(outputs, targets, reduction: nn.Reduction.Sum).item<float>();
            var predictions = outputs.argmax(1);
            confusion.add_(bincount(targets * numClasses + predictions, minlength: numClasses * numClasses));
        }

        if (wasTraining)
        {
            model.train();
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
