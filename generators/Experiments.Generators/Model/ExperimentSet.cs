using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Parsing;
using Experiments.Spelling;

namespace Experiments.Generators.Model;

/// <summary>
/// The experiments of a project: every file's keys after following <c>extends</c>, with sweeps expanded into one
/// experiment per combination, ordered by file name and then sweep order. Also every problem that needs more than
/// one file to see (missing bases, cycles, clashing names) or the merged keys (missing keys, sweep size, datasets).
/// </summary>
internal sealed record ExperimentSet(EquatableArray<ExperimentSpec> Experiments, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>
    /// The experiments again, grouped by the file that declares them and ordered by its path, so that the pipeline can
    /// hand each file its own: outputs then stay cached when another file is added, removed or grows a sweep.
    /// </summary>
    public EquatableArray<FileExperiments> Files { get; init; } = EquatableArray<FileExperiments>.Empty;

    /// <summary>The experiments <paramref name="filePath"/> declares (none when it has errors or is a base only).</summary>
    public EquatableArray<ExperimentSpec> ExperimentsOf(string filePath)
    {
        var files = Files.AsImmutableArray();
        int low = 0, high = files.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(files[middle].FilePath, filePath);
            if (order == 0)
            {
                return files[middle].Experiments;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return EquatableArray<ExperimentSpec>.Empty;
    }

    public static ExperimentSet Create(ImmutableArray<ExperimentDocument> documents, GeneratorSettings settings)
    {
        try
        {
            return new Resolver(documents, settings).Run();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A bug here must surface as a diagnostic, not as CS8785 with no output at all.
            var first = documents.OrderBy(d => d.FilePath, StringComparer.Ordinal).FirstOrDefault();
            var location = first is null ? default : new SourceLocation(first.FilePath, default, default);
            var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, location, exception.GetType().Name + ": " + exception.Message);
            return new ExperimentSet(EquatableArray<ExperimentSpec>.Empty, ImmutableArray.Create(diagnostic).ToEquatableArray());
        }
    }

    /// <summary>The longest <c>extends</c> chain followed.</summary>
    public const int MaxChain = 100;

    /// <summary>One use of the resolver: resolves every document once, remembering the results.</summary>
    private sealed class Resolver
    {
        private readonly GeneratorSettings settings;
        private readonly Dictionary<string, ExperimentDocument> byPath = new(StringComparer.Ordinal);
        private readonly Dictionary<ExperimentDocument, Resolved?> resolved = new(ReferenceEqualityComparer<ExperimentDocument>.Instance);
        private readonly List<ExperimentDocument> visiting = [];
        private readonly List<DiagnosticInfo> diagnostics = [];
        private readonly HashSet<DiagnosticInfo> reported = [];

        public Resolver(ImmutableArray<ExperimentDocument> documents, GeneratorSettings settings)
        {
            this.settings = settings;
            foreach (var document in documents)
            {
                byPath[ExperimentPaths.Normalize(document.FilePath)] = document;
            }
        }

        public ExperimentSet Run()
        {
            var specs = new List<(ExperimentDocument Document, ExperimentSpec Spec)>();
            var ordered = byPath.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ThenBy(d => d.FilePath, StringComparer.Ordinal);
            foreach (var document in ordered)
            {
                // Base-only files are resolved too, so that their own extends problems are reported.
                if (document.IsValid && Resolve(document) is { } merged && !document.IsBaseOnly)
                {
                    specs.AddRange(Expand(document, merged).Select(spec => (document, spec)));
                }
            }

            var clashing = FindClashes(specs);
            var kept = specs.Where(s => !clashing.Contains(s.Spec)).ToList();
            var experiments = kept.Select(s => s.Spec).ToEquatableArray();
            var files = kept
                .GroupBy(s => s.Document.FilePath, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FileExperiments(g.Key, g.Select(s => s.Spec).ToEquatableArray()))
                .ToEquatableArray();
            var sorted = DiagnosticCap.Apply(diagnostics
                .OrderBy(d => d.Location.FilePath, StringComparer.Ordinal)
                .ThenBy(d => d.Location.Span.Start)
                .ThenBy(d => d.Id, StringComparer.Ordinal)
                .ToList())
                .ToEquatableArray();
            return new ExperimentSet(experiments, sorted) { Files = files };
        }

        /// <summary>The keys of <paramref name="document"/> and the files it extends; null when that fails.</summary>
        private Resolved? Resolve(ExperimentDocument document)
        {
            if (resolved.TryGetValue(document, out var known))
            {
                return known;
            }

            var cycleStart = visiting.FindIndex(d => ReferenceEquals(d, document));
            if (cycleStart >= 0)
            {
                ReportCycle(visiting.Skip(cycleStart).ToList());
                return null;
            }

            if (visiting.Count >= MaxChain && document.Find(ExperimentSchema.Extends.Name) is { } tooDeep)
            {
                // Each link is a level of recursion here: refuse an absurd chain rather than overflow the stack.
                Report(DiagnosticDescriptors.InvalidValue, tooDeep.Location, "extends", $"the start of a chain of at most {MaxChain.ToString(CultureInfo.InvariantCulture)} files", "a chain longer than that");
                resolved[document] = null;
                return null;
            }

            visiting.Add(document);
            var result = ResolveUncached(document);
            visiting.RemoveAt(visiting.Count - 1);

            // A member of a cycle may already have been marked failed while its chain was being followed.
            if (!resolved.ContainsKey(document))
            {
                resolved[document] = result;
            }

            return resolved[document];
        }

        private Resolved? ResolveUncached(ExperimentDocument document)
        {
            if (!document.IsValid)
            {
                return null;
            }

            var own = document.Entries.Where(e => e.Key != ExperimentSchema.Extends.Name).ToList();
            if (document.Find(ExperimentSchema.Extends.Name) is not { } extends)
            {
                return new Resolved(own, ImmutableArray<string>.Empty);
            }

            var parent = FindBase(document, extends);
            if (parent is null || Resolve(parent) is not { } inherited)
            {
                return null;
            }

            var entries = inherited.Entries.ToList();
            foreach (var entry in own)
            {
                var index = entries.FindIndex(e => e.Key == entry.Key);
                if (index >= 0)
                {
                    entries[index] = entry;
                }
                else
                {
                    entries.Add(entry);
                }
            }

            return new Resolved(entries, inherited.BaseFiles.Insert(0, parent.SourceFile));
        }

        /// <summary>The file <paramref name="extends"/> names, or null after reporting why there is none.</summary>
        private ExperimentDocument? FindBase(ExperimentDocument document, DocumentEntry extends)
        {
            var path = ExperimentPaths.Resolve(document.FilePath, extends.Value);
            if (settings.ExperimentsDirectory is { } directory && !path.StartsWith(directory, StringComparison.Ordinal))
            {
                Report(DiagnosticDescriptors.BaseOutsideExperiments, extends.Location, extends.Value, directory);
                return null;
            }

            if (byPath.TryGetValue(path, out var found))
            {
                return found;
            }

            var folder = ExperimentPaths.Directory(path);
            var siblings = byPath.Keys.Where(p => ExperimentPaths.Directory(p) == folder).Select(ExperimentPaths.FileName).ToList();
            var wanted = ExperimentPaths.FileName(path);
            var closest = siblings.FirstOrDefault(s => s == wanted + ".yaml" || s == wanted + ".yml")
                ?? EditDistance.Closest(wanted, siblings);
            Report(DiagnosticDescriptors.BaseNotFound, extends.Location, extends.Value, Relative(path), closest is null ? string.Empty : $" (did you mean '{closest}'?)");
            return null;
        }

        /// <summary>A path as experiments' <c>SourceFile</c> is (the full path outside the experiments folder).</summary>
        private string Relative(string path) => ExperimentPaths.InProject(path, settings.ExperimentsDirectory) ?? path;

        private void ReportCycle(List<ExperimentDocument> cycle)
        {
            for (var i = 0; i < cycle.Count; i++)
            {
                var member = cycle[i];
                var path = cycle.Skip(i).Concat(cycle.Take(i + 1)).Select(d => ExperimentPaths.FileName(d.FilePath));
                if (member.Find(ExperimentSchema.Extends.Name) is { } extends)
                {
                    Report(DiagnosticDescriptors.ExtendsCycle, extends.Location, string.Join(" -> ", path));
                }

                resolved[member] = null;
            }
        }

        /// <summary>One spec per combination of the swept values (one spec when nothing is swept).</summary>
        private IEnumerable<ExperimentSpec> Expand(ExperimentDocument document, Resolved merged)
        {
            var entries = merged.Entries.ToDictionary(e => e.Key, StringComparer.Ordinal);
            var missing = false;
            foreach (var key in ExperimentSchema.Keys.Where(k => k.Required && !entries.ContainsKey(k.Name)))
            {
                var where = merged.BaseFiles.IsEmpty ? string.Empty : $"; it is not set in '{string.Join("', '", merged.BaseFiles)}' either";
                Report(DiagnosticDescriptors.MissingKey, document.Start, key.Name, key.Expectation + where);
                missing = true;
            }

            if (missing)
            {
                yield break;
            }

            var sweeps = merged.Entries.Where(e => e.IsSweep).ToList();
            var count = sweeps.Aggregate(1.0, (product, sweep) => product * sweep.Values.Count);
            var limit = entries.TryGetValue(ExperimentSchema.SweepLimit.Name, out var limitEntry)
                ? long.Parse(limitEntry.Value, CultureInfo.InvariantCulture)
                : ExperimentSchema.DefaultSweepLimit;
            if (count > limit)
            {
                var sizes = string.Join(" x ", sweeps.Select(s => $"{s.Key}: {s.Values.Count.ToString(CultureInfo.InvariantCulture)} values"));
                var location = sweeps.FirstOrDefault(s => s.Location.FilePath == document.FilePath)?.Location ?? document.Start;
                Report(DiagnosticDescriptors.SweepTooLarge, location, count.ToString("0", CultureInfo.InvariantCulture), sizes, limit.ToString(CultureInfo.InvariantCulture));
                yield break;
            }

            foreach (var combination in Combinations(sweeps))
            {
                if (CreateSpec(document, merged, entries, sweeps, combination) is { } spec)
                {
                    yield return spec;
                }
            }
        }

        /// <summary>Every choice of one index per sweep, the last sweep varying fastest.</summary>
        private static IEnumerable<int[]> Combinations(List<DocumentEntry> sweeps)
        {
            var indexes = new int[sweeps.Count];
            while (true)
            {
                yield return (int[])indexes.Clone();
                var position = sweeps.Count - 1;
                while (position >= 0 && ++indexes[position] == sweeps[position].Values.Count)
                {
                    indexes[position] = 0;
                    position--;
                }

                if (position < 0)
                {
                    yield break;
                }
            }
        }

        private ExperimentSpec? CreateSpec(
            ExperimentDocument document,
            Resolved merged,
            Dictionary<string, DocumentEntry> entries,
            List<DocumentEntry> sweeps,
            int[] combination)
        {
            var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < sweeps.Count; i++)
            {
                chosen[sweeps[i].Key] = sweeps[i].Values[combination[i]];
            }

            string Value(KeyDefinition key) =>
                chosen.TryGetValue(key.Name, out var swept) ? swept
                : entries.TryGetValue(key.Name, out var entry) ? entry.Value
                : ExperimentSchema.DefaultOf(key, Value);

            if (!Validate(document, entries, Value))
            {
                return null;
            }

            var values = ExperimentSchema.EmittedKeys.Select(Value).ToEquatableArray();
            var isSweep = sweeps.Count > 0;
            var assignments = sweeps.Select((s, i) => (Key: s.Key, Value: s.Values[combination[i]])).ToList();
            return new ExperimentSpec
            {
                Name = isSweep ? document.Name + "/" + string.Join(",", assignments.Select(a => a.Key + "=" + a.Value)) : document.Name,
                TypePrefix = isSweep ? document.TypePrefix + "_" + string.Join("_", assignments.Select(a => Naming.ToSweepPart(a.Key, a.Value))) : document.TypePrefix!,
                SourceFile = document.SourceFile,
                Sweep = isSweep ? document.Name : null,
                BaseFiles = merged.BaseFiles.ToEquatableArray(),
                Values = values,
                ConfigurationSha256 = ConfigurationHash.OfConfiguration(values),
            };
        }

        /// <summary>The rules that tie keys together; false after reporting a broken one.</summary>
        private bool Validate(ExperimentDocument document, Dictionary<string, DocumentEntry> entries, Func<KeyDefinition, string> value)
        {
            var valid = true;
            var dataset = value(ExperimentSchema.Dataset);
            var (inputs, classes) = ExperimentSchema.DatasetShape(dataset);
            if (value(ExperimentSchema.InputSize) != inputs.ToString(CultureInfo.InvariantCulture))
            {
                Report(DiagnosticDescriptors.DatasetMismatch, Where(document, entries, ExperimentSchema.InputSize), "inputSize", value(ExperimentSchema.InputSize), dataset, $"{inputs.ToString(CultureInfo.InvariantCulture)} pixels per image");
                valid = false;
            }

            if (value(ExperimentSchema.NumClasses) != classes.ToString(CultureInfo.InvariantCulture))
            {
                Report(DiagnosticDescriptors.DatasetMismatch, Where(document, entries, ExperimentSchema.NumClasses), "numClasses", value(ExperimentSchema.NumClasses), dataset, $"{classes.ToString(CultureInfo.InvariantCulture)} classes");
                valid = false;
            }

            foreach (var rule in ExperimentSchema.Rules)
            {
                if (!rule.Holds(value))
                {
                    Report(DiagnosticDescriptors.InvalidValue, Where(document, entries, rule.Key), rule.Key.Name, rule.Expectation(value), $"'{value(rule.Key)}'");
                    valid = false;
                }
            }

            return valid;
        }

        /// <summary>
        /// Where to report a problem with <paramref name="key"/>: at its value when this file sets it, else at this
        /// file's <c>extends</c> (the base alone may be fine), else at the start of the file.
        /// </summary>
        private static SourceLocation Where(ExperimentDocument document, Dictionary<string, DocumentEntry> entries, KeyDefinition key)
        {
            if (entries.TryGetValue(key.Name, out var entry) && entry.Location.FilePath == document.FilePath)
            {
                return entry.Location;
            }

            return document.Find(ExperimentSchema.Extends.Name)?.Location ?? document.Start;
        }

        /// <summary>Specs whose C# names collide (ignoring case, as hint names do); each is reported on its file.</summary>
        private HashSet<ExperimentSpec> FindClashes(List<(ExperimentDocument Document, ExperimentSpec Spec)> specs)
        {
            var clashing = new HashSet<ExperimentSpec>();
            foreach (var group in specs.GroupBy(s => s.Spec.TypePrefix, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                var members = group.ToList();
                foreach (var (document, spec) in members)
                {
                    clashing.Add(spec);
                    var others = string.Join("', '", members.Where(m => !ReferenceEquals(m.Document, document)).Select(m => Relative(ExperimentPaths.Normalize(m.Document.FilePath))).Distinct());
                    var location = new SourceLocation(document.FilePath, default, default);
                    Report(DiagnosticDescriptors.DuplicateName, location, spec.Name, spec.TypePrefix, others);
                }
            }

            return clashing;
        }

        /// <summary>Records a diagnostic once, however many combinations of a sweep run into it.</summary>
        private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, SourceLocation location, params string[] arguments)
        {
            var diagnostic = DiagnosticInfo.Create(descriptor, location, arguments);
            if (reported.Add(diagnostic))
            {
                diagnostics.Add(diagnostic);
            }
        }
    }

    /// <summary>The keys of a file after following its <c>extends</c> chain, and the files of that chain.</summary>
    private sealed record Resolved(List<DocumentEntry> Entries, ImmutableArray<string> BaseFiles);
}

/// <summary>The experiments one file declares: one, or one per combination of its sweep.</summary>
internal sealed record FileExperiments(string FilePath, EquatableArray<ExperimentSpec> Experiments);
