using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Gathers rows of a contiguous uint8 or float32 matrix [n, d] by index into a float32 buffer, converting bytes to
/// floats on the way, and prefetches the rows of the next batch so that they are in cache when it comes.
/// </summary>
/// <remarks>
/// <para>
/// Written by hand rather than as <c>index_select</c> + <c>copy_</c>: a seed-recipe step spends about 60 µs in its
/// two GEMMs, and the 100 random rows of 784 bytes from a 47 MB tensor took about 20 µs more through torch (two
/// dispatches, a fresh 78 KB tensor, then a second pass to convert it), most of it waiting for memory. One pass that
/// reads each row once and writes floats, with the next batch's rows requested while the GEMMs of this one run,
/// takes a fraction of that (BENCHMARKS.md, "Where the time of a step goes").
/// </para>
/// <para>
/// The matrix and the buffer are native torch memory (they do not move); their addresses are taken once, and
/// both tensors must outlive this object. The conversion is exact (bytes are integers below 2^24).
/// </para>
/// </remarks>
internal sealed unsafe class RowGather
{
    private readonly byte* source;
    private readonly long rows;
    private readonly int width;
    private readonly bool bytes;

    /// <param name="matrix">uint8 or float32 [n, d], contiguous.</param>
    public RowGather(Tensor matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.dim() != 2 || !matrix.is_contiguous() || matrix.dtype is not (ScalarType.Byte or ScalarType.Float32))
        {
            throw new ArgumentException("RowGather needs a contiguous uint8 or float32 matrix", nameof(matrix));
        }

        rows = matrix.shape[0];
        width = checked((int)matrix.shape[1]);
        bytes = matrix.dtype == ScalarType.Byte;
        source = rows == 0 ? null : AddressOf(matrix);
    }

    /// <summary>
    /// Writes rows <paramref name="indices"/> into the first rows of <paramref name="buffer"/> (float32 [≥ count, d],
    /// contiguous), then prefetches the rows <paramref name="next"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    public void Gather(ReadOnlySpan<long> indices, Tensor buffer, ReadOnlySpan<long> next)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.dtype != ScalarType.Float32 || !buffer.is_contiguous() || buffer.shape[0] < indices.Length || buffer.shape[1] != width)
        {
            throw new ArgumentException("The buffer must be a contiguous float32 tensor with room for the rows", nameof(buffer));
        }

        if (indices.Length == 0)
        {
            return;
        }

        var target = (float*)AddressOf(buffer);
        for (var i = 0; i < indices.Length; i++)
        {
            var row = indices[i];
            if ((ulong)row >= (ulong)rows)
            {
                throw new IndexOutOfRangeException($"Row {row} is outside the {rows} rows");
            }

            var destination = target + ((long)i * width);
            if (bytes)
            {
                Convert(source + (row * width), destination, width);
            }
            else
            {
                var from = (float*)source + (row * width);
                new ReadOnlySpan<float>(from, width).CopyTo(new Span<float>(destination, width));
            }
        }

        Prefetch(next);
    }

    /// <summary>Asks the CPU to bring rows <paramref name="indices"/> into cache (no effect where that is not supported).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    private void Prefetch(ReadOnlySpan<long> indices)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        var rowBytes = bytes ? width : width * sizeof(float);
        foreach (var row in indices)
        {
            if ((ulong)row >= (ulong)rows)
            {
                continue;
            }

            var start = source + (row * rowBytes);
            for (var offset = 0; offset < rowBytes; offset += 64)
            {
                Sse.Prefetch0(start + offset);
            }

            Sse.Prefetch0(start + rowBytes - 1);
        }
    }

    /// <summary>bytes → floats, 32 at a time (widened twice to 32-bit integers, then converted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    private static void Convert(byte* from, float* to, int count)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= count; i += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.Load(from + i));
                var (a, b) = Vector256.Widen(low);
                var (c, d) = Vector256.Widen(high);
                Vector256.ConvertToSingle(a.AsInt32()).Store(to + i);
                Vector256.ConvertToSingle(b.AsInt32()).Store(to + i + 8);
                Vector256.ConvertToSingle(c.AsInt32()).Store(to + i + 16);
                Vector256.ConvertToSingle(d.AsInt32()).Store(to + i + 24);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= count; i += 16)
            {
                var (low, high) = Vector128.Widen(Vector128.Load(from + i));
                var (a, b) = Vector128.Widen(low);
                var (c, d) = Vector128.Widen(high);
                Vector128.ConvertToSingle(a.AsInt32()).Store(to + i);
                Vector128.ConvertToSingle(b.AsInt32()).Store(to + i + 4);
                Vector128.ConvertToSingle(c.AsInt32()).Store(to + i + 8);
                Vector128.ConvertToSingle(d.AsInt32()).Store(to + i + 12);
            }
        }

        for (; i < count; i++)
        {
            to[i] = from[i];
        }
    }

    /// <summary>The address of a CPU tensor's first element (its data is native memory, which does not move).</summary>
    private static byte* AddressOf(Tensor tensor)
    {
        var span = tensor.bytes;
        return (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
    }
}
