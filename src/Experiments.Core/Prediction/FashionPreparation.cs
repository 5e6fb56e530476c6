using Experiments.Data;
using SkiaSharp;

namespace Experiments.Prediction;

/// <summary>
/// As Zalando made Fashion-MNIST from its product photos (Xiao, Rasul and Vollgraf, 2017: trim the edges close to
/// the corners' colour, within 5% of the largest RGB distance; resize the longest edge to 28; extend the shorter one
/// to 28, centred; negate; 8-bit grey). Two differences, both for photos that are not catalogue shots on white: the
/// image is negated only when its background is light (a product photographed on black is already light on dark), and
/// the longest edge is shrunk by averaging (SkiaSharp's mipmaps) instead of skipping rows and columns, which aliases
/// a large photo. Zalando's last sharpening step is left out.
/// </summary>
internal static class FashionPreparation
{
    public const int Size = 28;

    /// <summary>The trim's tolerance: 5% of the largest distance between two RGB colours.</summary>
    public static readonly double TrimDistance = 0.05 * Math.Sqrt(3) * 255;

    public static GreyImage Prepare(SKBitmap rgba, string path)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        var grey = GreyImage.FromBitmap(rgba);
        var (r, g, b) = CornerColour(rgba);
        var box = Trim(rgba, r, g, b) ?? throw new DataFormatException(path, "nothing to classify: the whole image is the colour of its corners (a blank image)");
        var cropped = grey.Crop(box);
        double scale = (double)Size / Math.Max(box.Width, box.Height);
        int width = Math.Clamp((int)Math.Round(box.Width * scale, MidpointRounding.AwayFromZero), 1, Size);
        int height = Math.Clamp((int)Math.Round(box.Height * scale, MidpointRounding.AwayFromZero), 1, Size);
        var background = ImageFolderReader.Luminance(r, g, b);
        var placed = cropped.Scale(width, height).PlaceOn(Size, Size, (Size - width) / 2, (Size - height) / 2, background);
        return Ink.IsLight(background) ? new GreyImage(Size, Size, placed.Pixels.Select(v => (byte)(255 - v)).ToArray()) : placed;
    }

    /// <summary>The mean colour of the four corner pixels, composited over white.</summary>
    private static (byte R, byte G, byte B) CornerColour(SKBitmap rgba)
    {
        int r = 0, g = 0, b = 0;
        foreach (var (x, y) in new[] { (0, 0), (rgba.Width - 1, 0), (0, rgba.Height - 1), (rgba.Width - 1, rgba.Height - 1) })
        {
            var (pr, pg, pb) = Pixel(rgba, x, y);
            r += pr;
            g += pg;
            b += pb;
        }

        return ((byte)((r + 2) / 4), (byte)((g + 2) / 4), (byte)((b + 2) / 4));
    }

    /// <summary>The bounding box of the pixels farther than <see cref="TrimDistance"/> from the corners' colour; null when none is.</summary>
    private static SKRectI? Trim(SKBitmap rgba, byte r, byte g, byte b)
    {
        double limit = TrimDistance * TrimDistance;
        return GreyImage.Bounds(rgba.Width, rgba.Height, (x, y) =>
        {
            var (pr, pg, pb) = Pixel(rgba, x, y);
            double dr = pr - r, dg = pg - g, db = pb - b;
            return (dr * dr) + (dg * dg) + (db * db) > limit;
        });
    }

    private static (byte R, byte G, byte B) Pixel(SKBitmap rgba, int x, int y) =>
        GreyImage.OverWhite(rgba.GetPixelSpan().Slice((y * rgba.RowBytes) + (4 * x), 4));
}
