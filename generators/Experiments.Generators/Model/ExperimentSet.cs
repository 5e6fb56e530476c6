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
    public EquatableArray<ExperimentSpec> ExperimentsOf(string filePath) => FileOf(filePath)?.Experiments ?? EquatableArray<ExperimentSpec>.Empty;

    /// <summary>What the members of <paramref name="filePath"/>'s sweep share, or null when it is not a sweep.</summary>
    public SweepSpec? SweepOf(string filePath) => FileOf(filePath)?.Sweep;

    /// <summary>The model classes <paramref name="filePath"/>'s experiments use.</summary>
    public EquatableArray<ModelClassSpec> ModelsOf(string filePath) => FileOf(filePath)?.Models ?? EquatableArray<ModelClassSpec>.Empty;

    private FileExperiments? FileOf(string filePath)
    {
        var files = Files.AsImmutableArray();
        int low = 0, high = files.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(files[middle].FilePath, filePath);
            if (order == 0)
            {
                return files[middle];
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

        return null;
    }

    /// <summary>Resolves every experiment of <paramref name="documents"/>, against the project's <paramref name="datasets"/>.</summary>
    public static ExperimentSet Create(ImmutableArray<ExperimentDocument> documents, DatasetSet datasets, GeneratorSettings settings)
    {
        try
        {
            return new Resolver(documents, datasets, settings).Run();
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
        private readonly DatasetSet datasets;
        private readonly Dictionary<string, ExperimentDocument> byPath = new(StringComparer.Ordinal);
        private readonly Dictionary<ExperimentDocument, Resolved?> resolved = new(ReferenceEqualityComparer<ExperimentDocument>.Instance);
        private readonly List<ExperimentDocument> visiting = [];
        private readonly List<DiagnosticInfo> diagnostics = [];
        private readonly HashSet<DiagnosticInfo> reported = [];

        public Resolver(ImmutableArray<ExperimentDocument> documents, DatasetSet datasets, GeneratorSettings settings)
        {
            this.settings = settings;
            this.datasets = datasets;
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
                    var members = WithModelTypes(document, Expand(document, merged).ToList()).ToList();
                    specs.AddRange(AsSweepMembers(merged, members).Select(spec => (document, spec)));
                }
            }

            var clashing = FindClashes(specs);
            var kept = specs.Where(s => !clashing.Contains(s.Spec)).ToList();
            var experiments = kept.Select(s => s.Spec).ToEquatableArray();
            var files = kept
                .GroupBy(s => s.Document.FilePath, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new FileExperiments(g.Key, g.Select(s => s.Spec).ToEquatableArray())
                {
                    Models = ModelClasses(g.Select(s => s.Spec)),
                    Sweep = SweepSpec.Of(g.First().Document, g.Select(s => s.Spec).ToList()),
                })
                .ToEquatableArray();
            var sorted = DiagnosticCap.Apply(diagnostics
                .OrderBy(d => d.Location.FilePath, StringComparer.Ordinal)
                .ThenBy(d => d.Location.Span.Start)
                .ThenBy(d => d.Id, StringComparer.Ordinal)
                .ToList())
                .ToEquatableArray();
            return new ExperimentSet(experiments, sorted) { Files = files };
        }

        /// <summary>
        /// Names the model class of each experiment of a file: one class per distinct model, <c>{File}Model</c> when
        /// there is one, else <c>{File}Model1</c>, <c>{File}Model2</c>, ... in the order of first use.
        /// </summary>
        private static IEnumerable<ExperimentSpec> WithModelTypes(ExperimentDocument document, List<ExperimentSpec> specs)
        {
            var distinct = specs.Select(s => s.Model).Where(m => m is not ModuleModelSpec).Distinct().ToList();
            foreach (var spec in specs)
            {
                if (spec.Model is ModuleModelSpec)
                {
                    yield return spec;
                    continue;
                }

                var suffix = distinct.Count == 1 ? string.Empty : (distinct.IndexOf(spec.Model) + 1).ToString(CultureInfo.InvariantCulture);
                yield return spec with { ModelType = document.TypePrefix + "Model" + suffix };
            }
        }

        /// <summary>
        /// For a sweep, tells each member which keys are its own (<see cref="ExperimentSpec.MemberKeys"/>): the swept
        /// keys and any key whose value differs between members (a default that depends on a swept key). The others,
        /// and the model when every member has the same, are emitted once for the whole sweep.
        /// </summary>
        private static IEnumerable<ExperimentSpec> AsSweepMembers(Resolved merged, List<ExperimentSpec> specs)
        {
            if (specs.Count == 0 || specs[0].Sweep is null)
            {
                return specs;
            }

            var swept = new HashSet<string>(merged.Entries.Where(e => e.IsSweep).Select(e => e.Key), StringComparer.Ordinal);
            var keys = ExperimentSchema.EmittedKeys;
            var own = Enumerable.Range(0, keys.Length)
                .Where(i => swept.Contains(keys[i].Name) || specs.Any(s => s.Values[i] != specs[0].Values[i]))
                .ToEquatableArray();
            // A user module's constructor call is bound per member, so each member names its own.
            var sharedModel = specs[0].Model is not ModuleModelSpec && specs.All(s => s.Model.Equals(specs[0].Model) && s.ModelType == specs[0].ModelType);
            return specs.Select(s => s with { MemberKeys = own, OwnModel = !sharedModel });
        }

        /// <summary>The distinct generated model classes of a file's experiments, in order of first use.</summary>
        private static EquatableArray<ModelClassSpec> ModelClasses(IEnumerable<ExperimentSpec> specs) => specs
            .Where(s => s.ModelType is not null)
            .GroupBy(s => s.ModelType!, StringComparer.Ordinal)
            .Select(g => new ModelClassSpec(g.Key, g.First().Model, g.First().SourceFile, g.Count() == 1 ? g.First().Name : g.First().Sweep ?? g.First().Name, g.Count()))
            .ToEquatableArray();

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
            if (own.Any(e => e.Key == ModelParser.ModelKey))
            {
                // A new model replaces the base's whole model, and with it the base's sweeps of paths into it.
                entries.RemoveAll(e => e.IsModelPath);
            }

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

            DatasetSpec? dataset = null;
            string Value(KeyDefinition key) =>
                chosen.TryGetValue(key.Name, out var swept) ? swept
                : entries.TryGetValue(key.Name, out var entry) ? entry.Value
                : DatasetDefault(dataset, key) ?? ExperimentSchema.DefaultOf(key, Value);

            dataset = FindDataset(document, entries, Value(ExperimentSchema.Dataset));
            if (dataset is null || !Validate(document, entries, dataset, Value))
            {
                return null;
            }

            var model = ResolveModel(document, entries, sweeps, combination, dataset, Value);
            if (model is null)
            {
                return null;
            }

            var values = ExperimentSchema.EmittedKeys.Select(Value).ToEquatableArray();
            var isSweep = sweeps.Count > 0;
            var labels = SweepLabels(sweeps);
            var assignments = sweeps.Select((s, i) => (Key: labels[i], Value: SweepValueName(s, combination[i]))).ToList();
            return new ExperimentSpec
            {
                Name = isSweep ? document.Name + "/" + string.Join(",", assignments.Select(a => a.Key + "=" + a.Value)) : document.Name,
                TypePrefix = isSweep ? document.TypePrefix + "_" + string.Join("_", assignments.Select(a => Naming.ToSweepPart(a.Key, a.Value))) : document.TypePrefix!,
                FileTypePrefix = document.TypePrefix!,
                SourceFile = document.SourceFile,
                Sweep = isSweep ? document.Name : null,
                BaseFiles = merged.BaseFiles.ToEquatableArray(),
                DatasetFile = dataset.SourceFile,
                Values = values,
                Model = model,
                ConfigurationSha256 = ConfigurationHash.OfConfiguration(values, entries.ContainsKey(ModelParser.ModelKey) ? model.Canonical : null, dataset.DescriptionSha256),
            };
        }

        /// <summary>What an experiment on <paramref name="dataset"/> defaults <paramref name="key"/> to, when the dataset decides it.</summary>
        private static string? DatasetDefault(DatasetSpec? dataset, KeyDefinition key)
        {
            if (dataset is null)
            {
                return null;
            }

            if (key == ExperimentSchema.InputSize)
            {
                return dataset.Features.ToString(CultureInfo.InvariantCulture);
            }

            if (key == ExperimentSchema.NumClasses)
            {
                return dataset.ClassNames.Count.ToString(CultureInfo.InvariantCulture);
            }

            return key == ExperimentSchema.Normalize ? dataset.Normalize : null;
        }

        /// <summary>The dataset an experiment names, or null after reporting that there is none (not when its file has errors of its own).</summary>
        private DatasetSpec? FindDataset(ExperimentDocument document, Dictionary<string, DocumentEntry> entries, string name)
        {
            if (datasets.Find(name) is { } found)
            {
                return found;
            }

            if (!datasets.Broken.Contains(name))
            {
                var names = datasets.Datasets.Select(d => d.Name).ToList();
                var suggestion = EditDistance.Closest(name, names);
                Report(
                    DiagnosticDescriptors.UnknownDataset,
                    Where(document, entries, ExperimentSchema.Dataset),
                    name,
                    suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)",
                    names.Count == 0 ? "none" : string.Join(", ", names));
            }

            return null;
        }

        /// <summary>
        /// The model of one combination: the file's (or its base's) <c>model</c> with the combination's values of the
        /// swept paths put in, parsed against the dataset's shape. Null after reporting why there is none.
        /// </summary>
        private ModelSpec? ResolveModel(
            ExperimentDocument document,
            Dictionary<string, DocumentEntry> entries,
            List<DocumentEntry> sweeps,
            int[] combination,
            DatasetSpec dataset,
            Func<KeyDefinition, string> value)
        {
            YamlValue? tree = entries.TryGetValue(ModelParser.ModelKey, out var modelEntry) ? modelEntry.Trees[0] : null;
            for (var i = 0; i < sweeps.Count; i++)
            {
                var sweep = sweeps[i];
                if (!sweep.IsModelPath && sweep.Key != ModelParser.ModelKey)
                {
                    continue;
                }

                var replacement = sweep.Trees[combination[i]];
                if (sweep.Key == ModelParser.ModelKey)
                {
                    tree = replacement;
                    continue;
                }

                if (tree is null)
                {
                    Report(DiagnosticDescriptors.InvalidSweepKey, sweep.Location, sweep.Key, "is a path into the model, but this experiment sets no 'model' (it is one linear layer)");
                    return null;
                }

                var path = sweep.Key.Split('.');
                if (YamlPaths.Replace(tree, path, 1, replacement, sweep.Location, out var problem) is { } replaced)
                {
                    tree = replaced;
                }
                else
                {
                    Report(DiagnosticDescriptors.InvalidSweepKey, sweep.Location, sweep.Key, problem!);
                    return null;
                }
            }

            return ModelParser.Parse(
                tree,
                dataset.Shape,
                int.Parse(value(ExperimentSchema.InputSize), CultureInfo.InvariantCulture),
                int.Parse(value(ExperimentSchema.NumClasses), CultureInfo.InvariantCulture),
                value(ExperimentSchema.OutputActivation) == "softmax",
                (descriptor, location, arguments) => Report(descriptor, location, arguments));
        }

        /// <summary>
        /// How each swept key is named in the members' names: a key of the file as it is, a path into the model by its
        /// shortest tail that no other swept path shares (<c>model.mlp.hidden</c> is <c>hidden</c>).
        /// </summary>
        private static List<string> SweepLabels(List<DocumentEntry> sweeps)
        {
            var labels = new List<string>(sweeps.Count);
            foreach (var sweep in sweeps)
            {
                if (!sweep.IsModelPath)
                {
                    labels.Add(sweep.Key);
                    continue;
                }

                var segments = sweep.Key.Split('.');
                var label = sweep.Key;
                for (var take = 1; take < segments.Length; take++)
                {
                    var tail = string.Join(".", segments.Skip(segments.Length - take));
                    var clashes = sweeps.Any(other => !ReferenceEquals(other, sweep) && (other.Key == tail || other.Key.EndsWith("." + tail, StringComparison.Ordinal)));
                    if (!clashes && !char.IsDigit(tail[0]))
                    {
                        label = tail;
                        break;
                    }
                }

                labels.Add(label);
            }

            return labels;
        }

        /// <summary>A swept value as a member's name shows it: scalars as they are, a list of scalars joined by 'x', else its position.</summary>
        private static string SweepValueName(DocumentEntry sweep, int index)
        {
            if (sweep.Trees.Count == 0)
            {
                return sweep.Values[index];
            }

            return sweep.Trees[index] switch
            {
                YamlScalar scalar when Naming.IsCommandLineSafe(scalar.Text) => scalar.Text,
                YamlList list when list.Items.All(i => i is YamlScalar s && Naming.IsCommandLineSafe(s.Text) && s.Text.IndexOf('x') < 0) =>
                    string.Join("x", list.Items.Select(i => ((YamlScalar)i).Text)),
                _ => "v" + (index + 1).ToString(CultureInfo.InvariantCulture),
            };
        }

        /// <summary>The rules that tie keys together; false after reporting a broken one.</summary>
        private bool Validate(ExperimentDocument document, Dictionary<string, DocumentEntry> entries, DatasetSpec dataset, Func<KeyDefinition, string> value)
        {
            var valid = true;
            var inputs = dataset.Features.ToString(CultureInfo.InvariantCulture);
            if (value(ExperimentSchema.InputSize) != inputs)
            {
                Report(DiagnosticDescriptors.DatasetMismatch, Where(document, entries, ExperimentSchema.InputSize), "inputSize", value(ExperimentSchema.InputSize), dataset.Name, $"{inputs} values per example (shape {dataset.ShapeText}); remove inputSize to use the dataset's");
                valid = false;
            }

            var classes = dataset.ClassNames.Count.ToString(CultureInfo.InvariantCulture);
            if (value(ExperimentSchema.NumClasses) != classes)
            {
                Report(DiagnosticDescriptors.DatasetMismatch, Where(document, entries, ExperimentSchema.NumClasses), "numClasses", value(ExperimentSchema.NumClasses), dataset.Name, $"{classes} classes; remove numClasses to use the dataset's");
                valid = false;
            }

            // Deskewing and shifting work on one channel of pixels: [1, height, width].
            var singleChannelImage = dataset.Shape.Count == 3 && dataset.Shape[0] == 1;
            foreach (var (key, off) in new[] { (ExperimentSchema.Deskew, "false"), (ExperimentSchema.Augment, "none") })
            {
                if (!singleChannelImage && value(key) != off)
                {
                    Report(DiagnosticDescriptors.InvalidValue, Where(document, entries, key), key.Name, $"'{off}' on dataset '{dataset.Name}' of shape {dataset.ShapeText} (it needs images of one channel, [1, height, width])", $"'{value(key)}'");
                    valid = false;
                }
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
internal sealed record FileExperiments(string FilePath, EquatableArray<ExperimentSpec> Experiments)
{
    /// <summary>The model classes the file's experiments use, one per distinct model.</summary>
    public EquatableArray<ModelClassSpec> Models { get; init; } = EquatableArray<ModelClassSpec>.Empty;

    /// <summary>What the members of the file's sweep share, or null when the file is not a sweep.</summary>
    public SweepSpec? Sweep { get; init; }
}

/// <summary>
/// What every member of a sweep shares, emitted once: the values of the keys no member sets itself, and the base
/// class of the members (with the model, when they all have the same).
/// </summary>
/// <param name="Name">The sweep's name (the file name).</param>
/// <param name="TypePrefix">The file's C# prefix: <c>{TypePrefix}Hyperparameters</c> and <c>{TypePrefix}Member</c>.</param>
/// <param name="SourceFile">The file.</param>
/// <param name="BaseFiles">The files it extends, nearest first.</param>
/// <param name="DatasetFile">The description file of the members' dataset; the first member's when each sets its own.</param>
/// <param name="Values">Every emitted key's value; those of <paramref name="MemberKeys"/> are the first member's and not emitted.</param>
/// <param name="MemberKeys">Indexes (into <see cref="ExperimentSchema.EmittedKeys"/>) of the keys each member sets itself.</param>
/// <param name="ModelType">The model class every member uses, or null when they differ (each member names its own).</param>
/// <param name="Model">That model, or null.</param>
/// <param name="Members">How many members the sweep has.</param>
internal sealed record SweepSpec(
    string Name,
    string TypePrefix,
    string SourceFile,
    EquatableArray<string> BaseFiles,
    string DatasetFile,
    EquatableArray<string> Values,
    EquatableArray<int> MemberKeys,
    string? ModelType,
    ModelSpec? Model,
    int Members)
{
    public static SweepSpec? Of(ExperimentDocument document, System.Collections.Generic.List<ExperimentSpec> members)
    {
        var first = members[0];
        if (first.Sweep is null)
        {
            return null;
        }

        return new SweepSpec(
            first.Sweep,
            document.TypePrefix!,
            first.SourceFile,
            first.BaseFiles,
            first.DatasetFile,
            first.Values,
            first.MemberKeys,
            first.OwnModel ? null : first.ModelType,
            first.OwnModel ? null : first.Model,
            members.Count);
    }

    /// <summary>Whether <paramref name="key"/> is one each member sets itself.</summary>
    public bool IsMemberKey(KeyDefinition key) => MemberKeys.Contains(ExperimentSchema.EmittedKeys.IndexOf(key));
}

/// <summary>One generated model class: its name, the model, and who uses it (for its doc comment).</summary>
/// <param name="TypeName">The class name, e.g. <c>CnnModel</c>.</param>
/// <param name="Model">The model it builds.</param>
/// <param name="SourceFile">The file that declares it.</param>
/// <param name="UsedBy">The experiment that uses it, or the sweep whose members do.</param>
/// <param name="Users">How many experiments use it.</param>
internal sealed record ModelClassSpec(string TypeName, ModelSpec Model, string SourceFile, string UsedBy, int Users);
