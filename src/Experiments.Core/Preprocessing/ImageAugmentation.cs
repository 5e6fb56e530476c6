using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Preprocessing;

/// <summary>Extra training images made by fixed transforms of the training images.</summary>
public static class ImageAugmentation
{
    /// <summary>
    /// The images followed by four copies of them shifted by one pixel: up, down, left, right (the vacated row or
    /// column is 0, background). Labels are repeated to match. Input uint8 [n, rows, columns] and int64 [n]; output
    /// [5n, rows, columns] and [5n].
    /// </summary>
    public static (Tensor Images, Tensor Labels) WithOnePixelShifts(Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        var (rows, columns) = (images.shape[1], images.shape[2]);
        using var scope = NewDisposeScope();
        var up = nn.functional.pad(images, [0, 0, 0, 1]).narrow(1, 1, rows);
        var down = nn.functional.pad(images, [0, 0, 1, 0]).narrow(1, 0, rows);
        var left = nn.functional.pad(images, [0, 1, 0, 0]).narrow(2, 1, columns);
        var right = nn.functional.pad(images, [1, 0, 0, 0]).narrow(2, 0, columns);
        var allImages = cat([images, up, down, left, right], 0);
        var allLabels = cat([labels, labels, labels, labels, labels], 0);
        return (allImages.MoveToOuterDisposeScope(), allLabels.MoveToOuterDisposeScope());
    }
}
