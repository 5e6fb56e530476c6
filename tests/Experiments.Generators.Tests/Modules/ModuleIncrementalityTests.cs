using Experiments.Generators.Model;
using Experiments.Generators.Modules;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Tests.Modules;

/// <summary>
/// The module provider in a pipeline of its own (as ExperimentGenerator will wire it): an edit to C# code that no
/// experiment names stops at <see cref="ModuleTypes.TrackingNames.ReferencedModules"/>; renaming the named class or
/// changing its constructor gets through.
/// </summary>
public sealed class ModuleIncrementalityTests
{
    private const string Unrelated = "namespace Lab;\n\npublic class Helper\n{\n    public int Twice(int x) => 2 * x;\n}\n";

    private const string OtherModule = """
        using static TorchSharp.torch;

        namespace Lab;

        public sealed class Unused : nn.Module<Tensor, Tensor>
        {
            public Unused(int size = 1) : base(nameof(Unused)) { }

            public override Tensor forward(Tensor input) => input;
        }
        """;

    private static readonly SyntaxTree MyNetTree = Tree("/project/Models/MyNet.cs", ModuleLab.MyNet);
    private static readonly SyntaxTree HelperTree = Tree("/project/Helper.cs", Unrelated);
    private static readonly SyntaxTree UnusedTree = Tree("/project/Models/Unused.cs", OtherModule);

    [Fact]
    public void An_edit_to_code_no_experiment_names_leaves_the_referenced_modules_cached()
    {
        var (driver, compilation, first) = FirstRun();

        // A body edit: every class's description is equal, so even the whole catalog is.
        var bodyEdit = compilation.ReplaceSyntaxTree(HelperTree, Tree(HelperTree.FilePath, Unrelated.Replace("2 * x", "x + x", StringComparison.Ordinal)));
        var result = Run(ref driver, bodyEdit);
        AssertNotRerun(result, ModuleTypes.TrackingNames.ModuleCatalog);
        AssertNotRerun(result, ModuleTypes.TrackingNames.ReferencedModules);

        // A new class changes the catalog, not the part the experiments read.
        var added = bodyEdit.AddSyntaxTrees(Tree("/project/Added.cs", "namespace Lab;\n\npublic class Added { }\n"));
        result = Run(ref driver, added);
        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, ModuleTypes.TrackingNames.ModuleCatalog));
        AssertNotRerun(result, ModuleTypes.TrackingNames.ReferencedModules);
        Assert.Equal(Output(first), Output(result));
    }

    [Fact]
    public void An_edit_to_a_module_no_experiment_names_stops_at_the_referenced_modules()
    {
        var (driver, compilation, _) = FirstRun();

        var edited = compilation.ReplaceSyntaxTree(UnusedTree, Tree(UnusedTree.FilePath, OtherModule.Replace("int size = 1", "int size = 2", StringComparison.Ordinal)));
        var result = Run(ref driver, edited);

        // The whole catalog changed (Unused's constructor), the part the experiments read did not.
        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, ModuleTypes.TrackingNames.ModuleCatalog));
        AssertNotRerun(result, ModuleTypes.TrackingNames.ReferencedModules);
    }

    [Theory]
    [InlineData("public MyNet(int hidden = 128", "public MyNet(int width = 128")]
    [InlineData("double dropout = 0.2", "float dropout = 0.2f")]
    [InlineData("int[]? channels = null", "int[]? channels = null, bool bias = true")]
    [InlineData("public override Tensor forward(Tensor input) => input;", "public override Tensor forward(Tensor input) => input; // the fingerprint is the file's text")]
    public void Changing_the_named_module_reruns_the_referenced_modules(string from, string to)
    {
        var (driver, compilation, first) = FirstRun();

        var edited = compilation.ReplaceSyntaxTree(MyNetTree, Tree(MyNetTree.FilePath, ModuleLab.MyNet.Replace(from, to, StringComparison.Ordinal)));
        var result = Run(ref driver, edited);

        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, ModuleTypes.TrackingNames.ReferencedModules));
        Assert.NotEqual(Output(first), Output(result));
    }

    [Fact]
    public void Renaming_the_named_class_makes_the_experiment_file_an_error_on_the_next_build()
    {
        var (driver, compilation, _) = FirstRun();

        var edited = compilation.ReplaceSyntaxTree(MyNetTree, Tree(MyNetTree.FilePath, ModuleLab.MyNet.Replace("MyNet", "MyNet2", StringComparison.Ordinal)));
        var result = Run(ref driver, edited);

        Assert.Equal(IncrementalStepRunReason.Modified, Reason(result, ModuleTypes.TrackingNames.ReferencedModules));
        var only = (ModuleCatalog)result.TrackedSteps[ModuleTypes.TrackingNames.ReferencedModules].Single().Outputs.Single().Value;
        var (module, diagnostics) = ModuleLab.Bind(only, "model:\n  class: MyNet\n");
        Assert.Null(module);
        Assert.Equal("(2,10): EXP0030: No class named 'MyNet' in the project's C# code (did you mean 'MyNet2'?); the model modules are: Experiments.Runner.Models.MyNet2, Lab.Unused", ModuleLab.Line(Assert.Single(diagnostics)));
    }

    [Fact]
    public void The_catalog_holds_no_compiler_objects_and_two_runs_are_equal()
    {
        var (_, _, first) = FirstRun();
        var (_, _, second) = FirstRun();

        foreach (var name in new[] { ModuleTypes.TrackingNames.ModuleType, ModuleTypes.TrackingNames.ModuleCatalog, ModuleTypes.TrackingNames.ReferencedModules })
        {
            var left = first.TrackedSteps[name].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
            var right = second.TrackedSteps[name].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
            Assert.Equal(left, right);
            Assert.All(left, v => Assert.False(v is ISymbol or SyntaxNode or Location or Compilation, name));
        }
    }

    private static SyntaxTree Tree(string path, string text) => CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path);

    private static (GeneratorDriver Driver, Compilation Compilation, GeneratorRunResult Result) FirstRun()
    {
        var compilation = GeneratorHarness.CreateCompilation(MyNetTree, HelperTree, UnusedTree);
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new ProbeGenerator().AsSourceGenerator()],
            additionalTexts: [new InMemoryAdditionalText("/project/experiments/net.txt", "MyNet")],
            parseOptions: GeneratorHarness.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        var result = Run(ref driver, compilation);
        Assert.Equal(["Experiments.Runner.Models.MyNet"], ((ModuleCatalog)result.TrackedSteps[ModuleTypes.TrackingNames.ReferencedModules].Single().Outputs.Single().Value).Types.Select(t => t.FullName));
        return (driver, compilation, result);
    }

    private static GeneratorRunResult Run(ref GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }

    private static IncrementalStepRunReason Reason(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Single().Reason;

    private static void AssertNotRerun(GeneratorRunResult result, string step) =>
        Assert.True(
            Reason(result, step) is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"{step} ran with reason {Reason(result, step)}");

    private static string Output(GeneratorRunResult result) => result.GeneratedSources.Single().SourceText.ToString();

    /// <summary>The wiring the experiment generator uses: the catalog, cut down to the names the files give.</summary>
    private sealed class ProbeGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var referenced = context.AdditionalTextsProvider
                .Select(static (file, cancellationToken) => file.GetText(cancellationToken)!.ToString().Trim())
                .Collect()
                .Select(static (names, _) => names.ToEquatableArray());
            var modules = ModuleTypes.Create(context).Only(referenced);
            context.RegisterSourceOutput(modules, static (output, catalog) => output.AddSource(
                "Modules.g.cs",
                "// " + string.Join(", ", catalog.Types.Select(t => t.FullName + " " + t.SourceSha256 + " " + string.Join(" | ", t.Constructors.Select(c => c.Signature(t.SimpleName))))) + "\n"));
        }
    }
}
