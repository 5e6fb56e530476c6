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

    /// <summary>The examples whose <paramref name="select"/> entry equals <paramref name="wanted"/>, in order.</summary>
    public DecodedExamples Where(bool[] select, bool wanted)
    {
        int count = select.Count(s => s == wanted);
        var labels = new int[count];
        var bytes = Bytes is null ? null : new byte[(long)count * Features];
        var floats = Floats is null ? null : new float[(long)count * Features];
        int k = 0;
        for (int i = 0; i < Count; i++)
        {
            if (select[i] != wanted)
            {
                continue;
            }

            labels[k] = Labels[i];
            if (bytes is not null)
            {
                Array.Copy(Bytes!, (long)i * Features, bytes, (long)k * Features, Features);
            }
            else
            {
                Array.Copy(Floats!, (long)i * Features, floats!, (long)k * Features, Features);
            }

            k++;
        }

        return new(count, Features, bytes, floats, labels);
    }

    /// <summary>The safetensors dtype of the inputs.</summary>
    public string InputDtype => Bytes is null ? "F32" : "U8";

    public ReadOnlyMemory<byte> InputBytes => Bytes is not null ? Bytes : SafeTensorsFile.Bytes(Floats!);

    public ReadOnlyMemory<byte> LabelBytes => SafeTensorsFile.Bytes(Labels.Select(l => (long)l).ToArray());

    /// <summary>Tensors [Count, ...shape] and [Count] (needs native torch).</summary>
    public DataSplit ToSplit(IReadOnlyList<int> shape)
    {
        long[] dims = [Count, .. shape.Select(d => (long)d)];
        torch.Tensor? inputs = null;
        torch.Tensor? labels = null;
        try
        {
            inputs = Bytes is not null ? torch.tensor(Bytes, dims, torch.ScalarType.Byte) : torch.tensor(Floats!, dims, torch.ScalarType.Float32);
            labels = torch.tensor(Labels.Select(l => (long)l).ToArray(), [Count], torch.ScalarType.Int64);
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
