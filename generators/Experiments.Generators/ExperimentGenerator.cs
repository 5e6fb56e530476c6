using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Emitting;
using Experiments.Generators.Model;
using Experiments.Generators.Parsing;
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
        public const string FileDiagnostics = nameof(FileDiagnostics);
        public const string ExperimentSet = nameof(ExperimentSet);
        public const string Experiments = nameof(Experiments);
        public const string Catalog = nameof(Catalog);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var settings = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => GeneratorSettings.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Settings);

        var parsed = context.AdditionalTextsProvider
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

        var experimentSet = parsed
            .Collect()
            .Combine(settings)
            .Select(static (pair, _) => ExperimentSet.Create(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.ExperimentSet);
        context.RegisterSourceOutput(experimentSet.Select(static (set, _) => set.Diagnostics), static (output, diagnostics) => Report(output, diagnostics));

        var experiments = experimentSet
            .SelectMany(static (set, _) => set.Experiments)
            .WithTrackingName(TrackingNames.Experiments);
        context.RegisterSourceOutput(experiments, static (output, spec) =>
            output.AddSource(ExperimentEmitter.ExperimentHintName(spec), ExperimentEmitter.EmitExperiment(spec)));

        var catalog = experimentSet
            .Select(static (set, _) => set.Experiments.Select(spec => new CatalogEntry(spec.Name, spec.TypePrefix)).ToEquatableArray())
            .WithTrackingName(TrackingNames.Catalog);
        context.RegisterSourceOutput(catalog, static (output, entries) =>
            output.AddSource(ExperimentEmitter.CatalogHintName, ExperimentEmitter.EmitCatalog(entries)));
    }

    private static void Report(SourceProductionContext output, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            output.ReportDiagnostic(diagnostic.ToDiagnostic());
        }
    }
}
