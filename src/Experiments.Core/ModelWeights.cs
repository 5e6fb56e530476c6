using TorchSharp;
using static TorchSharp.torch;

namespace Experiments;

/// <summary>
/// The weight matrix of a trained linear classifier: one row of <see cref="Columns"/> weights per class, row-major.
/// For MNIST each row is a 28x28 "template" of what that class looks like to the model.
/// </summary>
public sealed class ModelWeights
{
    private readonly float[] values;

    public ModelWeights(int rows, int columns, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (values.Length != (long)rows * columns)
        {
            throw new ArgumentException($"{rows}x{columns} weights need {(long)rows * columns} values, but {values.Length} were given", nameof(values));
        }

        Rows = rows;
        Columns = columns;
        this.values = values;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row-major: the weight of input <c>c</c> for class <c>r</c> is <c>Values[r * Columns + c]</c>.</summary>
    public IReadOnlyList<float> Values => values;

    /// <summary>The weights of one class.</summary>
    public ReadOnlySpan<float> Row(int row) => values.AsSpan(row * Columns, Columns);

    /// <summary>All values, row-major.</summary>
    public ReadOnlySpan<float> AsSpan() => values;

    /// <summary>
    /// Copies the model's first two-dimensional parameter (the linear layer's weight, classes x inputs), or returns
    /// null when it has none. A copy: the model may be disposed afterwards.
    /// </summary>
    public static ModelWeights? Capture(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        foreach (var parameter in model.parameters())
        {
            if (parameter.dim() == 2 && parameter.dtype == ScalarType.Float32)
            {
                using var cpu = parameter.detach().cpu().contiguous();
                return new ModelWeights((int)cpu.shape[0], (int)cpu.shape[1], cpu.data<float>().ToArray());
            }
        }

        return null;
    }

    /// <summary>Copies every parameter of the model (in <c>parameters()</c> order) to arrays; see <see cref="RestoreParameters"/>.</summary>
    public static float[][] CaptureParameters(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var noGrad = no_grad();
        return model.parameters().Select(p =>
        {
            using var cpu = p.detach().cpu().to_type(ScalarType.Float32).contiguous();
            return cpu.data<float>().ToArray();
        }).ToArray();
    }

    /// <summary>Loads parameters captured by <see cref="CaptureParameters"/> into a model of the same shape.</summary>
    public static void RestoreParameters(nn.Module<Tensor, Tensor> model, float[][] values)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(values);
        using var noGrad = no_grad();
        var parameters = model.parameters().ToList();
        if (parameters.Count != values.Length)
        {
            throw new ArgumentException($"The model has {parameters.Count} parameters, but {values.Length} were captured", nameof(values));
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            using var source = tensor(values[i]).reshape(parameters[i].shape).to_type(parameters[i].dtype);
            parameters[i].copy_(source);
        }
    }
}
