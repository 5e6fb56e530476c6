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
        var root = TestFiles.RepositoryRoot;
        var projectDirectory = Path.Combine(temp.Path, "lab");
        var project = Path.Combine(projectDirectory, "lab.csproj");
        Directory.CreateDirectory(Path.Combine(projectDirectory, "my-experiments"));
        Directory.CreateDirectory(Path.Combine(projectDirectory, "experiments"));
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <ExperimentsDirectory>$(MSBuildProjectDirectory)/my-experiments/</ExperimentsDirectory>
                <CompilerGeneratedFilesOutputPath>$(BaseIntermediateOutputPath)generated</CompilerGeneratedFilesOutputPath>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{root}src/Experiments.Core/Experiments.Core.csproj" />
                <ProjectReference Include="{root}generators/Experiments.Generators/Experiments.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
              <Import Project="{root}generators/Experiments.Generators/build/Experiments.Generators.targets" />
            </Project>
            """);
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
            ["Cafe.Experiment.g.cs", "ExperimentCatalog.g.cs", "Good.Experiment.g.cs"],
            Directory.GetFiles(generated).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("public const string Description = \"Caf\u00e9 au lait\";", File.ReadAllText(Path.Combine(generated, "Cafe.Experiment.g.cs")), StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output) Build(TemporaryDirectory temp, string project, string extra = "") =>
        TestFiles.DotNet($"build \"{project}\" -nodeReuse:false {extra}", temp.Path);
}
