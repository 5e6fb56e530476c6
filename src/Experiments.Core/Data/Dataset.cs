using TorchSharp;

namespace Experiments.Data;

/// <summary>One split of a dataset, held as two contiguous tensors.</summary>
public sealed class DataSplit : IDisposable
{
    /// <param name="inputs">Raw values, [count, ...example shape]: uint8 (pixels) or float32 (CSV cells).</param>
    /// <param name="labels">Class indices, int64 [count].</param>
    public DataSplit(torch.Tensor inputs, torch.Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.dtype is not (torch.ScalarType.Byte or torch.ScalarType.Float32) || inputs.dim() < 2)
        {
            throw new ArgumentException($"inputs must be a uint8 or float32 tensor [count, ...], not {inputs.dtype} {string.Join('x', inputs.shape)}", nameof(inputs));
        }

        if (labels.dtype != torch.ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != inputs.shape[0])
        {
            throw new ArgumentException($"labels must be an int64 tensor [{inputs.shape[0]}], not {labels.dtype} {string.Join('x', labels.shape)}", nameof(labels));
        }

        Inputs = inputs;
        Labels = labels;
        ExampleShape = [.. inputs.shape.Skip(1).Select(d => (int)d)];
    }

    /// <summary>Raw values [count, ...<see cref="ExampleShape"/>]: uint8 pixels (0 = background) or float32 cells.</summary>
    public torch.Tensor Inputs { get; }

    /// <summary>Class indices, int64 [count].</summary>
    public torch.Tensor Labels { get; }

    public int Count => (int)Inputs.shape[0];

    /// <summary>The shape of one example, e.g. [1, 28, 28] or [64].</summary>
    public IReadOnlyList<int> ExampleShape { get; }

    /// <summary>Values per example.</summary>
    public int Features => ExampleShape.Aggregate(1, (a, b) => a * b);

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A dataset's train and test splits, loaded once per process and shared by every experiment.</summary>
public sealed class Dataset : IDisposable
{
    /// <param name="description">What the dataset is (name, classes, shape, scaling).</param>
    /// <param name="train">The training split.</param>
    /// <param name="test">The test split.</param>
    /// <param name="contentKey">SHA-256 (hex) of the description and its sources' content: the run cache's dataset key.</param>
    public Dataset(DatasetDescription description, DataSplit train, DataSplit test, string contentKey)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (!train.ExampleShape.SequenceEqual(description.Shape) || !test.ExampleShape.SequenceEqual(description.Shape))
        {
            throw new ArgumentException($"'{description.Name}' is described with examples of [{string.Join(", ", description.Shape)}], but its splits hold [{string.Join(", ", train.ExampleShape)}] and [{string.Join(", ", test.ExampleShape)}]");
        }

        Description = description;
        Train = train;
        Test = test;
        ContentKey = contentKey;
    }

    public DatasetDescription Description { get; }

    /// <summary>The dataset's name as used in YAML files, e.g. <c>mnist</c>.</summary>
    public string Name => Description.Name;

    public DataSplit Train { get; }

    public DataSplit Test { get; }

    public IReadOnlyList<string> ClassNames => Description.ClassNames;

    public int NumClasses => ClassNames.Count;

    /// <summary>The shape of one example, e.g. [1, 28, 28].</summary>
    public IReadOnlyList<int> ExampleShape => Description.Shape;

    /// <summary>Raw values are divided by this to give the model's inputs (255 for pixels).</summary>
    public double InputDivisor => Description.InputDivisor;

    /// <summary>SHA-256 (hex) of the description and its sources' content.</summary>
    public string ContentKey { get; }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
