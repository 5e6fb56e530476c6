using System;
using System.Collections.Generic;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;

namespace Experiments.Generators.Modules;

/// <summary>
/// The pipeline step after the YAML is resolved: binds every experiment whose model is the user's own module to
/// that class's constructor, as the compilation declares it. An experiment whose module does not bind is dropped,
/// with its diagnostics; every other experiment passes through unchanged.
/// </summary>
internal static class ModuleBinding
{
    /// <summary>The class names the experiments' models name, sorted: what the module catalog is narrowed to.</summary>
    public static EquatableArray<string> ReferencedNames(ExperimentSet set) => set.Experiments
        .Select(e => e.Model)
        .OfType<ModuleModelSpec>()
        .Select(m => m.ClassName)
        .Distinct(StringComparer.Ordinal)
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToEquatableArray();

    /// <summary>
    /// <paramref name="set"/> with each module model bound (its configuration hash then covers the bound call). The
    /// result's <see cref="ExperimentSet.Diagnostics"/> are the binding's only: the set's own are reported by its step.
    /// </summary>
    public static ExperimentSet Bind(ExperimentSet set, ModuleCatalog catalog)
    {
        if (!set.Experiments.Any(e => e.Model is ModuleModelSpec))
        {
            return set with { Diagnostics = EquatableArray<DiagnosticInfo>.Empty };
        }

        var diagnostics = new List<DiagnosticInfo>();
        var seen = new HashSet<DiagnosticInfo>();
        var bound = new Dictionary<ExperimentSpec, ExperimentSpec?>();
        ExperimentSpec? BindOne(ExperimentSpec spec)
        {
            if (spec.Model is not ModuleModelSpec module)
            {
                return spec;
            }

            if (bound.TryGetValue(spec, out var known))
            {
                return known;
            }

            var found = new List<DiagnosticInfo>();
            var result = ModuleBinder.Bind(module.Model, catalog, found);
            foreach (var diagnostic in found.Where(seen.Add))
            {
                diagnostics.Add(diagnostic);
            }

            ExperimentSpec? boundSpec = null;
            if (result is not null)
            {
                var model = module with { Bound = result };
                boundSpec = spec with
                {
                    Model = model,
                    ConfigurationSha256 = ConfigurationHash.OfConfiguration(spec.Values, model.Canonical),
                };
            }

            bound[spec] = boundSpec;
            return boundSpec;
        }

        var experiments = set.Experiments.Select(BindOne).OfType<ExperimentSpec>().ToEquatableArray();
        var files = set.Files
            .Select(f =>
            {
                var kept = f.Experiments.Select(BindOne).OfType<ExperimentSpec>().ToEquatableArray();

                // A sweep whose members did not all bind shares with fewer; one with none left emits nothing.
                var sweep = f.Sweep is null || kept.Count == 0 ? null : f.Sweep with { Members = kept.Count };
                return f with { Experiments = kept, Sweep = sweep };
            })
            .ToEquatableArray();
        return new ExperimentSet(experiments, diagnostics.ToEquatableArray()) { Files = files };
    }
}
