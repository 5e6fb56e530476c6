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
    /// The error for a pattern that matches nothing: the pattern (shortened when long: it is echoed once), then the
    /// closest name and the known ones (<see cref="NameHint"/>: at most the closest few of a large catalog).
    /// </summary>
    private static string NoMatch(string pattern, IReadOnlyList<string> names) =>
        $"No experiment matches '{TerminalText.Shorten(pattern)}'; " + (names.Count == 0 ? "there are no experiments" : NameHint.For(pattern, names, "known experiments", "list"));

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
