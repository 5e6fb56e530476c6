using Experiments.Core.Tests.Training;
using Experiments.Preprocessing;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Preprocessing;

public sealed class DeskewTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    /// <summary>A 28x28 image with a slanted bar: one column further right every second row (slope 0.5).</summary>
    private static Tensor SlantedBar()
    {
        var pixels = new byte[28 * 28];
        for (var row = 4; row < 24; row++)
        {
            var column = 9 + (row / 2);
            pixels[(row * 28) + column] = 255;
            pixels[(row * 28) + column + 1] = 255;
        }

        return tensor(pixels, [1, 28, 28]);
    }

    private static double Slope(Tensor images)
    {
        using var scope = NewDisposeScope();
        var (_, _, variance, covariance) = Deskew.Moments(images.to_type(ScalarType.Float32));
        return (covariance / variance).mean().item<float>();
    }

    [Fact]
    public void A_slanted_bar_stands_upright_and_moves_to_the_centre()
    {
        using var scope = NewDisposeScope();
        var bar = SlantedBar();
        Assert.InRange(Slope(bar), 0.45, 0.55);

        var deskewed = Deskew.Apply(bar);

        Assert.Equal(ScalarType.Byte, deskewed.dtype);
        Assert.Equal(bar.shape, deskewed.shape);
        Assert.InRange(Math.Abs(Slope(deskewed)), 0, 0.05);
        var (row, column, _, _) = Deskew.Moments(deskewed.to_type(ScalarType.Float32));
        Assert.InRange(row.item<float>(), 13.5, 14.5);
        Assert.InRange(column.item<float>(), 13.5, 14.5);
        // The ink is moved, not lost: bilinear resampling keeps most of the mass.
        var before = bar.to_type(ScalarType.Float32).sum().item<float>();
        var after = deskewed.to_type(ScalarType.Float32).sum().item<float>();
        Assert.InRange(after / before, 0.9, 1.1);
    }

    [Fact]
    public void A_blank_image_stays_blank_and_an_upright_centred_one_barely_changes()
    {
        using var scope = NewDisposeScope();
        var pixels = new byte[2 * 28 * 28];
        for (var row = 6; row < 22; row++)
        {
            // Image 1: a vertical bar over columns 13 and 14, centre of mass at (13.5, 13.5).
            pixels[(28 * 28) + (row * 28) + 13] = 200;
            pixels[(28 * 28) + (row * 28) + 14] = 200;
        }

        var images = tensor(pixels, [2, 28, 28]);
        var deskewed = Deskew.Apply(images);

        Assert.Equal(0, deskewed[0].to_type(ScalarType.Int64).sum().item<long>());
        var difference = (deskewed[1].to_type(ScalarType.Float32) - images[1].to_type(ScalarType.Float32)).abs().sum().item<float>();
        var mass = images[1].to_type(ScalarType.Float32).sum().item<float>();
        // Only the half-pixel move of the centre of mass from 13.5 to 14 blurs it.
        Assert.InRange(difference / mass, 0, 1.05);
        Assert.InRange(Math.Abs(Slope(deskewed.narrow(0, 1, 1))), 0, 0.01);
    }

    [Fact]
    public void Mnist_digits_lose_their_slant()
    {
        using var scope = NewDisposeScope();
        var images = mnist.Subset.Test.Inputs.squeeze(1).narrow(0, 0, 500);
        using var deskewed = Deskew.Apply(images);
        var before = Deskew.Moments(images.to_type(ScalarType.Float32));
        var after = Deskew.Moments(deskewed.to_type(ScalarType.Float32));
        var slantBefore = (before.Covariance / before.RowVariance).abs().mean().item<float>();
        var slantAfter = (after.Covariance / after.RowVariance).abs().mean().item<float>();
        Assert.InRange(slantBefore, 0.1, 1);
        Assert.True(slantAfter < slantBefore / 4, $"mean |slope| {slantBefore} -> {slantAfter}");
    }

    [Fact]
    public void Anything_but_uint8_images_is_refused()
    {
        using var floats = zeros(1, 28, 28);
        Assert.Throws<ArgumentException>(() => Deskew.Apply(floats));
    }
}
