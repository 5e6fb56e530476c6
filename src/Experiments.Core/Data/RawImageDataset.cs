namespace Experiments.Data;

/// <summary>
/// A dataset read and verified into plain byte buffers, before any tensor exists. The constructor checks that
/// every split has one label per image and that train and test images have the same size.
/// </summary>
public sealed class RawImageDataset
{
    public RawImageDataset(string name, IReadOnlyList<string> classNames, IdxImages trainImages, IdxLabels trainLabels, IdxImages testImages, IdxLabels testLabels)
    {
        IdxReader.EnsureSameCount(trainImages, trainLabels, "train");
        IdxReader.EnsureSameCount(testImages, testLabels, "test");
        if (trainImages.Rows != testImages.Rows || trainImages.Columns != testImages.Columns)
        {
            throw new DataFormatException(
                testImages.FilePath,
                $"images of {testImages.Rows}x{testImages.Columns} but {trainImages.FilePath} has images of {trainImages.Rows}x{trainImages.Columns}: train and test images must have the same size");
        }

        Name = name;
        ClassNames = classNames;
        TrainImages = trainImages;
        TrainLabels = trainLabels;
        TestImages = testImages;
        TestLabels = testLabels;
    }

    public string Name { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public IdxImages TrainImages { get; }

    public IdxLabels TrainLabels { get; }

    public IdxImages TestImages { get; }

    public IdxLabels TestLabels { get; }

    /// <summary>Builds the tensors: one uint8 [count, 1, rows, columns] and one int64 tensor per split (needs native torch).</summary>
    public Dataset ToDataset(DatasetDescription description, string contentKey)
    {
        var train = IdxReader.ToSplit(TrainImages, TrainLabels, "train");
        DataSplit? test = null;
        try
        {
            test = IdxReader.ToSplit(TestImages, TestLabels, "test");
            return new Dataset(description, train, test, contentKey);
        }
        catch
        {
            train.Dispose();
            test?.Dispose();
            throw;
        }
    }
}
