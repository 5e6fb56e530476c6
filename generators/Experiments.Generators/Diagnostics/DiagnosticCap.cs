using System.Collections.Generic;
using System.Globalization;

namespace Experiments.Generators.Diagnostics;

/// <summary>
/// Keeps a broken file from flooding the build: at most <see cref="PerFileAndId"/> diagnostics of one id per file,
/// then one EXP0019 that says how many more there are, at the first one left out.
/// </summary>
internal static class DiagnosticCap
{
    /// <summary>The most diagnostics of one id reported for one file.</summary>
    public const int PerFileAndId = 20;

    /// <summary><paramref name="diagnostics"/> in their order, each file's and id's beyond the cap replaced by one summary.</summary>
    public static List<DiagnosticInfo> Apply(IReadOnlyList<DiagnosticInfo> diagnostics)
    {
        var counts = new Dictionary<(string File, string Id), int>();
        foreach (var diagnostic in diagnostics)
        {
            var key = (diagnostic.Location.FilePath, diagnostic.Id);
            counts[key] = counts.TryGetValue(key, out var count) ? count + 1 : 1;
        }

        var kept = new List<DiagnosticInfo>(diagnostics.Count);
        var seen = new Dictionary<(string File, string Id), int>();
        foreach (var diagnostic in diagnostics)
        {
            var key = (diagnostic.Location.FilePath, diagnostic.Id);
            var index = seen.TryGetValue(key, out var before) ? before + 1 : 1;
            seen[key] = index;
            if (index <= PerFileAndId)
            {
                kept.Add(diagnostic);
            }
            else if (index == PerFileAndId + 1)
            {
                kept.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TooManyDiagnostics,
                    diagnostic.Location,
                    (counts[key] - PerFileAndId).ToString(CultureInfo.InvariantCulture),
                    diagnostic.Id,
                    PerFileAndId.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return kept;
    }
}
