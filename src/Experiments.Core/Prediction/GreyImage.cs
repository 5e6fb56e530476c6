using SkiaSharp;

namespace Experiments.Prediction;

/// <summary>A one-channel 8-bit image, row-major: what the digit and clothing preparations work on.</summary>
internal sealed class GreyImage
{
    public GreyImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != width * height)
        {
            throw new ArgumentException($"{pixels.Length} pixels for a {width}x{height} image", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public byte this[int x, int y] => Pixels[(y * Width) + x];

    /// <summary>
    /// The luminance of upright RGBA pixels (unpremultiplied) as the images loader computes it, each pixel first
    /// composited over white: a transparent background is paper, as image viewers show it.
    /// </summary>
    public static GreyImage FromBitmap(SKBitmap rgba)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        var span = rgba.GetPixelSpan();
        var pixels = new byte[rgba.Width * rgba.Height];
        for (int y = 0; y < rgba.Height; y++)
        {
            var row = span.Slice(y * rgba.RowBytes, rgba.Width * 4);
            for (int x = 0; x < rgba.Width; x++)
            {
                var (r, g, b) = OverWhite(row.Slice(4 * x, 4));
                pixels[(y * rgba.Width) + x] = Data.ImageFolderReader.Luminance(r, g, b);
            }
        }

        return new GreyImage(rgba.Width, rgba.Height, pixels);
    }

    /// <summary>An unpremultiplied RGBA pixel composited over white, rounded: what an image viewer shows on paper.</summary>
    public static (byte R, byte G, byte B) OverWhite(ReadOnlySpan<byte> rgba)
    {
        int alpha = rgba[3];
        byte Over(int value) => (byte)(((value * alpha) + (255 * (255 - alpha)) + 127) / 255);
        return (Over(rgba[0]), Over(rgba[1]), Over(rgba[2]));
    }

    /// <summary>The smallest rectangle of a <paramref name="width"/> x <paramref name="height"/> image holding every pixel (x, y) that <paramref name="inside"/> accepts; null when there is none.</summary>
    public static SKRectI? Bounds(int width, int height, Func<int, int, bool> inside)
    {
        ArgumentNullException.ThrowIfNull(inside);
        int left = width, top = height, right = -1, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (inside(x, y))
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        return right < 0 ? null : new SKRectI(left, top, right + 1, bottom + 1);
    }

    /// <summary>The pixels inside <paramref name="box"/> (which lies within the image).</summary>
    public GreyImage Crop(SKRectI box)
    {
        var pixels = new byte[box.Width * box.Height];
        for (int y = 0; y < box.Height; y++)
        {
            Array.Copy(Pixels, ((box.Top + y) * Width) + box.Left, pixels, y * box.Width, box.Width);
        }

        return new GreyImage(box.Width, box.Height, pixels);
    }

    /// <summary>
    /// The image resampled to <paramref name="width"/> x <paramref name="height"/> by SkiaSharp, linear between
    /// mipmap levels: shrinking averages the pixels a target pixel covers (as MNIST's anti-aliased normalization
    /// did), so thin strokes of a large image fade rather than vanish; enlarging is bilinear.
    /// </summary>
    public GreyImage Scale(int width, int height)
    {
        if (width == Width && height == Height)
        {
            return this;
        }

        var info = new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var source = new SKBitmap(info);
        Pixels.CopyTo(source.GetPixelSpan());
        using var image = SKImage.FromBitmap(source);
        using var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        using (var pixmap = target.PeekPixels())
        {
            if (!image.ScalePixels(pixmap, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)))
            {
                throw new InvalidOperationException($"SkiaSharp could not scale a {Width}x{Height} image to {width}x{height}");
            }
        }

        var pixels = new byte[width * height];
        var span = target.GetPixelSpan();
        for (int y = 0; y < height; y++)
        {
            span.Slice(y * target.RowBytes, width).CopyTo(pixels.AsSpan(y * width, width));
        }

        return new GreyImage(width, height, pixels);
    }

    /// <summary>The median of the outermost pixels (the one-pixel frame): the background's shade.</summary>
    public byte BorderMedian()
    {
        var border = new List<byte>((2 * Width) + (2 * Height));
        for (int x = 0; x < Width; x++)
        {
            border.Add(this[x, 0]);
            border.Add(this[x, Height - 1]);
        }

        for (int y = 1; y < Height - 1; y++)
        {
            border.Add(this[0, y]);
            border.Add(this[Width - 1, y]);
        }

        border.Sort();
        return border[border.Count / 2];
    }

    /// <summary>The smallest rectangle holding every pixel above <paramref name="threshold"/>; null when there is none.</summary>
    public SKRectI? Bounds(byte threshold) => Bounds(Width, Height, (x, y) => this[x, y] > threshold);

    /// <summary>The centre of mass of the pixel values, in pixel-index coordinates (the first pixel's centre is 0, 0).</summary>
    public (double X, double Y) CentreOfMass()
    {
        double sum = 0, x = 0, y = 0;
        for (int row = 0; row < Height; row++)
        {
            for (int column = 0; column < Width; column++)
            {
                double value = this[column, row];
                sum += value;
                x += column * value;
                y += row * value;
            }
        }

        return sum == 0 ? ((Width - 1) / 2.0, (Height - 1) / 2.0) : (x / sum, y / sum);
    }

    /// <summary>
    /// The size that fits <paramref name="box"/> x <paramref name="box"/> keeping the aspect ratio: the longest side
    /// <paramref name="box"/>, the other in proportion (at least 1).
    /// </summary>
    public (int Width, int Height) FitInto(int box)
    {
        double scale = (double)box / Math.Max(Width, Height);
        return (Math.Clamp((int)Math.Round(Width * scale, MidpointRounding.AwayFromZero), 1, box), Math.Clamp((int)Math.Round(Height * scale, MidpointRounding.AwayFromZero), 1, box));
    }

    /// <summary>A <paramref name="width"/> x <paramref name="height"/> image of <paramref name="fill"/> with this one drawn at (<paramref name="left"/>, <paramref name="top"/>); what falls outside is cut off.</summary>
    public GreyImage PlaceOn(int width, int height, int left, int top, byte fill = 0)
    {
        var pixels = new byte[width * height];
        Array.Fill(pixels, fill);
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int tx = left + x, ty = top + y;
                if (tx >= 0 && tx < width && ty >= 0 && ty < height)
                {
                    pixels[(ty * width) + tx] = this[x, y];
                }
            }
        }

        return new GreyImage(width, height, pixels);
    }
}
