using static TorchSharp.torch;

namespace Experiments.Core.Tests;

/// <summary>Bit-for-bit comparison of tensors (TorchSharp's <c>torch.equal</c> is the element-wise <c>eq</c>, not PyTorch's).</summary>
internal static class TensorBits
{
    /// <summary>
    /// Whether <paramref name="expected"/> and <paramref name="actual"/> have the same dtype, shape and bytes: PyTorch's
    /// <c>torch.equal</c>, and stricter (0 and -0 differ, and so do NaNs of different payloads).
    /// </summary>
    public static bool Same(Tensor expected, Tensor actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.dtype != actual.dtype || !expected.shape.SequenceEqual(actual.shape))
        {
            return false;
        }

        using var left = expected.detach().contiguous();
        using var right = actual.detach().contiguous();
        return left.bytes.SequenceEqual(right.bytes);
    }
}
