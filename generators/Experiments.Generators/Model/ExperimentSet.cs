using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Parsing;

namespace Experiments.Generators.Model;

/// <summary>
/// The valid experiments of a project, ordered by name, after removing names that two files produce (C# types
/// would collide); each such clash is reported on every file involved.
/// </summary>
internal sealed record ExperimentSet(EquatableArray<ExperimentSpec> Experiments, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public static ExperimentSet Create(ImmutableArray<ParsedExperiment> parsed)
    {
        var valid = parsed.Where(p => p.Spec is not null).OrderBy(p => p.Spec!.Name, StringComparer.Ordinal).ThenBy(p => p.FilePath, StringComparer.Ordinal).ToList();
        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        var clashing = new HashSet<ParsedExperiment>();
        foreach (var group in valid.GroupBy(p => p.Spec!.TypePrefix, StringComparer.OrdinalIgnoreCase))
        {
            var members = group.ToList();
            if (members.Count < 2)
            {
                continue;
            }

            foreach (var member in members)
            {
                clashing.Add(member);
                var others = string.Join("', '", members.Where(m => !ReferenceEquals(m, member)).Select(m => m.Spec!.SourceFile));
                var location = new SourceLocation(member.FilePath, default, default);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateName, location, member.Spec!.Name, member.Spec.TypePrefix, others));
            }
        }

        var experiments = valid.Where(p => !clashing.Contains(p)).Select(p => p.Spec!).ToEquatableArray();
        return new ExperimentSet(experiments, new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable()));
    }
}
