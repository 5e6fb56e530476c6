using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Checkpoints;

/// <summary>
/// How an experiment turns a dataset's raw examples into the model's inputs, with the statistics it measured on its
/// training portion: deskew (single-channel uint8 images), flatten to rows, divide by <see cref="Divisor"/>, then
/// standardize with <see cref="Mean"/> and <see cref="Std"/>. A checkpoint keeps it, so that <c>predict</c> and an
/// exported model prepare new examples exactly as the test examples were.
/// </summary>
/// <param name="ExampleShape">One raw example's shape, e.g. [1, 28, 28].</param>
/// <param name="Divisor">Raw values are divided by it (255: pixels to [0, 1]).</param>
/// <param name="Deskew">Whether each image is sheared upright by its second moments first.</param>
/// <param name="Mean">With standardization, each value's training mean (after the division); else null.</param>
/// <param name="Std">With standardization, each value's training standard deviation (1 for a constant value); else null.</param>
public sealed record InputTransform(IReadOnlyList<int> ExampleShape, double Divisor, bool Deskew, float[]? Mean, float[]? Std)
{
    /// <summary>Values per example: the product of <see cref="ExampleShape"/>.</summary>
    public int Features => ExampleShape.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// Raw examples (uint8 or float32 [n, ...shape]) to the model's float32 inputs [n, features]: the same operations,
    /// in the same order, as the trainer applies to the test split, so the results are equal bit for bit.
    /// </summary>
    public Tensor Apply(Tensor examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var shape = examples.shape.Skip(1).Select(d => (int)d).ToArray();
        if (!shape.SequenceEqual(ExampleShape))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"the examples have shape [{string.Join(", ", shape)}], but the model was trained on [{string.Join(", ", ExampleShape)}]"), nameof(examples));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var planes = examples.dim() == 4 && examples.shape[1] == 1 ? examples.reshape(examples.shape[0], examples.shape[2], examples.shape[3]) : examples;
        var source = Deskew ? Preprocessing.Deskew.Apply(planes) : planes;
        var flat = source.reshape(source.shape[0], -1);
        using var divisor = ((float)Divisor).ToScalar();
        var result = flat.dtype == ScalarType.Float32 ? flat.div(divisor) : flat.to_type(ScalarType.Float32).div_(divisor);
        if (Mean is not null && Std is not null)
        {
            result.sub_(tensor(Mean)).div_(tensor(Std));
        }

        return result.MoveToOuterDisposeScope();
    }
}
