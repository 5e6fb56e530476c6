using Experiments.Data;
using Experiments.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>Measures a classifier on a dataset split: accuracy, mean loss, per-class accuracy, confusion matrix.</summary>
public static class Evaluator
{
    /// <summary>Images per forward pass of a model without convolutions (a linear layer, an MLP); bounds memory on large splits.</summary>
    public const int ChunkSize = 10_000;

    /// <summary>
    /// Images per forward pass of a model with convolutions (a parameter of three or more dimensions): a CNN's
    /// activations take tens of KB per image per layer (32 channels of 28x28 floats: 100 KB), so 10,000 images at once
    /// would take about a GB; 500 keep evaluation within tens of MB.
    /// </summary>
    public const int ConvolutionalChunkSize = 500;

    /// <summary>The images per forward pass for <paramref name="model"/>: <see cref="ChunkSize"/>, or <see cref="ConvolutionalChunkSize"/> for a model with convolutions.</summary>
    public static int ChunkSizeFor(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.parameters().Any(p => p.dim() >= 3) ? ConvolutionalChunkSize : ChunkSize;
    }

    /// <summary>
    /// Evaluates on the split's examples (uint8 or float32, any shape) flattened and divided by
    /// <paramref name="inputDivisor"/>, with no other input option (no deskew, no standardize): only right for a model
    /// trained that way, so internal; the trainer evaluates on its own transformed features.
    /// </summary>
    internal static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, DataSplit split, int numClasses, double inputDivisor = 255)
    {
        ArgumentNullException.ThrowIfNull(split);
        using var divisor = TrainingInputs.CheckDivisor(inputDivisor, "the split").ToScalar();
        using var scope = NewDisposeScope();
        var flat = split.Inputs.reshape(split.Count, -1);
        var inputs = flat.dtype == ScalarType.Float32 ? flat.div(divisor) : flat.to_type(ScalarType.Float32).div_(divisor);
        return Evaluate(model, inputs, split.Labels, numClasses);
    }

    /// <summary>
    /// Evaluates on inputs already in the model's form: float32 [count, inputSize] and int64 labels [count], in chunks
    /// of <see cref="ChunkSizeFor"/> images, in evaluation mode (dropout off, batch norm on its running statistics)
    /// under <c>no_grad</c>; the model's mode is restored afterwards. Each chunk moves to the model's device when the
    /// inputs are elsewhere.
    /// </summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor labels, int numClasses) =>
        Evaluate(model, inputs, labels, numClasses, 0);

    /// <summary>As <see cref="Evaluate(nn.Module{Tensor, Tensor}, Tensor, Tensor, int)"/> with <paramref name="chunkSize"/> images per pass (0: <see cref="ChunkSizeFor"/>).</summary>
    public static Evaluation Evaluate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor labels, int numClasses, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkSize);
        var chunk = chunkSize > 0 ? chunkSize : ChunkSizeFor(model);
        var wasTraining = model.training;
        model.eval();
        var count = (int)inputs.shape[0];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = model.parameters().FirstOrDefault()?.device ?? inputs.device;
        var move = device.type != inputs.device.type || device.index != inputs.device.index;
        var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        var confusion = zeros(numClasses * numClasses, dtype: ScalarType.Int64, device: device);
        using var classCount = numClasses.ToScalar(); // held for every chunk's call (see Torch/Scalars.cs)
        try
        {
            for (var start = 0; start < count; start += chunk)
            {
                using var chunkScope = NewDisposeScope();
                var length = Math.Min(chunk, count - start);
                var targets = labels.narrow(0, start, length);
                var batch = inputs.narrow(0, start, length);
                if (move)
                {
                    targets = targets.to(device);
                    batch = batch.to(device);
                }

                var outputs = model.forward(batch);
                lossSum.add_(nn.functional.cross_entropy(outputs, targets, reduction: nn.Reduction.Sum), alpha: Scalars.One);
                var predictions = outputs.argmax(1);
                // targets × classes + predictions: the cell of each (actual, predicted) pair.
                var cells = targets.mul(classCount).add(predictions, alpha: Scalars.One);
                confusion.add_(bincount(cells, minlength: numClasses * numClasses), alpha: Scalars.One);
            }
        }
        finally
        {
            if (wasTraining)
            {
                model.train();
            }
        }

        var loss = lossSum.item<double>();
        var counts = confusion.cpu().data<long>().ToArray();
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
            Loss = count == 0 ? double.NaN : loss / count,
            PerClassAccuracy = perClass,
            ConfusionMatrix = matrix,
            Count = count,
        };
    }
}
