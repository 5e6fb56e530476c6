using System.Text.RegularExpressions;

namespace Experiments.Running;

/// <summary>Picks experiments by name or glob (<c>*</c> any run of characters, <c>?</c> one character).</summary>
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
            var matches = catalog.Where(e => regex.IsMatch(e.Name)).ToList();
            if (matches.Count == 0)
            {
                var names = catalog.Select(e => e.Name).ToList();
                var closest = names.OrderBy(n => Distance(n, pattern)).FirstOrDefault();
                var hint = closest is null ? "there are no experiments" : $"did you mean '{closest}'? Known experiments: {string.Join(", ", names)}";
                throw new ArgumentException($"No experiment matches '{pattern}'; {hint}");
            }

            selected.UnionWith(matches);
        }

        return catalog.Where(selected.Contains).ToList();
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
