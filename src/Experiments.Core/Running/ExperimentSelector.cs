using System.Text.RegularExpressions;
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
                var names = catalog.Select(e => e.Name).ToList();
                var closest = EditDistance.Closest(pattern, names);
                var known = names.Count == 0 ? "there are no experiments" : "known experiments: " + string.Join(", ", names);
                var hint = closest is null ? known : $"did you mean '{closest}'? {char.ToUpperInvariant(known[0])}{known[1..]}";
                throw new ArgumentException($"No experiment matches '{pattern}'; {hint}");
            }

            selected.UnionWith(matches);
        }

        return catalog.Where(selected.Contains).ToList();
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
