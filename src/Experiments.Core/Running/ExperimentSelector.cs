using System.Globalization;
using System.Text.RegularExpressions;
using Experiments.Reporting;
using Experiments.Spelling;

namespace Experiments.Running;

/// <summary>
/// Picks experiments by name or glob (<c>*</c> any run of characters, <c>?</c> one character); the name of a
/// sweep picks all of its members.
/// </summary>
public static class ExperimentSelector
{
    /// <summary>
    /// The experiments matching any of <paramref name="patterns"/>, in catalog order, each once.
    /// Throws <see cref="ArgumentException"/> naming a pattern that matches nothing, with the closest name.
    /// </summary>
    public static IReadOnlyList<IExperiment> Select(IReadOnlyList<IExperiment> catalog, IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(patterns);
        var selected = new HashSet<IExperiment>(ReferenceEqualityComparer.Instance);
        foreach (var pattern in patterns)
        {
            var regex = ToRegex(pattern);
            var matches = catalog.Where(e => regex.IsMatch(e.Name) || (e.Sweep is { } sweep && regex.IsMatch(sweep))).ToList();
            if (matches.Count == 0)
            {
                throw new ArgumentException(NoMatch(pattern, catalog.Select(e => e.Name).ToList()));
            }

            selected.UnionWith(matches);
        }

        return catalog.Where(selected.Contains).ToList();
    }

    /// <summary>
    /// The error for a pattern that matches nothing: the pattern (shortened when long: it is echoed once), the closest
    /// name when it looks like a typo, and the known names; a long catalog (a large sweep has thousands) is cut to the
    /// <see cref="ListedNames"/> closest, with how many more there are.
    /// </summary>
    private static string NoMatch(string pattern, IReadOnlyList<string> names)
    {
        var message = $"No experiment matches '{TerminalText.Shorten(pattern)}'; ";
        if (names.Count == 0)
        {
            return message + "there are no experiments";
        }

        var closest = EditDistance.Closest(pattern, names);
        var known = names.Count <= ListedNames
            ? "known experiments: " + string.Join(", ", names)
            : string.Create(CultureInfo.InvariantCulture, $"the closest of the {names.Count:N0} experiments: {string.Join(", ", Closest(pattern, names))}, and {names.Count - ListedNames:N0} more; see 'list'");
        return closest is null ? message + known : $"{message}did you mean '{closest}'? {char.ToUpperInvariant(known[0])}{known[1..]}";
    }

    /// <summary>How many names an error lists at most.</summary>
    internal const int ListedNames = 10;

    /// <summary>The <see cref="ListedNames"/> names closest to <paramref name="pattern"/> (case-insensitive edit distance), ties in catalog order.</summary>
    private static IEnumerable<string> Closest(string pattern, IReadOnlyList<string> names)
    {
        var lower = pattern.ToLowerInvariant();
        return names.Select((name, index) => (name, index, distance: EditDistance.Distance(lower, name.ToLowerInvariant())))
            .OrderBy(n => n.distance).ThenBy(n => n.index).Take(ListedNames).Select(n => n.name);
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
