using System.Globalization;
using System.Text;

namespace Experiments.Reporting;

/// <summary>
/// Text from files (YAML descriptions, paths, error messages, results recorded from them) made safe for a
/// terminal. A description holding <c>ESC ] 0 ; … BEL</c> would otherwise retitle the terminal, and <c>ESC [ 2 J</c>
/// clear it. Only what goes to the console passes through here: CSV, JSON, Markdown and HTML files keep the exact
/// text (JSON and HTML escape it their own way).
/// </summary>
public static class TerminalText
{
    /// <summary>How many characters of a long argument an echo keeps (<see cref="Shorten"/>).</summary>
    public const int ShortLength = 80;

    /// <summary>
    /// Formats interpolated values invariantly and escapes them (<see cref="Escape"/>), for
    /// <c>console.MarkupLineInterpolated(TerminalText.Format, $"…")</c>.
    /// </summary>
    public static IFormatProvider Format { get; } = new EscapingFormatter();

    /// <summary>
    /// <paramref name="text"/> with every control character (C0, DEL and C1) written as a visible C#/JSON-style
    /// escape, <c>\u001b</c>, except line ends (<c>\n</c>, and <c>\r</c> before it), which tables and exports lay out
    /// as lines. The rest, and every other character, is kept: the text stays readable and the escape shows what was
    /// there.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var first = FirstToEscape(text, 0);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            if (MustEscape(text, i))
            {
                builder.Append("\\u").Append(((int)text[i]).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(text[i]);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> when it has at most <see cref="ShortLength"/> characters, else its start and its length,
    /// <c>xxxx… (100000 characters)</c>: an error about a 100 KB argument names it without printing it.
    /// </summary>
    public static string Shorten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= ShortLength)
        {
            return text;
        }

        var keep = char.IsHighSurrogate(text[ShortLength - 1]) ? ShortLength - 1 : ShortLength; // never half a character
        return string.Create(CultureInfo.InvariantCulture, $"{text.AsSpan(0, keep)}… ({text.Length:N0} characters)");
    }

    private static int FirstToEscape(string text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (MustEscape(text, i))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool MustEscape(string text, int index) => text[index] switch
    {
        '\n' => false,
        '\r' => index + 1 >= text.Length || text[index + 1] != '\n',
        var c => char.IsControl(c), // U+0000-U+001F, U+007F-U+009F
    };

    private sealed class EscapingFormatter : IFormatProvider, ICustomFormatter
    {
        public object? GetFormat(Type? formatType) => formatType == typeof(ICustomFormatter) ? this : CultureInfo.InvariantCulture.GetFormat(formatType);

        public string Format(string? format, object? arg, IFormatProvider? formatProvider) => Escape(arg switch
        {
            null => "",
            IFormattable formattable => formattable.ToString(format, CultureInfo.InvariantCulture),
            _ => arg.ToString(),
        });
    }
}
