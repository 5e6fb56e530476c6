using System.Globalization;
using Experiments.Data;

namespace Experiments.Prediction;

/// <summary>
/// Turns an image file into one example of a dataset, the way the dataset's own examples were made
/// (<see cref="DatasetDescription.Prepare"/>): the raw values its files hold, before the experiment's own
/// preprocessing (<see cref="Checkpoints.InputTransform"/>: deskew, divide, standardize).
/// </summary>
internal static class ImagePreparer
{
    /// <summary>
    /// Why new images cannot be made into examples of <paramref name="dataset"/> (its <c>prepare</c> is <c>none</c>,
    /// or makes another shape than the dataset's), or null when they can.
    /// </summary>
    public static string? Unsupported(DatasetDescription dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var file = dataset.SourceFile.Length > 0 ? $" ({dataset.SourceFile})" : "";
        var shape = ShapeText(dataset.Shape);
        var made = dataset.Prepare switch
        {
            ImagePreparation.None => null,
            ImagePreparation.Decode => dataset.Format == DatasetFormat.Images ? shape : "an images dataset's examples",
            ImagePreparation.MnistDigit or ImagePreparation.FashionMnist => dataset.Format == DatasetFormat.Csv ? "[784]" : "[1, 28, 28]",
            ImagePreparation.UciDigits => dataset.Format switch
            {
                DatasetFormat.Csv => "[64]",
                DatasetFormat.Images => "[1, 8, 8]",
                _ => "[64] csv or [1, 8, 8] images",
            },
            _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset.Prepare, "unknown preparation"),
        };
        if (made is null)
        {
            return $"the dataset '{dataset.Name}'{file} does not say how a new image becomes one of its examples (prepare: none); set 'prepare' in its file: mnist-digit or fashion-mnist for 28x28 grey images, uci-digits for the UCI digits, decode for an images dataset";
        }

        return made == shape ? null : $"the dataset '{dataset.Name}'{file} has examples of shape {shape} ({dataset.Format.ToString().ToLowerInvariant()}), but its preparation '{Checkpoints.DatasetDescriptionJson.PrepareName(dataset.Prepare)}' makes {made}";
    }

    /// <summary>
    /// The example that the image file <paramref name="content"/> (read from <paramref name="path"/>) makes: one value
    /// per entry of the dataset's shape, row-major, on the scale of its files (pixels 0-255 for idx and images, each a
    /// whole number; CSV cells: 28x28 pixels times divideBy / 255 for a [784] CSV of digits or clothes). A file that is not an image SkiaSharp decodes, is truncated, or holds no ink is a
    /// <see cref="DataFormatException"/> naming <paramref name="path"/>.
    /// </summary>
    public static float[] Prepare(byte[] content, string path, DatasetDescription dataset)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(dataset);
        if (Unsupported(dataset) is { } problem)
        {
            throw new ArgumentException(problem, nameof(dataset));
        }

        using var upright = ImageFolderReader.DecodeUpright(content, path);
        switch (dataset.Prepare)
        {
            case ImagePreparation.Decode:
                {
                    var (channels, height, width) = (dataset.Shape[0], dataset.Shape[1], dataset.Shape[2]);
                    var pixels = new byte[channels * height * width];
                    ImageFolderReader.WriteChannels(upright, path, channels, height, width, pixels);
                    return Array.ConvertAll(pixels, p => (float)p);
                }

            case ImagePreparation.MnistDigit:
                return OnScale(DigitPreparations.Mnist(Ink.Extract(GreyImage.FromBitmap(upright), path)), dataset);

            case ImagePreparation.FashionMnist:
                return OnScale(FashionPreparation.Prepare(upright, path), dataset);

            default:
                {
                    // Counts of 0-16 on the dataset's scale: count / 16 is the model's input before standardizing, as
                    // for digits-csv (the counts, divideBy 16) and digits-images (round(count * 255 / 16), divideBy 255).
                    var counts = DigitPreparations.Uci(Ink.Extract(GreyImage.FromBitmap(upright), path));
                    var scale = dataset.InputDivisor / (DigitPreparations.UciBlock * DigitPreparations.UciBlock);
                    return Array.ConvertAll(counts, c => dataset.Format == DatasetFormat.Csv
                        ? (float)(c * scale)
                        : (float)Math.Clamp(Math.Round(c * scale, MidpointRounding.AwayFromZero), 0, 255));
                }
        }
    }

    /// <summary>
    /// A 28x28 image's pixels (0-255) on the dataset's scale: as they are for idx and images, whose files hold bytes;
    /// for a CSV of shape [784] (Kaggle's MNIST form) a pixel p is the cell p x <c>divideBy</c> / 255, so that the
    /// model's input after dividing is p / 255, as for the idx files (a CSV of 0-255 with <c>divideBy: 255</c> keeps p).
    /// </summary>
    private static float[] OnScale(GreyImage image, DatasetDescription dataset)
    {
        if (dataset.Format != DatasetFormat.Csv)
        {
            return Array.ConvertAll(image.Pixels, p => (float)p);
        }

        var scale = dataset.InputDivisor / 255;
        return Array.ConvertAll(image.Pixels, p => (float)(p * scale));
    }

    /// <summary>The shape as messages show it.</summary>
    internal static string ShapeText(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + "]";
}
