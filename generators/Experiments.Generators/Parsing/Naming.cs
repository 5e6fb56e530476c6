using System.Globalization;
using System.Text;

namespace Experiments.Generators.Parsing;

/// <summary>Turns experiment names (file names) into C# identifiers.</summary>
internal static class Naming
{
    /// <summary>
    /// Whether <paramref name="name"/> (a file name without its extension) can be typed as an experiment's name on a
    /// command line as one plain word and reach the compiler intact: it must not start with '-' (it would read as an
    /// option) and may hold only letters and digits (of any script, with their combining marks) and <c>. _ - + = , @</c>:
    /// no whitespace, control character, quote, backslash, shell metacharacter, glob or '%' (MSBuild unescapes
    /// <c>%3B</c>). Experiments.Generators.targets applies the same rule before the compiler sees the file (a line break
    /// or '"' in a path breaks the compiler's command line).
    /// </summary>
    public static bool IsCommandLineSafe(string name)
    {
        if (name.StartsWith("-", System.StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (IsUnsafe(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A name that <see cref="IsCommandLineSafe"/> accepts, close to <paramref name="name"/>: each run of unsafe
    /// characters becomes '-', and '-' is trimmed from both ends (<c>-dash</c> → <c>dash</c>, <c>my run</c> →
    /// <c>my-run</c>); <c>experiment</c> when nothing remains.
    /// </summary>
    public static string SuggestCommandLineSafe(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (!IsUnsafe(c))
            {
                builder.Append(c);
            }
            else if (builder.Length == 0 || builder[builder.Length - 1] != '-')
            {
                builder.Append('-');
            }
        }

        var suggestion = builder.ToString().Trim('-');
        return suggestion.Length == 0 ? "experiment" : suggestion;
    }

    /// <summary>A file name as a message can show it on one line: control characters and line separators as '?'.</summary>
    public static string Printable(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? '?' : c);
        }

        return builder.ToString();
    }

    private static bool IsUnsafe(char c) =>
        !(char.IsLetter(c) || char.IsDigit(c) || IsMark(c) || c is '.' or '_' or '-' or '+' or '=' or ',' or '@');

    private static bool IsMark(char c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>
    /// PascalCase from the letters and digits of <paramref name="name"/>; every other character separates words
    /// (<c>seed-recipe</c> → <c>SeedRecipe</c>). Generated type names always add a suffix (Model, Experiment,
    /// Hyperparameters), so the prefix can never be a C# keyword. Returns null when nothing usable remains.
    /// </summary>
    public static string? ToTypePrefix(string name)
    {
        var builder = new StringBuilder(name.Length);
        var startOfWord = true;
        foreach (var c in name)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9'))
            {
                builder.Append(startOfWord ? char.ToUpperInvariant(c) : c);
                startOfWord = false;
            }
            else
            {
                startOfWord = true;
            }
        }

        if (builder.Length == 0)
        {
            return null;
        }

        if (builder[0] is >= '0' and <= '9')
        {
            builder.Insert(0, "Experiment");
        }

        return builder.ToString();
    }

    /// <summary>
    /// The part a swept value adds to a type name: the key in PascalCase and the value with '.' as 'p' and '-' as
    /// 'm' (<c>learningRate</c>, <c>0.01</c> → <c>LearningRate0p01</c>; <c>1E-05</c> → <c>1Em05</c>), or a word in
    /// PascalCase (<c>optimizer</c>, <c>momentum</c> → <c>OptimizerMomentum</c>).
    /// </summary>
    public static string ToSweepPart(string key, string value)
    {
        var builder = new StringBuilder(ToTypePrefix(key));
        if (value.Length > 0 && char.IsLetter(value[0]))
        {
            // A word (a choice, true/false): PascalCase, as enum members are written.
            return builder.Append(ToTypePrefix(value)).ToString();
        }

        foreach (var c in value)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append(c switch
                {
                    '.' => "p",
                    '-' => "m",
                    _ => string.Empty,
                });
            }
        }

        return builder.ToString();
    }
}
