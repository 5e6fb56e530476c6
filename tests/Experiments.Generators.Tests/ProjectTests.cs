using System.Collections.Immutable;
using System.Reflection;
using Experiments.Generators.Project;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Tests;

/// <summary>
/// What the generator takes from the project rather than from the YAML files: the namespace of the generated code
/// (<c>ExperimentsNamespace</c>, else <c>RootNamespace</c>), the values of <c>ExperimentCatalog.Project</c>, and the
/// version of the Experiments.Core it generates calls to.
/// </summary>
public sealed class ProjectTests
{
    private const string ProjectFile = "/project/Lab.csproj";

    private static readonly InMemoryAdditionalText Mlp = GeneratorHarness.File("mlp.yaml", GeneratorHarness.ValidYaml);

    private static readonly InMemoryAdditionalText Sweep = GeneratorHarness.File("lr.yaml", GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep:\n  learningRate: [0.1, 0.01]", StringComparison.Ordinal));

    public static TheoryData<string, string> InvalidNamespaces => new()
    {
        { "Lab.", "it has an empty part" },
        { ".Lab", "it has an empty part" },
        { "Lab..Models", "it has an empty part" },
        { "my-lab", "the part 'my-lab' is not a C# identifier" },
        { "1Lab", "the part '1Lab' is not a C# identifier" },
        { "Lab Models", "the part 'Lab Models' is not a C# identifier" },
        { "Lab.class", "the part 'class' is a C# keyword (write '@class' to use it as a name)" },
        { "namespace", "the part 'namespace' is a C# keyword" },
        { "Lab.@", "the part '' is not a C# identifier" },
        { "Lab\\u0041", "is not a C# identifier" },
        { "Lab/Models", "is not a C# identifier" },
    };

    [Fact]
    public void GeneratedCodeGoesIntoExperimentsNamespaceOverTheRootNamespace()
    {
        var run = Run(new() { ["ExperimentsNamespace"] = "My.Lab", ["RootNamespace"] = "Other" }, Mlp, Sweep);

        var compilation = run.AssertCompilesClean();
        Assert.All(run.Result.GeneratedSources, s => Assert.Contains("\nnamespace My.Lab;\n", s.SourceText.ToString(), StringComparison.Ordinal));
        foreach (var type in new[] { "ExperimentCatalog", "DatasetCatalog", "MlpExperiment", "MlpHyperparameters", "MlpModel", "LrHyperparameters", "LrMember" })
        {
            Assert.NotNull(compilation.GetTypeByMetadataName("My.Lab." + type));
            Assert.Null(compilation.GetTypeByMetadataName("Experiments.Generated." + type));
            Assert.Null(compilation.GetTypeByMetadataName("Other." + type));
        }

        Assert.Contains("BuiltFiles => global::My.Lab.ExperimentCatalog.FilesOf(SourceFile, \"datasets/mnist.yaml\");", run.Source("Mlp.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void WithoutExperimentsNamespaceTheRootNamespaceIsTaken(string? configured)
    {
        var properties = new Dictionary<string, string> { ["RootNamespace"] = "Lab" };
        if (configured is not null)
        {
            properties["ExperimentsNamespace"] = configured;
        }

        var compilation = Run(properties, Mlp).AssertCompilesClean();

        Assert.NotNull(compilation.GetTypeByMetadataName("Lab.ExperimentCatalog"));
        Assert.NotNull(compilation.GetTypeByMetadataName("Lab.MlpExperiment"));
    }

    [Fact]
    public void WithNeitherPropertyTheNamespaceIsExperimentsGenerated()
    {
        var compilation = Run(new(), Mlp).AssertCompilesClean();

        Assert.Equal("Experiments.Generated", GeneratedNamespace.Default);
        Assert.NotNull(compilation.GetTypeByMetadataName("Experiments.Generated.ExperimentCatalog"));
        Assert.NotNull(compilation.GetTypeByMetadataName("Experiments.Generated.MlpExperiment"));
    }

    [Theory]
    [InlineData("@class.Lab", "class.Lab")]
    [InlineData("Lab.@namespace", "Lab.namespace")]
    [InlineData("Läb.Ωmega_2", "Läb.Ωmega_2")]
    [InlineData(" Lab.Models ", "Lab.Models")]
    [InlineData("var.async", "var.async")]
    public void NamespacesCSharpTakesCompile(string configured, string metadataName)
    {
        var compilation = Run(new() { ["ExperimentsNamespace"] = configured }, Mlp, Sweep).AssertCompilesClean();

        Assert.NotNull(compilation.GetTypeByMetadataName(metadataName + ".ExperimentCatalog"));
        Assert.NotNull(compilation.GetTypeByMetadataName(metadataName + ".LrMember"));
    }

    [Theory]
    [MemberData(nameof(InvalidNamespaces))]
    public void ANamespaceCSharpCannotTakeIsOneErrorAtTheProjectFileAndNothingIsGenerated(string configured, string problem)
    {
        var run = Run(new() { ["ExperimentsNamespace"] = configured, ["RootNamespace"] = "Lab", ["MSBuildProjectFullPath"] = ProjectFile }, Mlp, GeneratorHarness.File("broken.yaml", "learningRate: fast\n"));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0045", diagnostic.Id);
        Assert.Equal(ProjectFile, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(0, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith($"ExperimentsNamespace is '{configured}', which cannot be the namespace of the generated code: ", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.Empty(run.Result.GeneratedSources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void ARootNamespaceCSharpCannotTakeIsMadeSafeAsDotnetNewDoes()
    {
        // The SDK's default RootNamespace of my-lab.csproj: the project builds, in the namespace my_lab.
        var run = Run(new() { ["RootNamespace"] = "my-lab", ["MSBuildProjectFullPath"] = "/project/my-lab.csproj" }, Mlp, Sweep);

        var compilation = run.AssertCompilesClean();
        Assert.All(run.Result.GeneratedSources, s => Assert.Contains("\nnamespace my_lab;\n", s.SourceText.ToString(), StringComparison.Ordinal));
        Assert.NotNull(compilation.GetTypeByMetadataName("my_lab.ExperimentCatalog"));
        Assert.NotNull(compilation.GetTypeByMetadataName("my_lab.DatasetCatalog"));
        Assert.NotNull(compilation.GetTypeByMetadataName("my_lab.LrMember"));
    }

    [Theory]
    [InlineData("1st.lab", "_1st.lab", "_1st.lab")]
    [InlineData("Lab.class", "Lab.@class", "Lab.class")]
    [InlineData("my lab.2024-run", "my_lab._2024_run", "my_lab._2024_run")]
    public void ASafeRootNamespaceCompiles(string root, string source, string metadataName)
    {
        var run = Run(new() { ["RootNamespace"] = root }, Mlp);

        var compilation = run.AssertCompilesClean();
        Assert.Contains($"\nnamespace {source};\n", run.Catalog, StringComparison.Ordinal);
        Assert.NotNull(compilation.GetTypeByMetadataName(metadataName + ".ExperimentCatalog"));
    }

    [Theory]
    [InlineData("Lab", "Lab")]
    [InlineData("My.Lab_2", "My.Lab_2")]
    [InlineData("Läb.Ωmega", "Läb.Ωmega")]
    [InlineData("@class.Lab", "@class.Lab")]
    [InlineData("  my-lab  ", "my_lab")]
    [InlineData("my-lab", "my_lab")]
    [InlineData("my lab", "my_lab")]
    [InlineData("a-b.c d", "a_b.c_d")]
    [InlineData("my+lab=1,2@3", "my_lab_1_2_3")]
    [InlineData("1Lab", "_1Lab")]
    [InlineData("Lab.2024", "Lab._2024")]
    [InlineData("Lab.-x", "Lab._x")]
    [InlineData("class", "@class")]
    [InlineData("Lab.namespace.int", "Lab.@namespace.@int")]
    [InlineData("var.async", "var.async")]
    [InlineData("Lab.", "Lab._")]
    [InlineData(".Lab", "_.Lab")]
    [InlineData("Lab..Models", "Lab._.Models")]
    [InlineData("@", "_")]
    [InlineData("Lab.@", "Lab._")]
    [InlineData("@1a", "@_1a")]
    [InlineData("Lab\\u0041", "Lab_u0041")]
    [InlineData("Lab/Models", "Lab_Models")]
    [InlineData("Caf\u00e9\u0301", "Caf\u00e9\u0301")]
    [InlineData("Lab\U0001F600x", "Lab_x")]
    [InlineData("\u0301Lab", "_\u0301Lab")]
    public void ToSafeNamespaceMakesEveryValueACSharpNamespace(string value, string expected)
    {
        var safe = GeneratedNamespace.ToSafeNamespace(value);

        Assert.Equal(expected, safe);
        Assert.Null(GeneratedNamespace.Problem(safe));
        Assert.Equal(safe, GeneratedNamespace.ToSafeNamespace(safe));
    }

    [Fact]
    public void AnExplicitExperimentsNamespaceIsNotMadeSafe()
    {
        // Only the RootNamespace fallback is: a value the project sets itself is an error, even with a RootNamespace.
        var run = Run(new() { ["ExperimentsNamespace"] = "my-lab", ["RootNamespace"] = "my-lab", ["MSBuildProjectFullPath"] = ProjectFile }, Mlp);

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0045", diagnostic.Id);
        Assert.StartsWith("ExperimentsNamespace is 'my-lab', which cannot be the namespace of the generated code: the part 'my-lab' is not a C# identifier", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Result.GeneratedSources);
    }

    [Fact]
    public void WithoutTheProjectFileTheNamespaceErrorHasNoLocation()
    {
        var run = Run(new() { ["ExperimentsNamespace"] = "my-lab" }, Mlp);

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0045", diagnostic.Id);
        Assert.Equal(Location.None, diagnostic.Location);
    }

    [Fact]
    public void TheCatalogIsAnIExperimentCatalogWithTheProjectAsBuilt()
    {
        var properties = new Dictionary<string, string>
        {
            ["ExperimentsNamespace"] = "Lab",
            ["ExperimentsApplicationName"] = "lab --verbose",
            ["MSBuildProjectDirectory"] = "/home/me/lab",
            ["ProjectDir"] = "/elsewhere/",
            ["ExperimentsDataRoot"] = "/home/me/lab/data/",
            ["ExperimentsResultsDirectory"] = "/home/me/lab/results/",
        };
        var run = Run(properties, Mlp, Sweep);

        var catalog = Load(run, "Lab");
        Assert.Equal(new[] { "lr/learningRate=0.01", "lr/learningRate=0.1", "mlp" }.Order(StringComparer.Ordinal), catalog.Experiments.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(GeneratorHarness.ShippedDatasets.Count, catalog.Datasets.Count);
        Assert.Equal(
            new ExperimentProject
            {
                ApplicationName = "lab --verbose",
                ProjectDirectory = "/home/me/lab",
                DataRoot = "/home/me/lab/data/",
                ResultsDirectory = "/home/me/lab/results/",
                GeneratorVersion = typeof(ExperimentGenerator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion,
            },
            catalog.Project);

        // The static members are the interface's, and Instance is one object.
        var type = catalog.GetType();
        Assert.Same(catalog, type.GetProperty("Instance")!.GetValue(null));
        Assert.Same(catalog.Experiments, type.GetProperty("All")!.GetValue(null));
        Assert.Same(catalog.Project, type.GetProperty("Project")!.GetValue(null));
        Assert.True(type.IsSealed);
        Assert.Empty(type.GetConstructors());
        Assert.Contains("public sealed partial class ExperimentCatalog : global::Experiments.IExperimentCatalog", run.Catalog, StringComparison.Ordinal);
        Assert.Contains("        ApplicationName = \"lab --verbose\",\n        ProjectDirectory = \"/home/me/lab\",\n", run.Catalog, StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesTheBuildDidNotSetAreNullAndTheApplicationNameIsTheRecordsDefault()
    {
        var run = Run(new(), Mlp);

        var project = Load(run, GeneratedNamespace.Default).Project;
        Assert.Equal(ExperimentProject.Unknown.ApplicationName, project.ApplicationName);
        Assert.Null(project.ProjectDirectory);
        Assert.Null(project.DataRoot);
        Assert.Null(project.ResultsDirectory);
        Assert.False(string.IsNullOrEmpty(project.GeneratorVersion));
        Assert.StartsWith(RuntimeReference.GeneratorVersion, project.GeneratorVersion, StringComparison.Ordinal);
        Assert.DoesNotContain("ApplicationName =", run.Catalog, StringComparison.Ordinal);
        Assert.Contains("DataRoot = null,", run.Catalog, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutMSBuildProjectDirectoryTheSdksProjectDirIsTheProjectsFolder()
    {
        var project = Load(Run(new() { ["ProjectDir"] = "/home/me/lab/" }, Mlp), GeneratedNamespace.Default).Project;

        Assert.Equal("/home/me/lab/", project.ProjectDirectory);
    }

    [Theory]
    [InlineData("C:\\Users\\me\\\"lab\"\\")]
    [InlineData("/home/me/caf\u00e9/\u65e5\u672c/\U0001F600/")]
    [InlineData("/home/me/two\nlines\r\nand\ttab\u2028\u0000/")]
    [InlineData("{0} \\u0041 $\"{x}\" @\"y\"")]
    public void ProjectValuesReadBackExactlyWhateverTheyHold(string value)
    {
        var properties = new Dictionary<string, string>
        {
            ["ExperimentsApplicationName"] = value,
            ["MSBuildProjectDirectory"] = value,
            ["ExperimentsDataRoot"] = value + "data",
            ["ExperimentsResultsDirectory"] = value + "results",
        };

        var project = Load(Run(properties, Mlp), GeneratedNamespace.Default).Project;

        Assert.Equal((value, value, value + "data", value + "results"), (project.ApplicationName, project.ProjectDirectory!, project.DataRoot!, project.ResultsDirectory!));
    }

    [Fact]
    public void TwoProjectsInOneSolutionDoNotCollide()
    {
        // Lab.Vision holds mlp.yaml and its own sweep; Lab.App references it and has an mlp.yaml of its own.
        var vision = Run(new() { ["RootNamespace"] = "Lab.Vision" }, Mlp, Sweep).AssertCompilesClean().WithAssemblyName("Lab.Vision");
        using var stream = new MemoryStream();
        var emitted = vision.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

        var program = CSharpSyntaxTree.ParseText(
            """
            namespace Lab.App;

            /// <summary>Both projects' catalogs.</summary>
            public static class Catalogs
            {
                /// <summary>Theirs, then ours.</summary>
                public static global::Experiments.IExperimentCatalog[] All { get; } = [global::Lab.Vision.ExperimentCatalog.Instance, ExperimentCatalog.Instance];

                /// <summary>Every experiment and dataset.</summary>
                public static int Count => global::Lab.Vision.ExperimentCatalog.All.Count + ExperimentCatalog.All.Count + global::Lab.Vision.DatasetCatalog.All.Count + DatasetCatalog.All.Count;

                /// <summary>Their mlp.</summary>
                public static global::Experiments.IExperiment Theirs => new global::Lab.Vision.MlpExperiment();

                /// <summary>Our mlp.</summary>
                public static global::Experiments.IExperiment Ours => new MlpExperiment();
            }
            """,
            GeneratorHarness.ParseOptions,
            "/project/Catalogs.cs");
        var app = GeneratorHarness.CreateCompilation(program).AddReferences(MetadataReference.CreateFromImage(stream.ToArray()));
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver([Mlp], buildProperties: new Dictionary<string, string> { ["RootNamespace"] = "Lab.App" }), app);

        var compilation = run.AssertCompilesClean();
        Assert.NotNull(compilation.GetTypeByMetadataName("Lab.App.ExperimentCatalog"));
        Assert.DoesNotContain(run.Result.GeneratedSources, s => s.SourceText.ToString().Contains("Lab.Vision", StringComparison.Ordinal));
    }

    [Fact]
    public void ACoreOfAnotherVersionIsOneErrorAtTheFirstExperimentFileAndNothingIsGenerated()
    {
        var compilation = GeneratorHarness.CreateCompilationWithCore(GeneratorHarness.FakeCore("9.8.7.0"));
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver([Sweep, Mlp, GeneratorHarness.File("broken.yaml", "learningRate: fast\n")]), compilation);

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0046", diagnostic.Id);
        Assert.Equal(GeneratorHarness.ExperimentsDirectory + "broken.yaml", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(0, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(
            $"The project references Experiments.Core 9.8.7, but Experiments.Generators is {RuntimeReference.GeneratorVersion}, and the code it generates calls the Experiments.Core of its own version; use the same version of the Experiments.Generators and Experiments.Core (or Experiments.Host) packages (nothing is generated until they agree)",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.Result.GeneratedSources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void NoCoreAtAllIsTheSameErrorNamingNoCore()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver([Mlp]), GeneratorHarness.CreateCompilationWithCore(null));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0046", diagnostic.Id);
        Assert.StartsWith($"The project references no Experiments.Core, but Experiments.Generators is {RuntimeReference.GeneratorVersion},", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Equal(Mlp.Path, diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(run.Result.GeneratedSources);
        Assert.Empty(run.CompilationDiagnostics);
    }

    [Fact]
    public void WithoutExperimentFilesTheVersionErrorHasNoLocation()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver([]), GeneratorHarness.CreateCompilationWithCore(GeneratorHarness.FakeCore("0.0.1.0")));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0046", diagnostic.Id);
        Assert.Equal(Location.None, diagnostic.Location);
        Assert.Empty(run.Result.GeneratedSources);
    }

    [Fact]
    public void ACoreThatDiffersOnlyInTheRevisionMatches()
    {
        var version = typeof(ExperimentGenerator).Assembly.GetName().Version!;
        var core = GeneratorHarness.FakeCore($"{version.Major}.{version.Minor}.{version.Build}.{version.Revision + 7}");

        var run = GeneratorHarness.Run(GeneratorHarness.CreateDriver([Mlp]), GeneratorHarness.CreateCompilationWithCore(core));

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        Assert.Contains("Mlp.Experiment.g.cs", run.HintNames);
    }

    [Fact]
    public void TheVersionsAgreeInThisRepository()
    {
        Assert.Equal(RuntimeReference.GeneratorVersion, RuntimeReference.From(GeneratorHarness.CreateCompilation()).CoreVersion);
        var core = typeof(IExperiment).Assembly.GetName().Version!;
        Assert.Equal($"{core.Major}.{core.Minor}.{core.Build}", RuntimeReference.GeneratorVersion);
    }

    [Fact]
    public void AChangedApplicationNameOrDataRootReEmitsTheCatalogOnly()
    {
        var (driver, first) = FirstRun(new() { ["RootNamespace"] = "Lab", ["ExperimentsApplicationName"] = "lab", ["ExperimentsDataRoot"] = "/data/" });

        driver = driver.WithUpdatedAnalyzerConfigOptions(Options(new() { ["RootNamespace"] = "Lab", ["ExperimentsApplicationName"] = "lab2", ["ExperimentsDataRoot"] = "/data2/" }))
            .RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        Assert.All(Outputs(result, ExperimentGenerator.TrackingNames.Project), o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
        // Roslyn's inputs changed (new options, a new compilation object); of the generator's steps read from them,
        // only Project changed. The source outputs are checked below.
        var inputs = new[] { WellKnownGeneratorInputs.AnalyzerConfigOptions, WellKnownGeneratorInputs.Compilation, "SourceOutput" };
        foreach (var (name, steps) in result.TrackedSteps.Where(s => s.Key != ExperimentGenerator.TrackingNames.Project && !inputs.Contains(s.Key)))
        {
            Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Step {name} ran with reason {o.Reason}"));
        }

        var ran = result.TrackedOutputSteps["SourceOutput"].SelectMany(s => s.Outputs).Where(o => o.Reason != IncrementalStepRunReason.Cached).ToList();
        Assert.Single(ran);
        Assert.Equal(IncrementalStepRunReason.Modified, ran[0].Reason);
        Assert.Equal(Sources(first).Remove(GeneratorHarness.CatalogHintName), Sources(result).Remove(GeneratorHarness.CatalogHintName));
        Assert.Contains("ApplicationName = \"lab2\",", Sources(result)[GeneratorHarness.CatalogHintName], StringComparison.Ordinal);
        Assert.Contains("DataRoot = \"/data2/\",", Sources(result)[GeneratorHarness.CatalogHintName], StringComparison.Ordinal);
    }

    [Fact]
    public void AChangedNamespaceReEmitsEverySourceAndReparsesNoFile()
    {
        var (driver, first) = FirstRun(new() { ["RootNamespace"] = "Lab" });

        driver = driver.WithUpdatedAnalyzerConfigOptions(Options(new() { ["RootNamespace"] = "Lab.Two" })).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        foreach (var name in new[] { ExperimentGenerator.TrackingNames.Parse, ExperimentGenerator.TrackingNames.DatasetParse, ExperimentGenerator.TrackingNames.Experiments, ExperimentGenerator.TrackingNames.Models, ExperimentGenerator.TrackingNames.Catalog })
        {
            Assert.All(Outputs(result, name), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Step {name} ran with reason {o.Reason}"));
        }

        Assert.Equal(Sources(first).Keys, Sources(result).Keys);
        Assert.All(Sources(result).Values, text => Assert.Contains("\nnamespace Lab.Two;\n", text, StringComparison.Ordinal));
        Assert.All(Sources(first).Values, text => Assert.Contains("\nnamespace Lab;\n", text, StringComparison.Ordinal));
    }

    [Fact]
    public void ReplacingCoreWithAnotherVersionAndBackRestoresTheOutput()
    {
        var driver = GeneratorHarness.CreateDriver([Mlp, Sweep]);
        driver = driver.RunGenerators(GeneratorHarness.CreateCompilation());
        var first = driver.GetRunResult().Results.Single();

        driver = driver.RunGenerators(GeneratorHarness.CreateCompilationWithCore(GeneratorHarness.FakeCore("0.0.9.0")));
        var mismatched = driver.GetRunResult();
        Assert.Empty(mismatched.Results.Single().GeneratedSources);
        Assert.Equal("EXP0046", Assert.Single(mismatched.Diagnostics).Id);

        driver = driver.RunGenerators(GeneratorHarness.CreateCompilation());
        var restored = driver.GetRunResult();
        Assert.Empty(restored.Diagnostics);
        Assert.Equal(Sources(first), Sources(restored.Results.Single()));
    }

    private static (GeneratorDriver Driver, GeneratorRunResult Result) FirstRun(Dictionary<string, string> properties)
    {
        var driver = GeneratorHarness.CreateDriver([Mlp, Sweep], buildProperties: properties).RunGenerators(GeneratorHarness.CreateCompilation());
        return (driver, driver.GetRunResult().Results.Single());
    }

    private static TestOptionsProvider Options(Dictionary<string, string> properties) =>
        TestOptionsProvider.WithExperimentsDirectory(GeneratorHarness.ExperimentsDirectory, GeneratorHarness.DatasetsDirectory, properties);

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps.TryGetValue(step, out var steps) ? steps.SelectMany(s => s.Outputs) : [];

    private static ImmutableSortedDictionary<string, string> Sources(GeneratorRunResult result) =>
        result.GeneratedSources.ToImmutableSortedDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    private static GeneratorRun Run(Dictionary<string, string> properties, params InMemoryAdditionalText[] files) =>
        GeneratorHarness.Run(GeneratorHarness.CreateDriver(files, buildProperties: properties), GeneratorHarness.CreateCompilation());

    /// <summary>Compiles the run's output, loads it, and returns <c>ExperimentCatalog.Instance</c> of <paramref name="ns"/>.</summary>
    private static IExperimentCatalog Load(GeneratorRun run, string ns)
    {
        var compilation = run.AssertCompilesClean();
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var type = Assembly.Load(stream.ToArray()).GetType(ns + ".ExperimentCatalog")!;
        return (IExperimentCatalog)type.GetProperty("Instance")!.GetValue(null)!;
    }
}
