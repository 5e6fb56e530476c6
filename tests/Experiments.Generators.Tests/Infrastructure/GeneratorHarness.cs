using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests.Infrastructure;

/// <summary>Runs <see cref="ExperimentGenerator"/> in memory and compiles what it generates.</summary>
internal static class GeneratorHarness
{
    /// <summary>The experiments folder the in-memory files live in.</summary>
    public const string ExperimentsDirectory = "/project/experiments/";

    public const string CatalogHintName = "ExperimentCatalog.g.cs";

    /// <summary>The datasets folder the in-memory dataset files live in.</summary>
    public const string DatasetsDirectory = "/project/datasets/";

    public const string DatasetCatalogHintName = "DatasetCatalog.g.cs";

    /// <summary>The repository's dataset files (datasets/*.yaml) under <see cref="DatasetsDirectory"/>: every run has them unless told otherwise.</summary>
    public static IReadOnlyList<InMemoryAdditionalText> ShippedDatasets { get; } = ShippedDatasetsIn(DatasetsDirectory);

    /// <summary>The shipped datasets as the generator's own steps read them.</summary>
    public static Model.DatasetSet ShippedDatasetSet { get; } = Model.DatasetSet.Create(
        ShippedDatasets.Select(d => Parsing.DatasetParser.Parse(d.Path, d.GetText(), DatasetsDirectory, CancellationToken.None)).ToImmutableArray());

    /// <summary>A valid experiment file; line N of the file is <c>ValidLines[N - 1]</c>.</summary>
    public static readonly string[] ValidLines =
    [
        "description: test experiment",
        "dataset: mnist",
        "inputSize: 784",
        "numClasses: 10",
        "epochs: 5",
        "batchSize: 100",
        "learningRate: 0.001",
    ];

    public static readonly string ValidYaml = string.Join("\n", ValidLines) + "\n";

    /// <summary>Latest C#, and documentation comments checked (so badly formed XML in them is a warning).</summary>
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>A library with nullable on and every warning wave enabled.</summary>
    public static readonly CSharpCompilationOptions CompilationOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        .WithWarningLevel(9999)
        .WithDeterministic(true)
        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
        {
            // Nullable warnings as errors, as in the repository's build.
            ["CS8600"] = ReportDiagnostic.Error,
            ["CS8602"] = ReportDiagnostic.Error,
            ["CS8618"] = ReportDiagnostic.Error,
            ["CS8625"] = ReportDiagnostic.Error,
        });

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    /// <summary>Every assembly of the test's app context, plus TorchSharp and Experiments.Core.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>An empty library compilation that the generated code is added to.</summary>
    /// <summary>
    /// A compilation as the runner's: with its own modules (<c>runner/Models/*.cs</c>, which shipped experiments name)
    /// and the implicit <c>using System;</c> of an SDK project.
    /// </summary>
    public static CSharpCompilation CreateShippedCompilation(CSharpParseOptions? parseOptions = null) => CreateCompilation(
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "runner", "Models"), "*.cs", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => CSharpSyntaxTree.ParseText(System.IO.File.ReadAllText(path), parseOptions ?? ParseOptions, path))
            .Append(CSharpSyntaxTree.ParseText("global using System;", parseOptions ?? ParseOptions, "GlobalUsings.cs"))
            .ToArray());

    public static CSharpCompilation CreateCompilation(params SyntaxTree[] trees) =>
        CSharpCompilation.Create("GeneratedExperiments", trees, References, CompilationOptions);

    /// <summary>
    /// A compilation as <see cref="CreateCompilation"/>'s, but with <paramref name="core"/> instead of the real
    /// Experiments.Core (none when null): what a project with a runtime package of another version sees.
    /// </summary>
    public static CSharpCompilation CreateCompilationWithCore(MetadataReference? core, params SyntaxTree[] trees) =>
        CSharpCompilation.Create(
            "GeneratedExperiments",
            trees,
            References.Where(r => !string.Equals(Path.GetFileName(r.Display), "Experiments.Core.dll", StringComparison.OrdinalIgnoreCase)).Concat(core is null ? Array.Empty<MetadataReference>() : [core]),
            CompilationOptions);

    /// <summary>An assembly named Experiments.Core of <paramref name="version"/> (an <c>[AssemblyVersion]</c>), emitted in memory, with one public type.</summary>
    public static MetadataReference FakeCore(string version)
    {
        var tree = CSharpSyntaxTree.ParseText(
            $"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]\nnamespace Experiments;\npublic interface IExperiment {{ }}\n",
            ParseOptions);
        var compilation = CSharpCompilation.Create("Experiments.Core", [tree], References.Where(r => Path.GetFileName(r.Display) is "System.Runtime.dll" or "System.Private.CoreLib.dll"), new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    public static InMemoryAdditionalText File(string fileName, string content) =>
        new(ExperimentsDirectory + fileName, content);

    /// <summary>The repository's dataset files, as if they were in <paramref name="directory"/>.</summary>
    public static IReadOnlyList<InMemoryAdditionalText> ShippedDatasetsIn(string directory) =>
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "datasets"), "*.yaml")
            .Order(StringComparer.Ordinal)
            .Select(path => new InMemoryAdditionalText(directory + Path.GetFileName(path), System.IO.File.ReadAllText(path)))
            .ToList();

    /// <summary>A dataset file under <see cref="DatasetsDirectory"/>.</summary>
    public static InMemoryAdditionalText Dataset(string fileName, string content) =>
        new(DatasetsDirectory + fileName, content);

    /// <summary>
    /// A driver over <paramref name="files"/> and <paramref name="datasets"/> (default: <see cref="ShippedDatasets"/>),
    /// with <paramref name="buildProperties"/> as further MSBuild properties (by name: <c>ExperimentsNamespace</c>).
    /// </summary>
    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> files, string? experimentsDirectory = ExperimentsDirectory, CSharpParseOptions? parseOptions = null, IEnumerable<AdditionalText>? datasets = null, string? datasetsDirectory = DatasetsDirectory, IReadOnlyDictionary<string, string>? buildProperties = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new ExperimentGenerator().AsSourceGenerator() },
            additionalTexts: files.Concat(datasets ?? ShippedDatasets),
            parseOptions: parseOptions ?? ParseOptions,
            optionsProvider: TestOptionsProvider.WithExperimentsDirectory(experimentsDirectory, datasetsDirectory, buildProperties),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params AdditionalText[] files) => Run(CreateCompilation(), files);

    public static GeneratorRun Run(Compilation compilation, IEnumerable<AdditionalText> files, string? experimentsDirectory = ExperimentsDirectory) =>
        Run(CreateDriver(files, experimentsDirectory), compilation);

    /// <summary>Runs over <paramref name="files"/> with exactly <paramref name="datasets"/> as the dataset files.</summary>
    public static GeneratorRun RunWithDatasets(IEnumerable<AdditionalText> datasets, params AdditionalText[] files) =>
        Run(CreateDriver(files, datasets: datasets), CreateCompilation());

    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>A file's text as the compiler reads it from disk: bytes, encoding detected, any BOM removed.</summary>
    public static SourceText FromBytes(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        return SourceText.From(stream, Encoding.UTF8);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(Experiments.IExperiment).Assembly.Location)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(path => path, StringComparer.Ordinal);
        return paths.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray();
    }
}

/// <summary>What one run of the generator produced.</summary>
internal sealed record GeneratorRun(GeneratorDriver Driver, GeneratorDriverRunResult RunResult, Compilation Output, ImmutableArray<Diagnostic> Diagnostics)
{
    public GeneratorRunResult Result => RunResult.Results.Single();

    /// <summary>Diagnostics the generator reported (EXP…), plus any the driver reported about it (CS8784/CS8785).</summary>
    public ImmutableArray<Diagnostic> GeneratorDiagnostics => Diagnostics.AddRange(Result.Diagnostics).Distinct().ToImmutableArray();

    /// <summary>What the experiment files generated: every source but the dataset catalog (which every run has).</summary>
    public IEnumerable<string> HintNames => Result.GeneratedSources.Select(s => s.HintName).Where(h => h != GeneratorHarness.DatasetCatalogHintName);

    public string Source(string hintName) => Result.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    public string Catalog => Source(GeneratorHarness.CatalogHintName);

    public string DatasetCatalog => Source(GeneratorHarness.DatasetCatalogHintName);

    /// <summary>Diagnostics of the compilation with the generated code, of every severity.</summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics => Output.GetDiagnostics();

    /// <summary>Fails if the generator threw, and returns its diagnostics.</summary>
    public ImmutableArray<Diagnostic> AssertGeneratorDidNotThrow()
    {
        Assert.Null(Result.Exception);
        Assert.DoesNotContain(GeneratorDiagnostics, d => d.Id is "CS8784" or "CS8785");
        Assert.DoesNotContain(GeneratorDiagnostics, d => d.Id == "EXP0010");
        return GeneratorDiagnostics;
    }

    /// <summary>Fails unless the generated code compiles with no diagnostic at all, and returns the compilation.</summary>
    public Compilation AssertCompilesClean()
    {
        AssertGeneratorDidNotThrow();
        var diagnostics = CompilationDiagnostics;
        Assert.True(diagnostics.IsEmpty, "The generated code does not compile cleanly:\n" + string.Join("\n", diagnostics) + "\n\n" + string.Join("\n\n", Result.GeneratedSources.Select(s => s.HintName + ":\n" + s.SourceText)));
        return Output;
    }
}
