using System.Text;

namespace Experiments.Build.Tests;

/// <summary>
/// The generator inside a real <c>dotnet build</c> of a scratch project (outside the repository) that uses it the
/// way the runner does: what the compiler hands it is what the in-memory tests assume.
/// </summary>
[Trait("Category", "Integration")]
public sealed class GeneratorBuildTests
{
    [Fact]
    public void AnotherExperimentsFolderIsReadAndBytesThatAreNotUtf8FailTheBuildAtTheByte()
    {
        using var temp = new TemporaryDirectory();
        var projectDirectory = Path.Combine(temp.Path, "lab");
        var project = Path.Combine(projectDirectory, "lab.csproj");
        Directory.CreateDirectory(Path.Combine(projectDirectory, "my-experiments"));
        Directory.CreateDirectory(Path.Combine(projectDirectory, "experiments"));
        WriteProject(
            project,
            "<ExperimentsDirectory>$(MSBuildProjectDirectory)/my-experiments/</ExperimentsDirectory>",
            "<CompilerGeneratedFilesOutputPath>$(BaseIntermediateOutputPath)generated</CompilerGeneratedFilesOutputPath>");
        const string Rest = "\ninputSize: 784\nnumClasses: 10\nepochs: 1\nbatchSize: 100\nlearningRate: 0.1\n";
        File.WriteAllText(Path.Combine(projectDirectory, "my-experiments", "good.yaml"), "description: fine" + Rest);
        var cafe = Path.Combine(projectDirectory, "my-experiments", "cafe.yaml");
        File.WriteAllBytes(cafe, Encoding.Latin1.GetBytes("description: Caf\u00e9 au lait" + Rest));

        // The default folder is not read when the property points elsewhere: this file would fail the build.
        File.WriteAllText(Path.Combine(projectDirectory, "experiments", "ignored.yaml"), "learningRate: fast\n");

        var (failed, output) = Build(temp, project);
        Assert.NotEqual(0, failed);
        Assert.Contains(cafe + "(1,17): error EXP0017: The file is not valid UTF-8", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ignored.yaml", output, StringComparison.Ordinal);
        Assert.DoesNotContain("good.yaml", output, StringComparison.Ordinal);

        // Saved as UTF-8, it builds, and the generated code holds the text exactly.
        File.WriteAllText(cafe, "description: Caf\u00e9 au lait" + Rest, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var (succeeded, log) = Build(temp, project, "-p:EmitCompilerGeneratedFiles=true");
        Assert.True(succeeded == 0, log);
        var generated = Path.Combine(projectDirectory, "obj", "generated", "Experiments.Generators", "Experiments.Generators.ExperimentGenerator");
        Assert.Equal(
            ["Cafe.Experiment.g.cs", "CafeModel.g.cs", "DatasetCatalog.g.cs", "ExperimentCatalog.g.cs", "Good.Experiment.g.cs", "GoodModel.g.cs"],
            Directory.GetFiles(generated).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("public const string Description = \"Caf\u00e9 au lait\";", File.ReadAllText(Path.Combine(generated, "Cafe.Experiment.g.cs")), StringComparison.Ordinal);

        // The folder elsewhere is where the catalog says the files are, with the SHA-256 of their bytes as built, and
        // each experiment has its configuration's hash: nothing is joined to a repository root.
        var catalog = File.ReadAllText(Path.Combine(generated, "ExperimentCatalog.g.cs"));
        var good = Path.Combine(projectDirectory, "my-experiments", "good.yaml");
        Assert.Contains($"public const string ExperimentsDirectory = \"{Path.Combine(projectDirectory, "my-experiments")}/\";", catalog, StringComparison.Ordinal);
        Assert.Contains(
            $"[\"my-experiments/good.yaml\"] = new(\"my-experiments/good.yaml\", ExperimentsDirectory + \"good.yaml\", \"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(good)))}\"),",
            catalog,
            StringComparison.Ordinal);
        Assert.Matches("public const string ConfigurationSha256 = \"[0-9a-f]{64}\";", File.ReadAllText(Path.Combine(generated, "Good.Experiment.g.cs")));
    }

    [Fact]
    public void FileNamesTheCommandLineCannotTakeAreLocatedErrorsAndNeverReachTheCompiler()
    {
        using var temp = new TemporaryDirectory();
        var projectDirectory = Path.Combine(temp.Path, "lab");
        var experiments = Path.Combine(projectDirectory, "experiments");
        Directory.CreateDirectory(experiments);
        var project = Path.Combine(projectDirectory, "lab.csproj");
        WriteProject(project);
        const string Content = "inputSize: 784\nnumClasses: 10\nepochs: 1\nbatchSize: 100\nlearningRate: 0.1\n";
        foreach (var name in new[] { "line\nbreak.yaml", "we\"ird.yaml", "-dash.yaml", "it's.yml", "good.yaml" })
        {
            File.WriteAllText(Path.Combine(experiments, name), Content);
        }

        var (exitCode, output) = Build(temp, project);

        Assert.NotEqual(0, exitCode);
        const string Rule = "cannot name an experiment on the command line: a name must not start with '-' and may hold only letters, digits and . _ - + = , @; rename the file to";
        const string Link = "(https://github.com/experiments-dotnet/experiments/blob/main/docs/diagnostics.md#exp0020)";
        Assert.Contains($"{experiments}/line?break.yaml : error EXP0020: The file name 'line?break.yaml' {Rule} 'line-break.yaml' {Link}", output, StringComparison.Ordinal);
        Assert.Contains($"{experiments}/we\"ird.yaml : error EXP0020: The file name 'we\"ird.yaml' {Rule} 'we-ird.yaml' {Link}", output, StringComparison.Ordinal);
        Assert.Contains($"{experiments}/-dash.yaml : error EXP0020: The file name '-dash.yaml' {Rule} 'dash.yaml' {Link}", output, StringComparison.Ordinal);
        Assert.Contains($"{experiments}/it's.yml : error EXP0020: The file name 'it's.yml' {Rule} 'it-s.yml' {Link}", output, StringComparison.Ordinal);

        // MSBuild has no line and column for them (the Error task takes none). The compiler never saw them: no garbled
        // path, no EXP0001 for a file it could not read; the good file was compiled.
        Assert.DoesNotContain("CS2001", output, StringComparison.Ordinal);
        Assert.DoesNotContain("EXP0001", output, StringComparison.Ordinal);
        Assert.DoesNotContain("good.yaml", output, StringComparison.Ordinal);
        Assert.Equal(4, output.Split('\n').Where(l => l.Contains("error EXP0020", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(" [", StringComparison.Ordinal)]).Distinct().Count());
        Assert.DoesNotMatch(@"error (?!EXP0020)", output);
        Assert.Contains("lab -> ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheProjectsPropertiesReachTheCatalogAHyphenatedProjectNameBuildsAndANamespaceCSharpCannotTakeIsAnErrorAtTheProjectFile()
    {
        using var temp = new TemporaryDirectory();
        var projectDirectory = Path.Combine(temp.Path, "lab");
        Directory.CreateDirectory(Path.Combine(projectDirectory, "experiments"));
        var project = Path.Combine(projectDirectory, "my-lab.csproj");
        WriteProject(
            project,
            "<ExperimentsDataRoot>../shared-data</ExperimentsDataRoot>",
            "<CompilerGeneratedFilesOutputPath>$(BaseIntermediateOutputPath)generated</CompilerGeneratedFilesOutputPath>");
        File.WriteAllText(Path.Combine(projectDirectory, "experiments", "mlp.yaml"), "inputSize: 784\nnumClasses: 10\nepochs: 1\nbatchSize: 100\nlearningRate: 0.1\n");
        File.WriteAllText(Path.Combine(projectDirectory, "Catalogs.cs"), "namespace my_lab;\n\n/// <summary>The catalog as the host takes it.</summary>\npublic static class Catalogs\n{\n    /// <summary>This project's.</summary>\n    public static global::Experiments.IExperimentCatalog Mine => ExperimentCatalog.Instance;\n}\n");

        // The defaults: the RootNamespace (the SDK's is the file name, my-lab, made a C# namespace as dotnet new
        // makes one: my_lab), "dotnet run --", the project's results/; the data root it sets, resolved against the
        // project's folder.
        var (succeeded, log) = Build(temp, project, "-p:EmitCompilerGeneratedFiles=true");
        Assert.True(succeeded == 0, log);
        var generated = Path.Combine(projectDirectory, "obj", "generated", "Experiments.Generators", "Experiments.Generators.ExperimentGenerator");
        var catalog = File.ReadAllText(Path.Combine(generated, "ExperimentCatalog.g.cs"));
        Assert.Contains("\nnamespace my_lab;\n", catalog, StringComparison.Ordinal);
        Assert.Contains($"""
                    ApplicationName = "dotnet run --",
                    ProjectDirectory = "{projectDirectory}",
                    DataRoot = "{Path.Combine(temp.Path, "shared-data")}/",
                    ResultsDirectory = "{Path.Combine(projectDirectory, "results")}/",
                    GeneratorVersion = "
            """.Replace("\r\n", "\n", StringComparison.Ordinal), catalog, StringComparison.Ordinal);
        var editorConfig = Directory.GetFiles(Path.Combine(projectDirectory, "obj"), "*.GeneratedMSBuildEditorConfig.editorconfig", SearchOption.AllDirectories).Single();
        Assert.Single(File.ReadAllLines(editorConfig), l => l.StartsWith("build_property.RootNamespace =", StringComparison.Ordinal));

        // A namespace C# cannot take: one error, at the project file, naming the property and its value (and no
        // generated code, so the project's own code that names the catalog goes too).
        File.Delete(Path.Combine(projectDirectory, "Catalogs.cs"));
        var (failed, output) = Build(temp, project, "-p:ExperimentsNamespace=my-lab");
        Assert.NotEqual(0, failed);
        Assert.Contains($"{project}(1,1): error EXP0045: ExperimentsNamespace is 'my-lab', which cannot be the namespace of the generated code: the part 'my-lab' is not a C# identifier", output, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"error (?!EXP0045)", output);
    }

    /// <summary>
    /// A project that uses the generator the way the runner does (project references to this repository's Core and
    /// generator, its targets imported by path, the repository's datasets), warnings as errors, with <paramref name="properties"/> added.
    /// </summary>
    private static void WriteProject(string project, params string[] properties)
    {
        var root = TestFiles.RepositoryRoot;
        var lines = string.Concat(properties.Select(p => "\n    " + p));
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <DatasetsDirectory>{root}datasets/</DatasetsDirectory>{lines}
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{root}src/Experiments.Core/Experiments.Core.csproj" />
                <ProjectReference Include="{root}generators/Experiments.Generators/Experiments.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
              <Import Project="{root}generators/Experiments.Generators/build/Experiments.Generators.targets" />
            </Project>
            """);
    }

    private static (int ExitCode, string Output) Build(TemporaryDirectory temp, string project, string extra = "") =>
        TestFiles.DotNet($"build \"{project}\" -nodeReuse:false {extra}", temp.Path);
}
