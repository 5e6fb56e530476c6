using System.Globalization;
using System.Text.RegularExpressions;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Tests;

/// <summary>The shipped experiment files generate code that compiles with no diagnostic at all.</summary>
public sealed class CompileCleanTests
{
    [Fact]
    public void ShippedExperimentsCompileWithoutAnyDiagnostic()
    {
        var files = ShippedFiles();
        Assert.NotEmpty(files);

        var run = GeneratorHarness.Run(GeneratorHarness.CreateShippedCompilation(), files, RepositoryPaths.ExperimentsDirectory);

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        var compilation = run.AssertCompilesClean();
        var prefixes = CatalogPrefixes(run);
        var filePrefixes = files.Select(f => Parsing.Naming.ToTypePrefix(Path.GetFileNameWithoutExtension(f.Path))!).ToList();

        // One source per experiment, one model class per file (every shipped file has one model, which the members
        // of its sweep share) but the one naming its own module, one shared source per sweep, and the two catalogs.
        var withModelClass = filePrefixes.Where(p => p != "MyModule").ToList();
        var sweeps = filePrefixes.Where(p => prefixes.Any(prefix => prefix.StartsWith(p + "_", StringComparison.Ordinal))).ToList();
        Assert.Equal(["LrSweep"], sweeps);
        Assert.Equal(prefixes.Count + withModelClass.Count + sweeps.Count + 2, run.Result.GeneratedSources.Length);
        Assert.All(withModelClass, p => Assert.Contains(p + "Model.g.cs", run.HintNames));
        Assert.All(sweeps, p => Assert.Contains(p + ".Sweep.g.cs", run.HintNames));

        // Every file gives at least one experiment (a sweep gives several), and every generated type exists and
        // the runner types implement the interface.
        Assert.All(files, file => Assert.Contains(prefixes, p => FilePrefix(p) == Parsing.Naming.ToTypePrefix(Path.GetFileNameWithoutExtension(file.Path))));
        var experimentInterface = compilation.GetTypeByMetadataName("Experiments.IExperiment");
        Assert.NotNull(experimentInterface);
        foreach (var prefix in prefixes)
        {
            var runner = compilation.GetTypeByMetadataName($"Experiments.Generated.{prefix}Experiment");
            Assert.NotNull(runner);
            Assert.Contains(runner!.AllInterfaces, i => SymbolEqualityComparer.Default.Equals(i, experimentInterface));
            Assert.NotNull(compilation.GetTypeByMetadataName($"Experiments.Generated.{prefix}Hyperparameters"));
            var source = run.Source(prefix + ".Experiment.g.cs");
            if (FilePrefix(prefix) == "MyModule")
            {
                Assert.Contains("new global::Experiments.Runner.Models.MyNet(", source, StringComparison.Ordinal);
                continue;
            }

            Assert.NotNull(compilation.GetTypeByMetadataName($"Experiments.Generated.{FilePrefix(prefix)}Model"));
            if (prefix.Contains('_', StringComparison.Ordinal))
            {
                // A member of a sweep: its name and file are in the sweep's shared base class.
                Assert.Contains($" : {FilePrefix(prefix)}Member", source, StringComparison.Ordinal);
                continue;
            }

            Assert.Contains($"{FilePrefix(prefix)}Model", source, StringComparison.Ordinal);
            var file = files.Single(f => Parsing.Naming.ToTypePrefix(Path.GetFileNameWithoutExtension(f.Path)) == FilePrefix(prefix));
            var relative = "experiments/" + Path.GetFileName(file.Path);
            Assert.Contains($"public string SourceFile => \"{relative}\";", source, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The generator is built against Roslyn 4.14 so that older compilers can load it; its code must compile there
    /// too (this test runs that compiler), and with any language version from C# 11, the first that can set the
    /// required members of ExperimentSettings.
    /// </summary>
    [Theory]
    [InlineData(LanguageVersion.CSharp11)]
    [InlineData(LanguageVersion.CSharp12)]
    [InlineData(LanguageVersion.CSharp13)]
    [InlineData(LanguageVersion.Preview)]
    public void ShippedExperimentsCompileWithEveryLanguageVersionFromCSharp11(LanguageVersion version)
    {
        var parseOptions = GeneratorHarness.ParseOptions.WithLanguageVersion(version);
        var driver = GeneratorHarness.CreateDriver(ShippedFiles(), RepositoryPaths.ExperimentsDirectory, parseOptions);
        var run = GeneratorHarness.Run(driver, GeneratorHarness.CreateShippedCompilation(parseOptions));

        run.AssertCompilesClean();
        Assert.All(run.Output.SyntaxTrees, tree => Assert.Equal(version.MapSpecifiedToEffectiveVersion(), ((CSharpParseOptions)tree.Options).LanguageVersion));
    }

    [Fact]
    public void CatalogListsEachShippedExperimentInNameOrder()
    {
        var shipped = ShippedFiles();
        var run = GeneratorHarness.Run(GeneratorHarness.CreateShippedCompilation(), shipped, RepositoryPaths.ExperimentsDirectory);
        run.AssertCompilesClean();

        var expected = shipped
            .Select(f => Path.GetFileNameWithoutExtension(f.Path))
            .OrderBy(name => name, StringComparer.Ordinal)
            .Select(name => Parsing.Naming.ToTypePrefix(name)!)
            .ToList();

        // In file-name order; a sweep's members (Prefix_...) are adjacent, right where its file's name sorts.
        var files = CatalogPrefixes(run).Select(FilePrefix).ToList();
        var runs = files.Where((prefix, i) => i == 0 || prefix != files[i - 1]).ToList();
        Assert.Equal(expected, runs);
    }

    [Fact]
    public void ShippedValuesAppearAsConstants()
    {
        var files = ShippedFiles();
        var compilation = GeneratorHarness.Run(GeneratorHarness.CreateShippedCompilation(), files, RepositoryPaths.ExperimentsDirectory).AssertCompilesClean();

        var tuned = compilation.GetTypeByMetadataName("Experiments.Generated.TunedMomentumHyperparameters");
        Assert.NotNull(tuned);
        Assert.Equal(0.05, Constant(tuned!, "LearningRate"));
        Assert.Equal(0.9, Constant(tuned!, "Momentum"));
        Assert.Equal(10, Constant(tuned!, "Epochs"));
        Assert.Equal(784, Constant(tuned!, "InputSize"));
        Assert.Equal(0L, Constant(tuned!, "Seed"));
        Assert.Equal("mnist", Constant(tuned!, "Dataset"));
        Assert.Equal(1, Constant(tuned!, "Optimizer")); // OptimizerKind.Momentum
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("fr-FR")]
    [InlineData("tr-TR")]
    [InlineData("ar-SA")]
    [InlineData("synthetic")]
    public void OutputDoesNotDependOnTheCurrentCulture(string cultureName)
    {
        var broken = new InMemoryAdditionalText(RepositoryPaths.ExperimentsDirectory + "broken.yaml", "learningRate: fast\nepochs: 1.5\nmomentum: 2,5\n");
        var files = ShippedFiles().Append(broken).ToArray();
        var invariant = WithCulture(CultureInfo.InvariantCulture, () => GeneratorHarness.Run(GeneratorHarness.CreateShippedCompilation(), files, RepositoryPaths.ExperimentsDirectory));

        var culture = CreateCulture(cultureName);
        var localized = WithCulture(culture, () =>
        {
            var run = GeneratorHarness.Run(GeneratorHarness.CreateShippedCompilation(), files, RepositoryPaths.ExperimentsDirectory);

            // Compile (and format the messages) under the culture too.
            Assert.Empty(run.CompilationDiagnostics);
            return run;
        });

        Assert.Equal(Sources(invariant), Sources(localized));
        Assert.Equal(
            invariant.GeneratorDiagnostics.Select(d => d.ToString()).Order(StringComparer.Ordinal),
            localized.GeneratorDiagnostics.Select(d => d.ToString()).Order(StringComparer.Ordinal));

        var seedRecipe = localized.Source("SeedRecipe.Experiment.g.cs");
        Assert.Contains("public const double LearningRate = 0.001;", seedRecipe, StringComparison.Ordinal);
        Assert.Contains("public const double Momentum = 0.0;", seedRecipe, StringComparison.Ordinal);
        Assert.DoesNotContain("0,001", seedRecipe, StringComparison.Ordinal);
        Assert.Contains("public const double Momentum = 0.9;", localized.Source("TunedMomentum.Experiment.g.cs"), StringComparison.Ordinal);

        // A value written with a decimal comma is refused rather than read the local way.
        Assert.Contains(localized.GeneratorDiagnostics, d => d.Id == "EXP0003" && d.GetMessage(culture).Contains("'2,5'", StringComparison.Ordinal));
    }

    /// <summary>de-DE and friends from ICU; "synthetic" is a culture with every number symbol changed.</summary>
    private static CultureInfo CreateCulture(string name)
    {
        if (name != "synthetic")
        {
            var culture = CultureInfo.GetCultureInfo(name);
            if (name is "de-DE" or "fr-FR")
            {
                Assert.Equal(",", culture.NumberFormat.NumberDecimalSeparator);
            }

            return culture;
        }

        var synthetic = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        synthetic.NumberFormat.NumberDecimalSeparator = ",";
        synthetic.NumberFormat.NumberGroupSeparator = ".";
        synthetic.NumberFormat.NegativeSign = "\u2212";
        synthetic.NumberFormat.PositiveSign = "\u002B\u002B";
        synthetic.NumberFormat.NaNSymbol = "nichts";
        synthetic.NumberFormat.PositiveInfinitySymbol = "unendlich";
        return synthetic;
    }

    private static T WithCulture<T>(CultureInfo culture, Func<T> action)
    {
        var (previous, previousUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = culture;
        CultureInfo.CurrentUICulture = culture;
        try
        {
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            CultureInfo.CurrentUICulture = previousUi;
        }
    }

    private static List<(string HintName, string Text)> Sources(GeneratorRun run) =>
        run.Result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())).OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();

    [Fact]
    public void ExperimentNamesAndUserTypesThatShadowTheRuntimesNamesStillCompile()
    {
        // 'i.yaml' makes a class IExperiment; the user's own Experiments.Trainer, Linear and Tensor would capture
        // unqualified names in the generated code.
        var userCode = CSharpSyntaxTree.ParseText(
            """
            namespace Experiments
            {
                internal sealed class Trainer { }
                internal sealed class Linear { }
                internal sealed class Tensor { }
            }
            """,
            GeneratorHarness.ParseOptions);
        var files = new[] { "i", "trainer", "tensor", "linear", "experiment-settings", "output-activation", "optimizer-kind", "experiment-catalog", "nn" }
            .Select(name => GeneratorHarness.File(name + ".yaml", GeneratorHarness.ValidYaml + "optimizer: momentum\noutputActivation: softmax\n"))
            .ToArray();

        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(userCode), files);

        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertCompilesClean();
        Assert.Contains("new IExperiment(),", run.Catalog, StringComparison.Ordinal);
    }

    /// <summary>The type prefix of every experiment in the catalog, in order.</summary>
    private static List<string> CatalogPrefixes(GeneratorRun run) =>
        Regex.Matches(run.Catalog, @"new (\w+)Experiment\(\),").Select(m => m.Groups[1].Value).ToList();

    /// <summary>The file's part of a type prefix: a sweep member's prefix adds "_" and its values.</summary>
    private static string FilePrefix(string prefix) => prefix.Split('_')[0];

    private static object? Constant(INamedTypeSymbol type, string name) =>
        type.GetMembers(name).OfType<IFieldSymbol>().Single().ConstantValue;

    internal static InMemoryAdditionalText[] ShippedFiles() =>
        RepositoryPaths.ShippedExperimentFiles()
            .Select(path => new InMemoryAdditionalText(path, GeneratorHarness.FromBytes(System.IO.File.ReadAllBytes(path))))
            .ToArray();
}
