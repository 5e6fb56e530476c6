using SkiaSharp;

namespace Experiments.Tests;

/// <summary>How one test digit is drawn: its size and place on the canvas, the pen, the slant and the colours.</summary>
/// <param name="Canvas">The image's width and height in pixels.</param>
/// <param name="Height">The digit's height as a fraction of the canvas.</param>
/// <param name="Left">Where the digit's box starts, as a fraction of the canvas (its top is centred vertically, then shifted by <paramref name="Down"/>).</param>
/// <param name="Down">A vertical shift, as a fraction of the canvas.</param>
/// <param name="Pen">The stroke's width as a fraction of the digit's height.</param>
/// <param name="Slant">A rotation in degrees, clockwise.</param>
/// <param name="Dark">Light ink on a dark background (else dark ink on paper).</param>
internal sealed record DigitStyle(int Canvas, double Height, double Left, double Down, double Pen, float Slant, bool Dark);

/// <summary>
/// Draws handwriting-like digits as stroked paths with SkiaSharp, so that no font is needed (the machine that runs
/// the tests may have none): each digit is a few lines and curves in a unit box, stroked with a round pen.
/// </summary>
internal static class DigitDrawing
{
    /// <summary>A PNG of <paramref name="digit"/> drawn as <paramref name="style"/> says.</summary>
    public static byte[] Png(int digit, DigitStyle style)
    {
        using var surface = SKSurface.Create(new SKImageInfo(style.Canvas, style.Canvas, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        var (paper, ink) = style.Dark ? (new SKColor(20, 24, 30), new SKColor(235, 235, 225)) : (new SKColor(250, 248, 240), new SKColor(25, 30, 60));
        canvas.Clear(paper);
        float size = (float)(style.Canvas * style.Height);
        float top = (float)((style.Canvas - size) / 2 + (style.Down * style.Canvas));
        float left = (float)(style.Left * style.Canvas);
        canvas.Translate(left, top);
        canvas.RotateDegrees(style.Slant, size / 2, size / 2);
        canvas.Scale(size);
        using var pen = new SKPaint
        {
            Color = ink,
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = (float)style.Pen,
            StrokeCap = SKStrokeCap.Round,
            StrokeJoin = SKStrokeJoin.Round,
        };
        using var path = Path(digit);
        canvas.DrawPath(path, pen);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The strokes of <paramref name="digit"/> in a unit box (x to the right, y down; about 0.6 wide).</summary>
    public static SKPath Path(int digit)
    {
        var path = new SKPath();
        switch (digit)
        {
            case 0:
                path.AddOval(new SKRect(0.24f, 0.04f, 0.76f, 0.96f));
                break;
            case 1:
                path.MoveTo(0.36f, 0.2f);
                path.LineTo(0.54f, 0.04f);
                path.LineTo(0.5f, 0.96f);
                break;
            case 2:
                path.MoveTo(0.24f, 0.24f);
                path.CubicTo(0.3f, 0f, 0.76f, 0f, 0.72f, 0.3f);
                path.CubicTo(0.68f, 0.52f, 0.4f, 0.72f, 0.22f, 0.95f);
                path.LineTo(0.8f, 0.95f);
                break;
            case 3:
                path.MoveTo(0.24f, 0.12f);
                path.CubicTo(0.5f, -0.04f, 0.84f, 0.1f, 0.7f, 0.3f);
                path.CubicTo(0.62f, 0.44f, 0.48f, 0.47f, 0.42f, 0.48f);
                path.CubicTo(0.9f, 0.48f, 0.86f, 0.96f, 0.5f, 0.96f);
                path.CubicTo(0.36f, 0.96f, 0.26f, 0.9f, 0.22f, 0.84f);
                break;
            case 4:
                path.MoveTo(0.64f, 0.96f);
                path.LineTo(0.64f, 0.04f);
                path.LineTo(0.2f, 0.66f);
                path.LineTo(0.82f, 0.66f);
                break;
            case 5:
                path.MoveTo(0.76f, 0.05f);
                path.LineTo(0.32f, 0.05f);
                path.LineTo(0.28f, 0.45f);
                path.CubicTo(0.5f, 0.34f, 0.86f, 0.44f, 0.78f, 0.7f);
                path.CubicTo(0.72f, 0.96f, 0.4f, 1f, 0.22f, 0.86f);
                break;
            case 6:
                path.MoveTo(0.7f, 0.06f);
                path.CubicTo(0.42f, 0.08f, 0.24f, 0.4f, 0.25f, 0.7f);
                path.AddOval(new SKRect(0.25f, 0.46f, 0.75f, 0.96f));
                break;
            case 7:
                path.MoveTo(0.2f, 0.06f);
                path.LineTo(0.8f, 0.06f);
                path.LineTo(0.42f, 0.96f);
                break;
            case 8:
                path.AddOval(new SKRect(0.3f, 0.04f, 0.7f, 0.48f));
                path.AddOval(new SKRect(0.25f, 0.48f, 0.75f, 0.96f));
                break;
            case 9:
                path.AddOval(new SKRect(0.25f, 0.04f, 0.75f, 0.5f));
                path.MoveTo(0.75f, 0.27f);
                path.CubicTo(0.76f, 0.5f, 0.72f, 0.75f, 0.68f, 0.96f);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(digit), digit, "a digit is 0 to 9");
        }

        return path;
    }

    /// <summary>
    /// The styles every digit is drawn in: small and large canvases, the digit small or filling it, off-centre, thin
    /// and thick pens, slanted either way, half on paper and half on a dark background.
    /// </summary>
    public static IReadOnlyList<DigitStyle> Styles { get; } =
    [
        new(28, 0.7, 0.15, 0, 0.12, 0, Dark: true),
        new(64, 0.6, 0.2, 0.05, 0.1, -6, Dark: false),
        new(200, 0.8, 0.1, 0, 0.08, 5, Dark: false),
        new(120, 0.4, 0.45, -0.2, 0.14, 0, Dark: true),
        new(300, 0.5, 0.05, 0.15, 0.06, 8, Dark: false),
        new(48, 0.9, 0.05, 0, 0.1, -4, Dark: true),
    ];
}
