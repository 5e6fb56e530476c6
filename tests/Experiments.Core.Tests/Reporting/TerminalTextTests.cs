using Experiments.Reporting;

namespace Experiments.Core.Tests.Reporting;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("plain text, ünïcödé ✓", "plain text, ünïcödé ✓")]
    [InlineData("\u001b]0;PWNED\u0007\u001b[2J", @"\u001b]0;PWNED\u0007\u001b[2J")]
    [InlineData("a\tb\u0000c\u007fd\u009be", @"a\u0009b\u0000c\u007fd\u009be")]
    [InlineData("line one\nline two\r\nline three", "line one\nline two\r\nline three")]
    [InlineData("overwrite\rspoof", @"overwrite\u000dspoof")]
    [InlineData("ends in\r", @"ends in\u000d")]
    [InlineData("", "")]
    public void Escape_writes_control_characters_visibly_and_keeps_line_ends_and_the_rest(string text, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(text));

    [Fact]
    public void Format_escapes_interpolated_values_and_formats_numbers_invariantly()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            var text = string.Format(TerminalText.Format, "{0} at {1:F2}", "x\u001b[2J", 1.5);
            Assert.Equal(@"x\u001b[2J at 1.50", text);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Shorten_keeps_a_short_text_and_names_the_length_of_a_long_one()
    {
        Assert.Equal(new string('x', 80), TerminalText.Shorten(new string('x', 80)));
        Assert.Equal(new string('x', 80) + "… (100,000 characters)", TerminalText.Shorten(new string('x', 100_000)));
        var emoji = new string('x', 79) + "😀" + "tail"; // the 80th character is half of the emoji
        Assert.Equal(new string('x', 79) + "… (85 characters)", TerminalText.Shorten(emoji));
    }
}
