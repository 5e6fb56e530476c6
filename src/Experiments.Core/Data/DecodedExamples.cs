using TorchSharp;

namespace Experiments.Data;

/// <summary>
/// Examples decoded from a source, before any tensor exists: uint8 pixels or float32 cells, row after row, and one
/// class index per example.
/// </summary>
internal sealed class DecodedExamples
{
    private DecodedExamples(int count, int features, byte[]? bytes, float[]? floats, int[] labels)
    {
        Count = count;
        Features = features;
        Bytes = bytes;
        Floats = floats;
        Labels = labels;
    }

    public int Count { get; }

    /// <summary>Values per example.</summary>
    public int Features { get; }

    /// <summary>uint8 values (image datasets), <c>Count * Features</c> of them; null for CSV.</summary>
    public byte[]? Bytes { get; }

    /// <summary>float32 values (CSV datasets), <c>Count * Features</c> of them; null for images.</summary>
    public float[]? Floats { get; }

    public int[] Labels { get; }

    public static DecodedExamples OfBytes(int features, byte[] values, int[] labels) => new(labels.Length, features, values, null, labels);

    public static DecodedExamples OfFloats(int features, float[] values, int[] labels) => new(labels.Length, features, null, values, labels);

    /// <summary>
    /// Tensors [n, ...shape] and [n] (needs native torch) of the examples whose <paramref name="select"/> entry equals
    /// <paramref name="wanted"/> (all of them when <paramref name="select"/> is null), in order: each example is
    /// copied once, straight into the tensor's memory.
    /// </summary>
    public DataSplit ToSplit(IReadOnlyList<int> shape, bool[]? select = null, bool wanted = true)
    {
        int count = select is null ? Count : select.Count(s => s == wanted);
        long[] dims = [count, .. shape.Select(d => (long)d)];
        torch.Tensor? inputs = null;
        torch.Tensor? labels = null;
        try
        {
            inputs = torch.empty(dims, Bytes is not null ? torch.ScalarType.Byte : torch.ScalarType.Float32);
            var chosen = new long[count];
            int rowBytes = Features * (Bytes is not null ? 1 : sizeof(float));
            int k = 0;
            for (int i = 0; i < Count; i++)
            {
                if (select is not null && select[i] != wanted)
                {
                    continue;
                }

                var row = Bytes is not null
                    ? Bytes.AsSpan((int)((long)i * Features), Features)
                    : System.Runtime.InteropServices.MemoryMarshal.AsBytes(Floats.AsSpan((int)((long)i * Features), Features));
                row.CopyTo(SafeTensorsFile.Memory(inputs, (long)k * rowBytes, rowBytes));
                chosen[k++] = Labels[i];
            }

            labels = torch.tensor(chosen, [count], torch.ScalarType.Int64);
            return new DataSplit(inputs, labels);
        }
        catch
        {
            inputs?.Dispose();
            labels?.Dispose();
            throw;
        }
    }
}
