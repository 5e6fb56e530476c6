using Experiments.Data;

namespace Experiments.Prediction;

/// <summary>
/// A photo or drawing of a character as ink on black, as the digit datasets hold their images: the background is the
/// median of the image's outermost pixels; when it is light (dark ink on paper) the image is inverted; the
/// background's level becomes 0 and the strongest ink 255, and faint values (paper texture, shadows, JPEG noise) 0.
/// </summary>
internal static class Ink
{
    /// <summary>Stretched values of the image as given at or below this (an eighth of the range) are paper, not ink.</summary>
    public const byte Faint = 32;

    /// <summary>
    /// Once the ink is scaled to the dataset's size, values at or below this (a sixteenth of the range) are dropped.
    /// Scaling makes a grey anti-aliased edge, which MNIST keeps (11.4% of the non-zero pixels of its first 300 test
    /// digits are 32 or less): dropping up to <see cref="Faint"/> removed all of it. 16 keeps MNIST's share and count
    /// of ink pixels from both a sharp and a blurred photo of its own digits (300 test digits drawn 5x larger as black
    /// ink on paper, blocky: 13.2% faint, 146 ink pixels per digit; smooth: 9.0%, 152; MNIST 11.4%, 140; keeping
    /// every value gave 22-25% and 162-184), and the shipped cnn reads the tests' drawn digits at least as well (60 of 60).
    /// </summary>
    public const byte ScaledFringe = 16;

    /// <summary>The least difference between the background and the strongest ink that is taken for ink.</summary>
    public const int MinimumContrast = 48;

    /// <summary>Whether the background (<see cref="GreyImage.BorderMedian"/>) is light, so the image is inverted.</summary>
    public static bool IsLight(byte background) => background >= 128;

    /// <summary>The ink of <paramref name="grey"/>; an image with none (one flat shade) is a <see cref="DataFormatException"/> naming <paramref name="path"/>.</summary>
    public static GreyImage Extract(GreyImage grey, string path)
    {
        ArgumentNullException.ThrowIfNull(grey);
        int background = grey.BorderMedian();
        bool light = IsLight((byte)background);
        var ink = new int[grey.Pixels.Length];
        int peak = 0;
        for (int i = 0; i < ink.Length; i++)
        {
            ink[i] = Math.Max(0, light ? background - grey.Pixels[i] : grey.Pixels[i] - background);
            peak = Math.Max(peak, ink[i]);
        }

        if (peak < MinimumContrast)
        {
            throw new DataFormatException(path, $"no ink found: nothing in the image stands out from its {(light ? "light" : "dark")} background (a blank or nearly uniform image)");
        }

        return Stretch(new GreyImage(grey.Width, grey.Height, ink.Select(v => (byte)Math.Min(255, v)).ToArray()), peak);
    }

    /// <summary>The image with its values scaled so that <paramref name="peak"/> (default: the largest) becomes 255, and values at or below <paramref name="faint"/> then 0.</summary>
    public static GreyImage Stretch(GreyImage image, int peak = 0, byte faint = Faint)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (peak <= 0)
        {
            peak = image.Pixels.Max();
        }

        if (peak == 0)
        {
            return image;
        }

        var pixels = new byte[image.Pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            var value = Math.Min(255, (int)Math.Round(image.Pixels[i] * 255.0 / peak, MidpointRounding.AwayFromZero));
            pixels[i] = value <= faint ? (byte)0 : (byte)value;
        }

        return new GreyImage(image.Width, image.Height, pixels);
    }
}
