using SkiaSharp;

namespace Experiments.Tests;

/// <summary>Test images: filled rectangles on a background, encoded as PNG (digits: <see cref="DigitDrawing"/>).</summary>
internal static class Drawings
{
    /// <summary>A <paramref name="width"/> x <paramref name="height"/> PNG of <paramref name="background"/> with <paramref name="box"/> filled with <paramref name="ink"/>.</summary>
    public static byte[] Png(int width, int height, SKColor background, SKRectI box, SKColor ink)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(background);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = ink, IsAntialias = false, Style = SKPaintStyle.Fill, BlendMode = SKBlendMode.Src })
        {
            canvas.DrawRect(box, paint);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
