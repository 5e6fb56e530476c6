using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Experiments.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Bench;

/// <summary>What the generator cost at one number of files, in milliseconds.</summary>
internal sealed class InProcessResult(int files, int experiments)
{
    public int Files { get; } = files;

    public int Experiments { get; } = experiments;

    /// <summary>First run in a new process (Stopwatch), and what the driver reported for it.</summary>
    public Sample Cold { get; } = new();

    public Sample ColdReported { get; } = new();

    /// <summary>A new driver over every file, with the generator already JIT-compiled.</summary>
    public Sample Warm { get; } = new();

    public Sample WarmReported { get; } = new();

    /// <summary>The same driver again after one file no other file extends was edited.</summary>
    public Sample EditLeaf { get; } = new();

    /// <summary>The same driver again after <c>e0000.yaml</c>, which a quarter of the files extend, was edited.</summary>
    public Sample EditBase { get; } = new();

    /// <summary>The same driver again after a C# file was edited.</summary>
    public Sample EditCSharp { get; } = new();

    /// <summary>Per pipeline step (tracking name): total ElapsedTime of its runs in a full run with steps tracked.</summary>
    public Dictionary<string, Sample> Steps { get; } = new(StringComparer.Ordinal);
}

/// <summary>Drives <see cref="ExperimentGenerator"/> in memory with <see cref="CSharpGeneratorDriver"/> and times it.</summary>
internal static class InProcessBench
{
    public const string ExperimentsDirectory = "/bench/experiments/";

    /// <summary>Where the dataset file the synthetic experiments name (<c>mnist</c>) is.</summary>
    public const string DatasetsDirectory = "/bench/datasets/";

    /// <summary>The row of the steps table for parsing the generated sources (timed apart, not a pipeline step).</summary>
    public const string ParseGeneratedSources = "(not in the run: parsing every generated source)";

    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);

    /// <summary>
    /// The core library, and an empty Experiments.Core of the generator's version: the generator checks the reference
    /// (EXP0046) and generates nothing without it; the bench times the generator, not the compile of its output.
    /// </summary>
    private static readonly ImmutableArray<MetadataReference> References =
    [
        MetadataReference.CreateFromFile(typeof(object).Assembly.Location),
        CSharpCompilation.Create(
            "Experiments.Core",
            [CSharpSyntaxTree.ParseText($"[assembly: System.Reflection.AssemblyVersion(\"{typeof(ExperimentGenerator).Assembly.GetName().Version}\")]", ParseOptions)],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)).ToMetadataReference(),
    ];

    /// <summary>The repository's <c>datasets/mnist.yaml</c> (embedded in the benchmark), as a dataset file.</summary>
    private static readonly AdditionalText Mnist = new InMemoryAdditionalText(DatasetsDirectory + "mnist.yaml", ReadMnist());

    /// <summary>The experiment files (at their indexes) and, after them, the dataset file they name.</summary>
    public static ImmutableArray<AdditionalText> Texts(IEnumerable<ExperimentFile> files) =>
        [.. files.Select(Text), Mnist];

    public static AdditionalText Text(ExperimentFile file) => new InMemoryAdditionalText(ExperimentsDirectory + file.FileName, file.Content);

    /// <summary>A compilation with one C# file; <paramref name="version"/> changes that file.</summary>
    public static CSharpCompilation CreateCompilation(int version) =>
        CSharpCompilation.Create(
            "GeneratorBench",
            [UserTree(version)],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    public static SyntaxTree UserTree(int version) => CSharpSyntaxTree.ParseText(
        "namespace User;\n\npublic static class Code\n{\n    public static int Version => " + version.ToString(CultureInfo.InvariantCulture) + ";\n}\n",
        ParseOptions,
        path: "/bench/Code.cs");

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> texts, bool trackSteps) =>
        CSharpGeneratorDriver.Create(
            [new ExperimentGenerator().AsSourceGenerator()],
            additionalTexts: texts,
            parseOptions: ParseOptions,
            optionsProvider: new BenchOptionsProvider(ExperimentsDirectory, DatasetsDirectory),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    private static string ReadMnist()
    {
        using var stream = typeof(InProcessBench).Assembly.GetManifestResourceStream("mnist.yaml")
            ?? throw new InvalidOperationException("The benchmark was built without datasets/mnist.yaml.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs the driver; returns it, the Stopwatch time and the time the driver reported for the generator (ms).</summary>
    public static (GeneratorDriver Driver, double Stopwatch, double Reported) Run(GeneratorDriver driver, Compilation compilation)
    {
        Settle();
        var stopwatch = Stopwatch.StartNew();
        driver = driver.RunGenerators(compilation);
        stopwatch.Stop();
        var reported = driver.GetTimingInfo().GeneratorTimes.Single().ElapsedTime.TotalMilliseconds;
        return (driver, stopwatch.Elapsed.TotalMilliseconds, reported);
    }

    /// <summary>Collects garbage left by earlier runs, so that a run does not pay for it.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>
    /// Runs the generator over every size until the JIT has had time to optimise it (tiered compilation promotes
    /// hot methods after some calls and a delay), so the first size measured is not slower for being first.
    /// </summary>
    public static void WarmUp(IEnumerable<int> sizes, TimeSpan atLeast)
    {
        var inputs = sizes.Select(size => (Texts: Texts(ExperimentFiles.Create(size)), Experiments: ExperimentFiles.Create(size).Sum(f => f.Experiments))).ToList();
        var compilation = CreateCompilation(0);
        var stopwatch = Stopwatch.StartNew();
        do
        {
            foreach (var (texts, experiments) in inputs)
            {
                var driver = CreateDriver(texts, trackSteps: false).RunGenerators(compilation);
                Check(driver, experiments);
                driver = driver.ReplaceAdditionalText(texts[0], Text(ExperimentFiles.Create(0, variant: 1))).RunGenerators(compilation);
                Check(driver, experiments);
                foreach (var source in driver.GetRunResult().Results.Single().GeneratedSources)
                {
                    CSharpSyntaxTree.ParseText(source.SourceText, ParseOptions, source.HintName);
                }
            }
        }
        while (stopwatch.Elapsed < atLeast);
    }

    /// <summary>Fails unless the run gave no diagnostic and both catalogs, the experiment catalog listing every experiment.</summary>
    public static void Check(GeneratorDriver driver, int experiments)
    {
        var result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw.", result.Exception);
        }

        if (!result.Diagnostics.IsEmpty)
        {
            throw new InvalidOperationException("The synthetic experiments gave diagnostics:\n" + string.Join("\n", result.Diagnostics.Take(20)));
        }

        // Besides the catalogs, the generator writes a class per experiment file, per sweep and per model: the catalog
        // is where the count of experiments shows, one "new ...Experiment()," line each.
        var hintNames = result.GeneratedSources.Select(s => s.HintName).ToHashSet(StringComparer.Ordinal);
        if (!hintNames.Contains("DatasetCatalog.g.cs") || !hintNames.Contains("ExperimentCatalog.g.cs"))
        {
            throw new InvalidOperationException("Expected DatasetCatalog.g.cs and ExperimentCatalog.g.cs, got: " + string.Join(", ", hintNames.Order(StringComparer.Ordinal)));
        }

        var catalog = result.GeneratedSources.Single(s => s.HintName == "ExperimentCatalog.g.cs").SourceText;
        var listed = catalog.Lines.Count(line => IsCatalogEntry(catalog.ToString(line.Span)));
        if (listed != experiments)
        {
            throw new InvalidOperationException($"Expected {experiments} experiments in the catalog, got {listed}.");
        }
    }

    private static bool IsCatalogEntry(string line)
    {
        var trimmed = line.Trim();
        return trimmed.StartsWith("new ", StringComparison.Ordinal) && trimmed.EndsWith("Experiment(),", StringComparison.Ordinal);
    }

    /// <summary>The first run of the generator in this process (for <c>--cold-child</c>): Stopwatch and reported ms.</summary>
    public static (double Stopwatch, double Reported) ColdRun(int count)
    {
        var files = ExperimentFiles.Create(count);
        var texts = Texts(files);
        var compilation = CreateCompilation(0);

        // Warm Roslyn's own driver with no generator, as a compiler that has already built something would be:
        // what is left cold is the generator, YamlDotNet and the driver's code specialised for this generator.
        CSharpGeneratorDriver.Create([], texts, ParseOptions, new BenchOptionsProvider(ExperimentsDirectory, DatasetsDirectory)).RunGenerators(compilation);

        Settle();
        var stopwatch = Stopwatch.StartNew();
        var driver = CreateDriver(texts, trackSteps: false).RunGenerators(compilation);
        stopwatch.Stop();
        Check(driver, files.Sum(f => f.Experiments));
        return (stopwatch.Elapsed.TotalMilliseconds, driver.GetTimingInfo().GeneratorTimes.Single().ElapsedTime.TotalMilliseconds);
    }

    public static InProcessResult Measure(int count, int repeat, int warmup, Func<int, (double Stopwatch, double Reported)> coldRun)
    {
        var files = ExperimentFiles.Create(count);
        var experiments = files.Sum(f => f.Experiments);
        var result = new InProcessResult(count, experiments);
        var texts = Texts(files);
        var compilation = CreateCompilation(0);

        for (var i = 0; i < repeat; i++)
        {
            var (stopwatch, reported) = coldRun(count);
            result.Cold.Add(stopwatch);
            result.ColdReported.Add(reported);
        }

        // Full runs, each with a new driver (nothing cached).
        for (var i = 0; i < warmup + repeat; i++)
        {
            var (driver, stopwatch, reported) = Run(CreateDriver(texts, trackSteps: false), compilation);
            Check(driver, experiments);
            if (i >= warmup)
            {
                result.Warm.Add(stopwatch);
                result.WarmReported.Add(reported);
            }
        }

        MeasureEdits(result, files, texts, compilation, repeat, warmup);
        MeasureSteps(result, texts, compilation, repeat, warmup);
        return result;
    }

    /// <summary>One driver throughout: each run follows one edit (a leaf YAML file, the base YAML file, or the C# file).</summary>
    private static void MeasureEdits(InProcessResult result, IReadOnlyList<ExperimentFile> files, ImmutableArray<AdditionalText> texts, Compilation compilation, int repeat, int warmup)
    {
        var driver = Run(CreateDriver(texts, trackSteps: false), compilation).Driver;
        Check(driver, result.Experiments);

        var leaf = ExperimentFiles.LeafIndex(files.Count);
        var current = new Dictionary<int, AdditionalText> { [leaf] = texts[leaf], [0] = texts[0] };
        var variant = 0;
        var version = 0;
        for (var i = 0; i < warmup + repeat; i++)
        {
            foreach (var (index, sample) in new[] { (leaf, result.EditLeaf), (0, result.EditBase) })
            {
                variant++;
                var edited = Text(ExperimentFiles.Create(index, variant));
                driver = driver.ReplaceAdditionalText(current[index], edited);
                current[index] = edited;
                (driver, var stopwatch, _) = Run(driver, compilation);
                Check(driver, result.Experiments);
                if (i >= warmup)
                {
                    sample.Add(stopwatch);
                }
            }

            var previous = compilation.SyntaxTrees.Single();
            compilation = compilation.ReplaceSyntaxTree(previous, UserTree(++version));
            (driver, var csharp, _) = Run(driver, compilation);
            Check(driver, result.Experiments);
            if (i >= warmup)
            {
                result.EditCSharp.Add(csharp);
            }
        }
    }

    /// <summary>Full runs with steps tracked: where the time goes, step by step (tracking adds some overhead).</summary>
    private static void MeasureSteps(InProcessResult result, ImmutableArray<AdditionalText> texts, Compilation compilation, int repeat, int warmup)
    {
        for (var i = 0; i < warmup + repeat; i++)
        {
            Settle();
            var driver = CreateDriver(texts, trackSteps: true).RunGenerators(compilation);
            Check(driver, result.Experiments);
            if (i < warmup)
            {
                continue;
            }

            var run = driver.GetRunResult().Results.Single();
            var steps = run.TrackedSteps.Concat(run.TrackedOutputSteps);
            foreach (var (name, runs) in steps)
            {
                if (!result.Steps.TryGetValue(name, out var sample))
                {
                    sample = result.Steps[name] = new Sample();
                }

                sample.Add(runs.Sum(step => step.ElapsedTime.TotalMilliseconds));
            }

            // The driver parses generated sources lazily; the compiler parses them later in the build. Timed for scale.
            var sources = run.GeneratedSources.Select(s => (s.SourceText, s.HintName)).ToList();
            Settle();
            var parsing = Stopwatch.StartNew();
            foreach (var (text, hintName) in sources)
            {
                CSharpSyntaxTree.ParseText(text, ParseOptions, hintName);
            }

            parsing.Stop();
            if (!result.Steps.TryGetValue(ParseGeneratedSources, out var parse))
            {
                parse = result.Steps[ParseGeneratedSources] = new Sample();
            }

            parse.Add(parsing.Elapsed.TotalMilliseconds);
        }
    }
}
