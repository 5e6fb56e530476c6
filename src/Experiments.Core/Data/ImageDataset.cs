using TorchSharp;

namespace Experiments.Data;

/// <summary>One split of an image dataset, held as two contiguous tensors.</summary>
public sealed class ImageSplit : IDisposable
{
    public ImageSplit(torch.Tensor images, torch.Tensor labels)
    {
        if (images.dtype != torch.ScalarType.Byte || images.dim() != 3)
        {
            throw new ArgumentException($"images must be a uint8 tensor [count, rows, columns], not {images.dtype} {string.Join('x', images.shape)}", nameof(images));
        }

        if (labels.dtype != torch.ScalarType.Int64 || labels.dim() != 1 || labels.shape[0] != images.shape[0])
        {
            throw new ArgumentException($"labels must be an int64 tensor [{images.shape[0]}], not {labels.dtype} {string.Join('x', labels.shape)}", nameof(labels));
        }

        Images = images;
        Labels = labels;
    }

    /// <summary>Pixels, uint8 [count, rows, columns], 0 = background.</summary>
    public torch.Tensor Images { get; }

    /// <summary>Class indices, int64 [count].</summary>
    public torch.Tensor Labels { get; }

    public int Count => (int)Images.shape[0];

    public int Rows => (int)Images.shape[1];

    public int Columns => (int)Images.shape[2];

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A dataset's train and test splits, loaded once per process and shared by every experiment.</summary>
public sealed class ImageDataset : IDisposable
{
    public ImageDataset(string name, ImageSplit train, ImageSplit test, IReadOnlyList<string> classNames)
    {
        Name = name;
        Train = train;
        Test = test;
        ClassNames = classNames;
    }

    /// <summary>The dataset's name as used in YAML files, e.g. <c>mnist</c>.</summary>
    public string Name { get; }

    public ImageSplit Train { get; }

    public ImageSplit Test { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public int NumClasses => ClassNames.Count;

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
