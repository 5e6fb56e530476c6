using Experiments.Data;

namespace Experiments.Prediction;

/// <summary>The ways the digit datasets made their examples from scanned digits, applied to a new image's <see cref="Ink"/>.</summary>
internal static class DigitPreparations
{
    /// <summary>MNIST's digits are 28x28 with the digit in a 20x20 box inside.</summary>
    public const int MnistSize = 28;
    public const int MnistBox = 20;

    /// <summary>The UCI digits were 32x32 bitmaps, counted in 4x4 blocks to 8x8 values of 0-16.</summary>
    public const int UciBitmap = 32;
    public const int UciBlock = 4;

    /// <summary>
    /// As MNIST was made (LeCun, Cortes and Burges): the ink cropped to its bounding box, scaled to fit 20x20 keeping
    /// the aspect ratio (anti-aliased, so its edges are grey, <see cref="Ink.ScaledFringe"/>), then placed in 28x28 with its centre of mass at pixel
    /// (14, 14) (MNIST's own digits average 14.0, 14.0 in pixel-index coordinates). The shift is a whole number of
    /// pixels: every pixel is kept as scaled, none resampled twice. 784 bytes, row-major, ink high.
    /// </summary>
    public static GreyImage Mnist(GreyImage ink)
    {
        var cropped = ink.Crop(Bounds(ink));
        var (width, height) = cropped.FitInto(MnistBox);

        // Shrinking a large image averages thin strokes down: the strongest ink is full again, as in MNIST (every one
        // of its test digits peaks at 250 or more); the grey edge the scaling made stays, but for its faintest fringe.
        var digit = Ink.Stretch(cropped.Scale(width, height), faint: Ink.ScaledFringe);
        var (x, y) = digit.CentreOfMass();
        double centre = MnistSize / 2;
        return digit.PlaceOn(MnistSize, MnistSize, (int)Math.Round(centre - x, MidpointRounding.AwayFromZero), (int)Math.Round(centre - y, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// As the UCI optical digits were made (Alpaydin and Kaynak, from NIST's normalized bitmaps): the ink cropped to
    /// its bounding box, scaled to fit 32x32 keeping the aspect ratio and centred, made a bitmap (on where at least
    /// half-strength), then the on-pixels counted in each 4x4 block: 64 counts of 0-16, row-major.
    /// </summary>
    public static int[] Uci(GreyImage ink)
    {
        var cropped = ink.Crop(Bounds(ink));
        var (width, height) = cropped.FitInto(UciBitmap);
        var bitmap = Ink.Stretch(cropped.Scale(width, height)).PlaceOn(UciBitmap, UciBitmap, (UciBitmap - width) / 2, (UciBitmap - height) / 2);
        int blocks = UciBitmap / UciBlock;
        var counts = new int[blocks * blocks];
        for (int y = 0; y < UciBitmap; y++)
        {
            for (int x = 0; x < UciBitmap; x++)
            {
                if (bitmap[x, y] >= 128)
                {
                    counts[((y / UciBlock) * blocks) + (x / UciBlock)]++;
                }
            }
        }

        return counts;
    }

    // Ink.Extract has found ink, so there is a bounding box.
    private static SkiaSharp.SKRectI Bounds(GreyImage ink) =>
        ink.Bounds(0) ?? throw new DataException("the ink has no pixel above 0");
}
