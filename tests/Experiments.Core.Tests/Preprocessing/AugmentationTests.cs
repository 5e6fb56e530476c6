using Experiments.Preprocessing;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Preprocessing;

public sealed class AugmentationTests
{
    [Fact]
    public void One_pixel_shifts_make_five_images_per_image_with_the_pixel_moved()
    {
        using var scope = NewDisposeScope();
        var pixels = new byte[2 * 4 * 5];
        pixels[(1 * 5) + 2] = 9;            // image 0: row 1, column 2
        pixels[20 + (3 * 5) + 4] = 7;       // image 1: row 3, column 4 (bottom-right corner)
        var images = tensor(pixels, [2, 4, 5]);
        var labels = tensor(new long[] { 3, 8 });

        var (augmented, augmentedLabels) = ImageAugmentation.WithOnePixelShifts(images, labels);

        Assert.Equal([10L, 4, 5], augmented.shape);
        Assert.Equal([3L, 8, 3, 8, 3, 8, 3, 8, 3, 8], augmentedLabels.data<long>().ToArray());
        (int Row, int Column)? Where(long index)
        {
            var flat = augmented[index].reshape(-1);
            var position = flat.argmax().item<long>();
            return flat[position].item<byte>() == 0 ? null : ((int)(position / 5), (int)(position % 5));
        }

        Assert.Equal((1, 2), Where(0));  // original
        Assert.Equal((0, 2), Where(2));  // up
        Assert.Equal((2, 2), Where(4));  // down
        Assert.Equal((1, 1), Where(6));  // left
        Assert.Equal((1, 3), Where(8));  // right
        Assert.Equal((2, 4), Where(3));  // image 1 up
        Assert.Null(Where(5));           // image 1 down: shifted out of the image
        Assert.Null(Where(9));           // image 1 right: shifted out of the image
        Assert.Equal((9 * 5) + (7 * 3), augmented.to_type(ScalarType.Int64).sum().item<long>());
    }
}
