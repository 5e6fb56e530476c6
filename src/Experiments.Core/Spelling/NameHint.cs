using System.Globalization;

namespace Experiments.Spelling;

/// <summary>
/// The end of an error about a name that names nothing: the closest name when it looks like a typo, then the names
/// there are. A long list (a large sweep has thousands of members) is cut to the <see cref="Listed"/> closest and how
/// many more there are, so the error stays readable.
/// </summary>
internal static class NameHint
{
    /// <summary>How many names an error lists at most.</summary>
    public const int Listed = 10;

    /// <param name="word">What was asked for.</param>
    /// <param name="names">The names there are, in their usual order (at least one).</param>
    /// <param name="label">What they are, e.g. "known experiments".</param>
    /// <param name="listCommand">The command that lists them all, or null.</param>
    public static string For(string word, IReadOnlyList<string> names, string label, string? listCommand)
    {
        var closest = EditDistance.Closest(word, names);
        var known = names.Count <= Listed
            ? $"{label}: {string.Join(", ", names)}"
            : string.Create(CultureInfo.InvariantCulture, $"the closest {Listed} of the {names.Count:N0} {label}: {string.Join(", ", Closest(word, names))}, and {names.Count - Listed:N0} more{(listCommand is null ? "" : $"; see '{listCommand}'")}");
        return closest is null ? known : $"did you mean '{closest}'? {char.ToUpperInvariant(known[0])}{known[1..]}";
    }

    /// <summary>The <see cref="Listed"/> names closest to <paramref name="word"/> (case-insensitive edit distance), ties in their order.</summary>
    private static IEnumerable<string> Closest(string word, IReadOnlyList<string> names)
    {
        var lower = word.ToLowerInvariant();
        return names.Select((name, index) => (name, index, distance: EditDistance.Distance(lower, name.ToLowerInvariant())))
            .OrderBy(n => n.distance).ThenBy(n => n.index).Take(Listed).Select(n => n.name);
    }
}
