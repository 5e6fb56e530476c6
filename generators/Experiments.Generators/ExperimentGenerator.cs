using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Emitting;
using Experiments.Generators.Model;
using Experiments.Generators.Modules;
using Experiments.Generators.Parsing;
using Experiments.Generators.Project;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators;

/// <summary>
/// Turns every YAML file under the project's experiments folder into a strongly-typed TorchSharp experiment,
/// and all of them into one catalog. Bad files become diagnostics on the file, never exceptions.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ExperimentGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline steps, so tests can check which steps ran and which were cached.</summary>
    public static class TrackingNames
    {
        public const string Settings = nameof(Settings);
        public const string Parse = nameof(Parse);
        public const string DatasetParse = nameof(DatasetParse);
        public const string Datasets = nameof(Datasets);
        public const string FileDiagnostics = nameof(FileDiagnostics);
        public const string ExperimentSet = nameof(ExperimentSet);
        public const string ReferencedModuleNames = nameof(ReferencedModuleNames);
        public const string BoundSet = nameof(BoundSet);
        public const string FileExperiments = nameof(FileExperiments);
        public const string Experiments = nameof(Experiments);
        public const string FileModels = nameof(FileModels);
        public const string Models = nameof(Models);
        public const string Sweep = nameof(Sweep);
        public const string BuiltFile = nameof(BuiltFile);
        public const string DatasetBuiltFile = nameof(DatasetBuiltFile);
        public const string Catalog = nameof(Catalog);
        public const string Namespace = nameof(Namespace);
        public const string Project = nameof(Project);
        public const string RuntimeReference = nameof(RuntimeReference);
        public const string Target = nameof(Target);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var settings = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => GeneratorSettings.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Settings);

        // Where the code goes and whether it can call the runtime it references: a namespace C# cannot take, or an
        // Experiments.Core of another version (or none), is one diagnostic, and then no YAML file is read and nothing
        // is generated (no compiler errors inside generated code). The target is the namespace, or null then.
        var generatedNamespace = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => GeneratedNamespace.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Namespace);
        var runtime = context.CompilationProvider
            .Select(static (compilation, _) => RuntimeReference.From(compilation))
            .WithTrackingName(TrackingNames.RuntimeReference);
        var target = generatedNamespace
            .Combine(runtime)
            .Select(static (pair, _) => pair.Right.Matches ? pair.Left.Name : null)
            .WithTrackingName(TrackingNames.Target);
        var firstExperimentFile = context.AdditionalTextsProvider
            .Where(static file => GeneratorSettings.IsYaml(file.Path))
            .Combine(settings)
            .Where(static pair => pair.Right.Includes(pair.Left.Path))
            .Select(static (pair, _) => pair.Left.Path)
            .Collect()
            .Select(static (paths, _) => paths.OrderBy(p => p, System.StringComparer.Ordinal).FirstOrDefault());
        context.RegisterSourceOutput(generatedNamespace.Combine(runtime).Combine(firstExperimentFile), static (output, pair) =>
        {
            if (pair.Left.Left.Diagnostic is { } invalidNamespace)
            {
                output.ReportDiagnostic(invalidNamespace.ToDiagnostic());
            }

            if (pair.Left.Right.Diagnostic(pair.Right) is { } mismatch)
            {
                output.ReportDiagnostic(mismatch.ToDiagnostic());
            }
        });
        var additionalTexts = context.AdditionalTextsProvider
            .Combine(target)
            .Where(static pair => pair.Right is not null)
            .Select(static (pair, _) => pair.Left);

        // What the catalog tells the host of the project, apart from the settings the files are read with: a
        // changed application name or data root re-emits the catalog only.
        var project = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => ProjectSettings.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Project);

        // Each dataset file on its own (an experiment edit reparses none), then all of them: the catalog of
        // descriptions, and what experiments are resolved against (a dataset edit re-resolves the experiments).
        var datasetTexts = additionalTexts
            .Where(static file => GeneratorSettings.IsYaml(file.Path))
            .Combine(settings)
            .Where(static pair => pair.Right.IsDataset(pair.Left.Path));
        var datasetFiles = datasetTexts
            .Select(static (pair, cancellationToken) => DatasetParser.Parse(
                pair.Left.Path,
                pair.Left.GetText(cancellationToken),
                pair.Right.DatasetsDirectory,
                cancellationToken))
            .WithTrackingName(TrackingNames.DatasetParse);
        context.RegisterSourceOutput(datasetFiles.Select(static (file, _) => file.Diagnostics), static (output, diagnostics) => Report(output, diagnostics));

        var datasets = datasetFiles
            .Collect()
            .Select(static (files, _) => DatasetSet.Create(files))
            .WithTrackingName(TrackingNames.Datasets);
        context.RegisterSourceOutput(datasets.Combine(target), static (output, pair) =>
        {
            Report(output, pair.Left.Diagnostics);
            if (pair.Right is { } ns)
            {
                Guarded(output, () => output.AddSource(DatasetEmitter.HintName, DatasetEmitter.EmitCatalog(pair.Left, ns)));
            }
        });

        var parsed = additionalTexts
            .Where(static file => GeneratorSettings.IsYaml(file.Path))
            .Combine(settings)
            .Where(static pair => pair.Right.Includes(pair.Left.Path))
            .Select(static (pair, cancellationToken) => ExperimentParser.Parse(
                pair.Left.Path,
                pair.Left.GetText(cancellationToken),
                pair.Right.ExperimentsDirectory,
                cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        var fileDiagnostics = parsed
            .Select(static (file, _) => file.Diagnostics)
            .WithTrackingName(TrackingNames.FileDiagnostics);
        context.RegisterSourceOutput(fileDiagnostics, static (output, diagnostics) => Report(output, diagnostics));

        var resolvedSet = parsed
            .Collect()
            .Combine(datasets)
            .Combine(settings)
            .Select(static (pair, _) => ExperimentSet.Create(pair.Left.Left, pair.Left.Right, pair.Right))
            .WithTrackingName(TrackingNames.ExperimentSet);
        context.RegisterSourceOutput(resolvedSet.Select(static (set, _) => set.Diagnostics), static (output, diagnostics) => Report(output, diagnostics));

        // The user's modules the experiments name, read from the compilation as plain values and narrowed to the
        // names referenced, so that a C# edit that touches no referenced module leaves every later step cached.
        var referencedModules = resolvedSet
            .Select(static (set, _) => ModuleBinding.ReferencedNames(set))
            .WithTrackingName(TrackingNames.ReferencedModuleNames);
        var modules = ModuleTypes.Create(context).Only(referencedModules);
        var experimentSet = resolvedSet
            .Combine(modules)
            .Select(static (pair, _) => Guarded(() => ModuleBinding.Bind(pair.Left, pair.Right), pair.Left))
            .WithTrackingName(TrackingNames.BoundSet);
        context.RegisterSourceOutput(experimentSet.Select(static (set, _) => set.Diagnostics), static (output, diagnostics) => Report(output, diagnostics));

        // Each file gets its own experiments back from the set: Roslyn compares a SelectMany's outputs by position
        // within one input, so keying them by file keeps every other file's outputs cached when one file is added,
        // removed, or grows a sweep.
        var experiments = parsed
            .Combine(experimentSet)
            .Select(static (pair, _) => pair.Right.ExperimentsOf(pair.Left.FilePath))
            .WithTrackingName(TrackingNames.FileExperiments)
            .SelectMany(static (specs, _) => specs)
            .WithTrackingName(TrackingNames.Experiments);
        context.RegisterSourceOutput(experiments.Combine(target), static (output, pair) =>
            Emit(output, pair.Right, ns => output.AddSource(ExperimentEmitter.ExperimentHintName(pair.Left), ExperimentEmitter.EmitExperiment(pair.Left, ns))));

        // One class per distinct model of a file: the members of a sweep that differ only in training keys share it.
        var models = parsed
            .Combine(experimentSet)
            .Select(static (pair, _) => pair.Right.ModelsOf(pair.Left.FilePath))
            .WithTrackingName(TrackingNames.FileModels)
            .SelectMany(static (models, _) => models)
            .WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models.Combine(target), static (output, pair) =>
            Emit(output, pair.Right, ns => output.AddSource(ExperimentEmitter.ModelHintName(pair.Left), ExperimentEmitter.EmitModel(pair.Left, ns))));

        // What the members of a sweep share, emitted once per sweep.
        var sweeps = parsed
            .Combine(experimentSet)
            .Select(static (pair, _) => pair.Right.SweepOf(pair.Left.FilePath))
            .WithTrackingName(TrackingNames.Sweep);
        context.RegisterSourceOutput(sweeps.Combine(target), static (output, pair) =>
        {
            if (pair.Left is { } sweep)
            {
                Emit(output, pair.Right, ns => output.AddSource(SweepEmitter.HintName(sweep), SweepEmitter.EmitSweep(sweep, ns)));
            }
        });

        // What the build read of each file, for the run-time check that a file did not change since: a comment edit
        // changes it, so it goes to the catalog only, and every experiment's own source stays cached.
        var builtFiles = parsed
            .Combine(settings)
            .Select(static (pair, _) => BuiltFile.Of(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.BuiltFile)
            .Collect();

        // Each experiment's dataset file is one it was built from too (its description is part of the experiment's
        // configuration). Hashed apart from the parse, and written to the catalog only, for the same reason.
        var datasetBuiltFiles = datasetTexts
            .Select(static (pair, cancellationToken) => BuiltFile.OfDataset(pair.Left.Path, pair.Left.GetText(cancellationToken), pair.Right))
            .WithTrackingName(TrackingNames.DatasetBuiltFile)
            .Collect();
        var catalog = experimentSet
            .Combine(builtFiles)
            .Combine(datasetBuiltFiles)
            .Combine(settings)
            .Select(static (pair, _) => CatalogSpec.Create(pair.Left.Left.Left, pair.Left.Left.Right, pair.Left.Right, pair.Right))
            .WithTrackingName(TrackingNames.Catalog);
        context.RegisterSourceOutput(catalog.Combine(project).Combine(target), static (output, pair) =>
            Emit(output, pair.Right, ns => output.AddSource(ExperimentEmitter.CatalogHintName, ExperimentEmitter.EmitCatalog(pair.Left.Left, pair.Left.Right, ns))));
    }

    /// <summary>Runs an emitter into the target namespace, guarded; nothing when there is no target (see the target's diagnostics).</summary>
    private static void Emit(SourceProductionContext output, string? ns, System.Action<string> emit)
    {
        if (ns is not null)
        {
            Guarded(output, () => emit(ns));
        }
    }

    /// <summary>Runs the binding; a bug in it becomes EXP0010 on the first experiment's file, instead of CS8785.</summary>
    private static ExperimentSet Guarded(System.Func<ExperimentSet> bind, ExperimentSet set)
    {
        try
        {
            return bind();
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            var file = set.Files.Count > 0 ? set.Files[0].FilePath : string.Empty;
            var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, new SourceLocation(file, default, default), exception.GetType().Name + ": " + exception.Message);
            return new ExperimentSet(EquatableArray<ExperimentSpec>.Empty, System.Collections.Immutable.ImmutableArray.Create(diagnostic).ToEquatableArray());
        }
    }

    /// <summary>Runs an emitter; a bug in it becomes EXP0010 instead of a CS8785 that drops every output.</summary>
    private static void Guarded(SourceProductionContext output, System.Action emit)
    {
        try
        {
            emit();
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, exception.GetType().Name + ": " + exception.Message));
        }
    }

    private static void Report(SourceProductionContext output, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            output.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
