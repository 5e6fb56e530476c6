using System.Collections;
using System.Reflection;
using Experiments.Generators.Model;
using Experiments.Generators.Parsing;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Tests;

/// <summary>The pipeline re-runs only what an edit affects, and caches on plain values.</summary>
public sealed class IncrementalityTests
{
    private const string SourceOutput = "SourceOutput";

    private static readonly string[] AllSteps =
    [
        ExperimentGenerator.TrackingNames.Settings,
        ExperimentGenerator.TrackingNames.Parse,
        ExperimentGenerator.TrackingNames.FileDiagnostics,
        ExperimentGenerator.TrackingNames.ExperimentSet,
        ExperimentGenerator.TrackingNames.ReferencedModuleNames,
        Generators.Modules.ModuleTypes.TrackingNames.ReferencedModules,
        ExperimentGenerator.TrackingNames.BoundSet,
        ExperimentGenerator.TrackingNames.FileExperiments,
        ExperimentGenerator.TrackingNames.Experiments,
        ExperimentGenerator.TrackingNames.FileModels,
        ExperimentGenerator.TrackingNames.Models,
        ExperimentGenerator.TrackingNames.BuiltFile,
        ExperimentGenerator.TrackingNames.DatasetBuiltFile,
        ExperimentGenerator.TrackingNames.Catalog,
        ExperimentGenerator.TrackingNames.Namespace,
        ExperimentGenerator.TrackingNames.Project,
        ExperimentGenerator.TrackingNames.RuntimeReference,
    ];

    private readonly InMemoryAdditionalText alpha = GeneratorHarness.File("alpha.yaml", GeneratorHarness.ValidYaml);
    private readonly InMemoryAdditionalText beta = GeneratorHarness.File("beta.yaml", DiagnosticTests.WithLine(5, "epochs: 6"));
    private readonly InMemoryAdditionalText gamma = GeneratorHarness.File("gamma.yaml", DiagnosticTests.WithLine(7, "learningRate: 0.5"));

    [Fact]
    public void FirstRunProducesEveryStep()
    {
        var (_, result) = FirstRun();

        foreach (var name in AllSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"Step {name} was not tracked");
        }

        Assert.Equal(3, result.TrackedSteps[ExperimentGenerator.TrackingNames.Parse].Length);
        Assert.All(AllOutputs(result, ExperimentGenerator.TrackingNames.Parse), o => Assert.Equal(IncrementalStepRunReason.New, o.Reason));
        // Three experiments, each with its model class, and the two catalogs.
        Assert.Equal(8, result.GeneratedSources.Length);
        Assert.Equal(3, AllOutputs(result, ExperimentGenerator.TrackingNames.Models).Count());
    }

    [Fact]
    public void EditingOneFileReparsesOnlyThatFile()
    {
        var (driver, first) = FirstRun();
        var edited = new InMemoryAdditionalText(beta.Path, DiagnosticTests.WithLine(5, "epochs: 7"));

        driver = driver.ReplaceAdditionalText(beta, edited).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        var parse = ParseReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, parse[beta.Path]);
        Assert.Equal(IncrementalStepRunReason.Cached, parse[alpha.Path]);
        Assert.Equal(IncrementalStepRunReason.Cached, parse[gamma.Path]);

        var experiments = ExperimentReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, experiments["beta"]);
        Assert.Contains(experiments["alpha"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
        Assert.Contains(experiments["gamma"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });

        // Only beta's entry in the table of files as built changed; the catalog's experiments are the same.
        var built = BuiltFileReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, built["experiments/beta.yaml"]);
        Assert.Equal(IncrementalStepRunReason.Cached, built["experiments/alpha.yaml"]);
        Assert.All(AllOutputs(result, ExperimentGenerator.TrackingNames.Catalog), o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
        Assert.Equal(CatalogExperiments(first), CatalogExperiments(result));

        // Only beta's source output ran again; the others were served from the cache.
        var outputs = result.TrackedOutputSteps[SourceOutput].SelectMany(s => s.Outputs).ToList();
        Assert.Contains(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(Source(first, "Alpha"), Source(result, "Alpha"));
        Assert.Equal(Source(first, "Gamma"), Source(result, "Gamma"));
        Assert.Contains("public const int Epochs = 7;", Source(result, "Beta"), StringComparison.Ordinal);
    }

    [Fact]
    public void AddingCSharpCodeReusesEveryStep()
    {
        var (driver, first) = FirstRun();
        var compilation = GeneratorHarness.CreateCompilation()
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace User; public class Unrelated { }", GeneratorHarness.ParseOptions));

        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        // The new class is described (ModuleType) and joins the list of classes (ModuleCatalog); from the catalog
        // narrowed to the names the experiments reference on, nothing runs again.
        // Roslyn's Compilation input changed too; the runtime reference read from it (RuntimeReference) is unchanged.
        foreach (var (name, steps) in result.TrackedSteps.Where(s => s.Key is not (Generators.Modules.ModuleTypes.TrackingNames.ModuleType or Generators.Modules.ModuleTypes.TrackingNames.ModuleCatalog or WellKnownGeneratorInputs.Compilation)))
        {
            Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"Step {name} ran with reason {o.Reason}"));
        }

        foreach (var (name, steps) in result.TrackedOutputSteps)
        {
            Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"Output {name} ran with reason {o.Reason}"));
        }

        Assert.Equal(first.GeneratedSources.Select(s => s.SourceText.ToString()), result.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void WhitespaceAndCommentEditsChangeNoExperiment()
    {
        var (driver, first) = FirstRun();
        var reformatted = "# A comment added on top\n\n" + DiagnosticTests.WithLine(5, "epochs:      6   # trailing comment").Replace("\n", "   \n", StringComparison.Ordinal) + "\n# the end\n";
        var edited = new InMemoryAdditionalText(beta.Path, reformatted);

        driver = driver.ReplaceAdditionalText(beta, edited).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        // The file was parsed again; its keys moved (the parse keeps their locations for diagnostics), but the
        // experiment they resolve to is equal, so nothing after the resolution ran.
        var parse = ParseReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, parse[beta.Path]);
        Assert.Equal(IncrementalStepRunReason.Cached, parse[alpha.Path]);

        var experiments = ExperimentReasons(result);
        Assert.Equal(3, experiments.Count);
        Assert.All(experiments.Values, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
        foreach (var name in new[] { ExperimentGenerator.TrackingNames.ExperimentSet, ExperimentGenerator.TrackingNames.FileDiagnostics })
        {
            Assert.All(AllOutputs(result, name), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {o.Reason}"));
        }

        // The file's text changed, so the catalog's table of files as built (the stale-build check) is written
        // again; that is the one output that runs. Every experiment's source, and its configuration hash, stay.
        Assert.Equal(IncrementalStepRunReason.Modified, BuiltFileReasons(result)["experiments/beta.yaml"]);
        Assert.Single(result.TrackedOutputSteps[SourceOutput].SelectMany(s => s.Outputs), o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        Assert.Equal(CatalogExperiments(first), CatalogExperiments(result));
        Assert.NotEqual(CatalogSource(first), CatalogSource(result));
        Assert.Equal(Source(first, "Beta"), Source(result, "Beta"));
    }

    [Fact]
    public void EditingABaseReemitsItsChildrenAndNothingElse()
    {
        var child = GeneratorHarness.File("child.yaml", "extends: beta.yaml\nseed: 9\n");
        var (driver, first) = FirstRun(child);
        var edited = new InMemoryAdditionalText(beta.Path, DiagnosticTests.WithLine(6, "batchSize: 50"));

        driver = driver.ReplaceAdditionalText(beta, edited).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        var parse = ParseReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, parse[beta.Path]);
        Assert.Equal(IncrementalStepRunReason.Cached, parse[child.Path]);
        var experiments = ExperimentReasons(result);
        Assert.Equal(IncrementalStepRunReason.Modified, experiments["beta"]);
        Assert.Equal(IncrementalStepRunReason.Modified, experiments["child"]);
        Assert.Contains(experiments["alpha"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
        Assert.Contains(experiments["gamma"], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
        Assert.Contains("public const int BatchSize = 50;", Source(result, "Child"), StringComparison.Ordinal);
        Assert.Equal(Source(first, "Alpha"), Source(result, "Alpha"));
    }

    [Fact]
    public void EditingOneValueOfASweepReemitsOnlyTheCombinationsItTouches()
    {
        var sweep = GeneratorHarness.File("sweep.yaml", DiagnosticTests.WithLine(7, "sweep: {learningRate: [0.1, 0.2]}"));
        var (driver, first) = FirstRun(sweep);
        var edited = new InMemoryAdditionalText(sweep.Path, DiagnosticTests.WithLine(7, "sweep: {learningRate: [0.1, 0.3]}"));

        driver = driver.ReplaceAdditionalText(sweep, edited).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[ExperimentGenerator.TrackingNames.Experiments]
            .SelectMany(step => step.Outputs)
            .Select(o => (Name: ((ExperimentSpec)o.Value).Name, o.Reason))
            .ToList();
        Assert.Contains(reasons, r => r.Name == "sweep/learningRate=0.1" && r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        Assert.Contains(reasons, r => r.Name == "sweep/learningRate=0.3" && r.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified);
        Assert.DoesNotContain(reasons, r => r.Name == "sweep/learningRate=0.2" && r.Reason != IncrementalStepRunReason.Removed);
        Assert.All(reasons.Where(r => !r.Name.StartsWith("sweep/", StringComparison.Ordinal)), r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        // The members share one model class, which the edit leaves as it was.
        var models = ModelReasons(result);
        Assert.True(models["SweepModel"] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, models["SweepModel"].ToString());
        Assert.Equal(ModelSource(first, "SweepModel"), ModelSource(result, "SweepModel"));

        // Only the new combination's source and the catalog (which lists it) were produced again.
        var outputs = result.TrackedOutputSteps[SourceOutput].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, outputs.Count(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified));
        Assert.Equal(Source(first, "Sweep_LearningRate0p1"), Source(result, "Sweep_LearningRate0p1"));
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.StartsWith("Sweep_LearningRate0p2", StringComparison.Ordinal));
    }

    [Fact]
    public void EditingOneSweptModelReemitsOnlyItsModelClassAndItsMembers()
    {
        var text = GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64]}}\nsweep:\n  model.mlp.hidden: [[32], [64]]\n  learningRate: [0.1, 0.2]\n";
        var sweep = GeneratorHarness.File("net.yaml", text.Replace("learningRate: 0.001\n", string.Empty, StringComparison.Ordinal));
        var (driver, first) = FirstRun(sweep);
        Assert.Equal(["NetModel1", "NetModel2"], ModelReasons(first).Keys.Where(k => k.StartsWith("Net", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var edited = new InMemoryAdditionalText(sweep.Path, sweep.GetText()!.ToString().Replace("[[32], [64]]", "[[32], [128]]", StringComparison.Ordinal));

        driver = driver.ReplaceAdditionalText(sweep, edited).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        // The class of hidden=32 is untouched; the second class now builds 128 hidden units.
        var models = ModelReasons(result);
        Assert.True(models["NetModel1"] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, models["NetModel1"].ToString());
        Assert.Equal(IncrementalStepRunReason.Modified, models["NetModel2"]);
        Assert.Equal(ModelSource(first, "NetModel1"), ModelSource(result, "NetModel1"));
        Assert.Contains("128", ModelSource(result, "NetModel2"), StringComparison.Ordinal);

        var experiments = ExperimentReasons(result);
        Assert.All(new[] { "net/hidden=32,learningRate=0.1", "net/hidden=32,learningRate=0.2" }, n => Assert.True(experiments[n] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{n}: {experiments[n]}"));
        Assert.All(new[] { "net/hidden=128,learningRate=0.1", "net/hidden=128,learningRate=0.2" }, n => Assert.True(experiments[n] is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified, $"{n}: {experiments[n]}"));
        Assert.DoesNotContain(experiments.Keys, n => n.StartsWith("net/hidden=64", StringComparison.Ordinal));
        Assert.All(new[] { "alpha", "beta", "gamma" }, n => Assert.True(experiments[n] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{n}: {experiments[n]}"));
    }

    [Fact]
    public void AddingAFileThatSortsFirstLeavesEveryOtherExperimentCached()
    {
        // Roslyn compares a SelectMany's outputs by position: if all experiments came from one list, a new first
        // file would shift every later one and re-emit it. Keyed by file, only the new one is produced.
        var (driver, first) = FirstRun();
        var newcomer = GeneratorHarness.File("aaa.yaml", DiagnosticTests.WithLine(7, "sweep: {learningRate: [0.1, 0.2]}"));

        driver = driver.AddAdditionalTexts([newcomer]).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[ExperimentGenerator.TrackingNames.Experiments]
            .SelectMany(step => step.Outputs)
            .Select(o => (Name: ((ExperimentSpec)o.Value).Name, o.Reason))
            .ToList();
        Assert.All(reasons.Where(r => r.Name is "alpha" or "beta" or "gamma"), r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{r.Name}: {r.Reason}"));
        Assert.Equal(2, reasons.Count(r => r.Name.StartsWith("aaa/", StringComparison.Ordinal) && r.Reason == IncrementalStepRunReason.New));

        // The two new sources, their one model class, the sweep's shared source, the new file's (empty) diagnostics
        // and the catalog are produced; alpha, beta and gamma, and their model classes, come from the cache.
        var models = ModelReasons(result);
        Assert.Equal(IncrementalStepRunReason.New, models["AaaModel"]);
        Assert.All(new[] { "AlphaModel", "BetaModel", "GammaModel" }, m => Assert.True(models[m] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{m}: {models[m]}"));
        var outputs = result.TrackedOutputSteps[SourceOutput].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(6, outputs.Count(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified));
        Assert.Equal(Source(first, "Gamma"), Source(result, "Gamma"));
    }

    [Fact]
    public void ReplacingAFileWithEqualTextIsUnchanged()
    {
        var (driver, _) = FirstRun();
        var copy = new InMemoryAdditionalText(gamma.Path, gamma.GetText()!.ToString());

        driver = driver.ReplaceAdditionalText(gamma, copy).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        Assert.Equal(IncrementalStepRunReason.Unchanged, ParseReasons(result)[gamma.Path]);
        Assert.All(ExperimentReasons(result).Values, reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void RemovingAFileRemovesItsExperimentAndUpdatesTheCatalog()
    {
        var (driver, _) = FirstRun();

        driver = driver.RemoveAdditionalTexts([gamma]).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        Assert.Equal(new[] { "Alpha.Experiment.g.cs", "AlphaModel.g.cs", "Beta.Experiment.g.cs", "BetaModel.g.cs", "DatasetCatalog.g.cs", "ExperimentCatalog.g.cs" }, result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("Gamma", result.GeneratedSources.Single(s => s.HintName == GeneratorHarness.CatalogHintName).SourceText.ToString(), StringComparison.Ordinal);
        Assert.All(AllOutputs(result, ExperimentGenerator.TrackingNames.Catalog), o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
    }

    [Fact]
    public void FixingABadFileAddsItsExperiment()
    {
        var bad = GeneratorHarness.File("delta.yaml", DiagnosticTests.WithLine(7, "learningRate: fast"));
        var driver = GeneratorHarness.CreateDriver([alpha, bad]).RunGenerators(GeneratorHarness.CreateCompilation());
        Assert.Single(driver.GetRunResult().Diagnostics, d => d.Id == "EXP0003");

        var fixedFile = new InMemoryAdditionalText(bad.Path, GeneratorHarness.ValidYaml);
        driver = driver.ReplaceAdditionalText(bad, fixedFile).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult();

        Assert.Empty(result.Diagnostics);
        Assert.Contains(result.Results.Single().GeneratedSources, s => s.HintName == "Delta.Experiment.g.cs");
        Assert.Equal(IncrementalStepRunReason.New, ExperimentReasons(result.Results.Single())["delta"]);
    }

    [Fact]
    public void UnrelatedBuildPropertiesLeaveTheSettingsUnchanged()
    {
        var (driver, _) = FirstRun();
        var options = new TestOptionsProvider(new Dictionary<string, string>
        {
            ["build_property.ExperimentsDirectory"] = GeneratorHarness.ExperimentsDirectory,
            ["build_property.DatasetsDirectory"] = GeneratorHarness.DatasetsDirectory,
            ["build_property.Configuration"] = "Release",
        });

        driver = driver.WithUpdatedAnalyzerConfigOptions(options).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        Assert.All(AllOutputs(result, ExperimentGenerator.TrackingNames.Settings), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.All(ExperimentReasons(result).Values, reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
    }

    [Fact]
    public void StepOutputsHoldNoCompilerObjects()
    {
        var (_, result) = FirstRun(extra: GeneratorHarness.File("broken.yaml", "learningRate: fast\n"));
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var visitedTypes = new HashSet<Type>();

        foreach (var name in AllSteps)
        {
            foreach (var (value, _) in AllOutputs(result, name))
            {
                Visit(value, name);
            }
        }

        // The walk reached the interesting types, so it did look inside them.
        Assert.Contains(typeof(ExperimentDocument), visitedTypes);
        Assert.Contains(typeof(ExperimentSpec), visitedTypes);
        Assert.Contains(typeof(Diagnostics.DiagnosticInfo), visitedTypes);

        void Visit(object? node, string step)
        {
            if (node is null || !visited.Add(node))
            {
                return;
            }

            var type = node.GetType();
            visitedTypes.Add(type);
            Assert.False(
                node is Compilation or ISymbol or SyntaxNode or SyntaxTree or SemanticModel or Location or AdditionalText or Diagnostic,
                $"Step {step} holds a {type}, which is not cacheable by value");
            if (type.IsPrimitive || type.IsEnum || node is string)
            {
                return;
            }

            // Every user type in the graph compares by value.
            if (type.Assembly == typeof(ExperimentGenerator).Assembly)
            {
                Assert.True(
                    type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>) && i.GetGenericArguments()[0] == type),
                    $"Step {step} holds a {type}, which does not implement IEquatable<{type.Name}>");
            }

            if (node is IEnumerable items)
            {
                foreach (var item in items)
                {
                    Visit(item, step);
                }

                return;
            }

            for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
            {
                foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    Visit(field.GetValue(node), step);
                }
            }
        }
    }

    [Fact]
    public void StepOutputsOfTwoIndependentRunsAreEqualByValue()
    {
        var (_, first) = FirstRun();
        var (_, second) = FirstRun();

        foreach (var name in AllSteps)
        {
            var left = AllOutputs(first, name).Select(o => o.Value).ToList();
            var right = AllOutputs(second, name).Select(o => o.Value).ToList();
            Assert.Equal(left.Count, right.Count);
            for (var i = 0; i < left.Count; i++)
            {
                Assert.NotSame(left[i], right[i]);
                Assert.True(Equals(left[i], right[i]), $"Step {name}, output {i}: {left[i]} != {right[i]}");
                Assert.Equal(left[i].GetHashCode(), right[i].GetHashCode());
            }
        }
    }

    private (GeneratorDriver Driver, GeneratorRunResult Result) FirstRun(AdditionalText? extra = null)
    {
        AdditionalText[] files = extra is null ? [alpha, beta, gamma] : [alpha, beta, gamma, extra];
        var driver = GeneratorHarness.CreateDriver(files).RunGenerators(GeneratorHarness.CreateCompilation());
        return (driver, driver.GetRunResult().Results.Single());
    }

    /// <summary>A project with a module experiment: the module's file, another C# file, and the YAML that names the module.</summary>
    private static (GeneratorDriver Driver, SyntaxTree Module, SyntaxTree Other, Compilation Compilation) ModuleProject()
    {
        var module = CSharpSyntaxTree.ParseText(Modules.ModuleLab.MyNet, GeneratorHarness.ParseOptions, "/project/Models/MyNet.cs");
        var other = CSharpSyntaxTree.ParseText("namespace User; public class Helper { public int Value => 1; }", GeneratorHarness.ParseOptions, "/project/Helper.cs");
        var compilation = GeneratorHarness.CreateCompilation(module, other);
        var yaml = GeneratorHarness.ValidYaml + "model:\n  class: MyNet\n  args:\n    hidden: 64\n";
        var driver = GeneratorHarness.CreateDriver([GeneratorHarness.File("net.yaml", yaml), alphaFile]).RunGenerators(compilation);
        return (driver, module, other, compilation);
    }

    private static readonly InMemoryAdditionalText alphaFile = GeneratorHarness.File("alpha.yaml", GeneratorHarness.ValidYaml);

    [Fact]
    public void An_edit_to_CSharp_that_no_experiment_names_reruns_no_YAML_step()
    {
        var (driver, _, other, compilation) = ModuleProject();
        var first = driver.GetRunResult().Results.Single();
        Assert.Contains("new global::Experiments.Runner.Models.MyNet(hidden: 64)", Source(first, "Net"), StringComparison.Ordinal);

        var edited = compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText("namespace User; public class Helper { public int Value => 2; }", GeneratorHarness.ParseOptions, "/project/Helper.cs"));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in new[]
        {
            ExperimentGenerator.TrackingNames.Parse, ExperimentGenerator.TrackingNames.ExperimentSet, ExperimentGenerator.TrackingNames.ReferencedModuleNames,
            Generators.Modules.ModuleTypes.TrackingNames.ReferencedModules, ExperimentGenerator.TrackingNames.BoundSet, ExperimentGenerator.TrackingNames.FileExperiments,
            ExperimentGenerator.TrackingNames.Experiments, ExperimentGenerator.TrackingNames.Catalog,
        })
        {
            Assert.All(AllOutputs(result, step), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
    }

    /// <summary>The run cache must miss after an edit to the module: every experiment naming it, in a sweep too, carries its source's hash.</summary>
    [Fact]
    public void Every_experiment_of_a_module_carries_its_sources_hash_in_its_code_fingerprint()
    {
        var module = CSharpSyntaxTree.ParseText(Modules.ModuleLab.MyNet, GeneratorHarness.ParseOptions, "/project/Models/MyNet.cs");
        var sweep = GeneratorHarness.ValidYaml + "model:\n  class: MyNet\n  args:\n    dropout: 0.1\nsweep:\n  model.args.hidden: [32, 64]\n";
        var single = GeneratorHarness.ValidYaml + "model:\n  class: MyNet\n";
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(module), [GeneratorHarness.File("net.yaml", single), GeneratorHarness.File("nets.yaml", sweep)]);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)); // the test's module has no doc comments

        var hash = Experiments.ExperimentFile.HashText(Modules.ModuleLab.MyNet);
        foreach (var hint in new[] { "Net.Experiment.g.cs", "Nets_Hidden32.Experiment.g.cs", "Nets_Hidden64.Experiment.g.cs" })
        {
            Assert.Contains("CodeFingerprint => \"generator=\" + ExperimentCatalog.GeneratorBuild + \";model-source-sha256=" + hash + "\"", run.Source(hint), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_module_sweep_whose_members_do_not_bind_emits_nothing_for_the_sweep()
    {
        var module = CSharpSyntaxTree.ParseText(Modules.ModuleLab.MyNet, GeneratorHarness.ParseOptions, "/project/Models/MyNet.cs");
        var sweep = GeneratorHarness.ValidYaml + "model:\n  class: MyNet\n  args:\n    dropout: 0.1\nsweep:\n  model.args.width: [32, 64]\n";
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(module), [GeneratorHarness.File("nets.yaml", sweep)]);

        Assert.Equal("EXP0035", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Fact]
    public void Softmax_output_on_a_user_module_is_an_error_at_its_class()
    {
        var module = CSharpSyntaxTree.ParseText(Modules.ModuleLab.MyNet, GeneratorHarness.ParseOptions, "/project/Models/MyNet.cs");
        var yaml = GeneratorHarness.ValidYaml + "outputActivation: softmax\nmodel:\n  class: MyNet\n";
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(module), [GeneratorHarness.File("net.yaml", yaml)]);

        var diagnostic = Assert.Single(run.Result.Diagnostics);
        Assert.Equal("EXP0022", diagnostic.Id);
        Assert.Equal((10, 10), (diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1, diagnostic.Location.GetLineSpan().StartLinePosition.Character + 1));
        Assert.StartsWith("outputActivation: softmax applies to the models the generator writes", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Changing_the_named_modules_constructor_makes_the_YAML_an_error_and_back()
    {
        var (driver, module, _, compilation) = ModuleProject();
        var renamed = Modules.ModuleLab.MyNet.Replace("int hidden", "int width", StringComparison.Ordinal).Replace("hidden", "width", StringComparison.Ordinal);
        Assert.NotEqual(Modules.ModuleLab.MyNet, renamed);
        var edited = compilation.ReplaceSyntaxTree(module, CSharpSyntaxTree.ParseText(renamed, GeneratorHarness.ParseOptions, "/project/Models/MyNet.cs"));

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("EXP0035", diagnostic.Id);
        Assert.EndsWith("net.yaml", diagnostic.Location.GetLineSpan().Path, StringComparison.Ordinal);
        Assert.Equal(11, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName == "Net.Experiment.g.cs");
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Alpha.Experiment.g.cs");
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> AllOutputs(GeneratorRunResult result, string stepName) =>
        result.TrackedSteps.TryGetValue(stepName, out var steps) ? steps.SelectMany(s => s.Outputs) : [];

    /// <summary>The reason the Parse step ran, per file.</summary>
    private static Dictionary<string, IncrementalStepRunReason> ParseReasons(GeneratorRunResult result) =>
        result.TrackedSteps[ExperimentGenerator.TrackingNames.Parse]
            .Select(step => step.Outputs.Single())
            .ToDictionary(o => ((ExperimentDocument)o.Value).FilePath, o => o.Reason);

    /// <summary>The reason the Experiments step produced each experiment, by name.</summary>
    private static Dictionary<string, IncrementalStepRunReason> ExperimentReasons(GeneratorRunResult result) =>
        result.TrackedSteps[ExperimentGenerator.TrackingNames.Experiments]
            .SelectMany(step => step.Outputs)
            .Where(o => o.Reason != IncrementalStepRunReason.Removed)
            .ToDictionary(o => ((ExperimentSpec)o.Value).Name, o => o.Reason);

    /// <summary>The reason the Models step produced each model class, by class name.</summary>
    private static Dictionary<string, IncrementalStepRunReason> ModelReasons(GeneratorRunResult result) =>
        result.TrackedSteps[ExperimentGenerator.TrackingNames.Models]
            .SelectMany(step => step.Outputs)
            .Where(o => o.Reason != IncrementalStepRunReason.Removed)
            .ToDictionary(o => ((ModelClassSpec)o.Value).TypeName, o => o.Reason);

    private static string ModelSource(GeneratorRunResult result, string typeName) =>
        result.GeneratedSources.Single(s => s.HintName == typeName + ".g.cs").SourceText.ToString();

    private static string Source(GeneratorRunResult result, string prefix) =>
        result.GeneratedSources.Single(s => s.HintName == prefix + ".Experiment.g.cs").SourceText.ToString();

    /// <summary>The reason the BuiltFile step ran, per file (as experiments name it).</summary>
    private static Dictionary<string, IncrementalStepRunReason> BuiltFileReasons(GeneratorRunResult result) =>
        result.TrackedSteps[ExperimentGenerator.TrackingNames.BuiltFile]
            .Select(step => step.Outputs.Single())
            .ToDictionary(o => ((BuiltFile)o.Value).SourceFile, o => o.Reason);

    private static string CatalogSource(GeneratorRunResult result) =>
        result.GeneratedSources.Single(s => s.HintName == GeneratorHarness.CatalogHintName).SourceText.ToString();

    /// <summary>The catalog's list of experiments, without its table of files as built.</summary>
    private static string CatalogExperiments(GeneratorRunResult result)
    {
        var catalog = CatalogSource(result);
        return catalog[..catalog.IndexOf("    public const string ExperimentsDirectory", StringComparison.Ordinal)];
    }
}
