using Experiments.Build.LibStdCxxCompat;

namespace Experiments.Build.Tests;

/// <summary>
/// Runs `dotnet build` / `dotnet publish` on scratch projects (outside the repository) that import
/// LibStdCxxCompat.targets: incremental behaviour, opt-out, publish, and the no-op for projects without TorchSharp.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TargetsIntegrationTests
{
    private static string TargetsFile => Path.Combine(TestFiles.RepositoryRoot, "build", "LibStdCxxCompat", "LibStdCxxCompat.targets");

    [Fact]
    public void BuildPatchesOnceKeepsItAcrossIncrementalBuildsRepatchesARecopyAndPublishes()
    {
        Assert.True(TestFiles.MachineLacksGlibcxx3432(), "this test expects a machine whose libstdc++ lacks GLIBCXX_3.4.32");
        using var temp = new TemporaryDirectory();
        var project = Path.Combine(temp.Path, "app", "app.csproj");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="{TestFiles.TorchSharpVersion}" />
              </ItemGroup>
              <Import Project="{TargetsFile}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(temp.Path, "app", "Program.cs"), "System.Console.WriteLine(\"ok\");\n");
        var output = Path.Combine(temp.Path, "app", "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var package = TestFiles.OriginalLibTorchSharp();
        var patchedLine = $"patched {output}: GLIBCXX_3.4.32 reference marked weak because this machine's libstdc++ lacks it";

        // First build: copied from the package, then patched, with the message at normal verbosity.
        var first = DotNet(temp, "build", project);
        Assert.Contains(patchedLine, first, StringComparison.Ordinal);
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(output)).IsWeak);

        // Second build: Copy skips the file (same size and timestamp), the task is not even run.
        var second = DotNet(temp, "build", project, "-v:d");
        Assert.DoesNotContain("patched ", second, StringComparison.Ordinal);
        Assert.Contains("Did not copy from file \"" + TestFiles.NuGetLibTorchSharp, second, StringComparison.Ordinal);
        Assert.Contains("unchanged since last checked", second, StringComparison.Ordinal);
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(output)).IsWeak);

        // The output no longer matches the package file (e.g. a newer package file): copied again, patched again.
        File.SetLastWriteTimeUtc(output, DateTime.UtcNow);
        var third = DotNet(temp, "build", project);
        Assert.Contains(patchedLine, third, StringComparison.Ordinal);
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(output)).IsWeak);

        // Opted out: the recopied original stays as it is.
        File.SetLastWriteTimeUtc(output, DateTime.UtcNow);
        var optedOut = DotNet(temp, "build", project, "-p:LibStdCxxCompatEnabled=false");
        Assert.DoesNotContain("patched ", optedOut, StringComparison.Ordinal);
        Assert.Equal(package, File.ReadAllBytes(output));

        // Publish output is patched too.
        var publishDir = Path.Combine(temp.Path, "publish");
        var published = DotNet(temp, "publish", project, $"-o \"{publishDir}\"");
        var publishedLibrary = Path.Combine(publishDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.Contains($"patched {publishedLibrary}: ", published, StringComparison.Ordinal);
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(publishedLibrary)).IsWeak);

        Assert.Equal(package, TestFiles.OriginalLibTorchSharp());
    }

    [Fact]
    public void TheCompiledTaskAssemblyOfThePackageIsLoadedInsteadOfTheSourceAndImportingTwiceDefinesNothingTwice()
    {
        Assert.True(TestFiles.MachineLacksGlibcxx3432(), "this test expects a machine whose libstdc++ lacks GLIBCXX_3.4.32");
        var taskAssembly = TestFiles.Metadata("TaskAssembly");
        Assert.True(File.Exists(taskAssembly), taskAssembly);
        using var temp = new TemporaryDirectory();
        var project = Path.Combine(temp.Path, "app", "app.csproj");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        // As the package's targets do it: the task assembly named, the targets imported unless already imported.
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <LibStdCxxCompatTaskAssembly>{taskAssembly}</LibStdCxxCompatTaskAssembly>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="{TestFiles.TorchSharpVersion}" />
              </ItemGroup>
              <Import Project="{TargetsFile}" Condition="'$(_LibStdCxxCompatImported)' != 'true'" />
              <Import Project="{TargetsFile}" Condition="'$(_LibStdCxxCompatImported)' != 'true'" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(temp.Path, "app", "Program.cs"), "System.Console.WriteLine(\"ok\");\n");
        var output = Path.Combine(temp.Path, "app", "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

        var log = DotNet(temp, "build", project, "-v:d");

        Assert.Contains($"patched {output}: GLIBCXX_3.4.32 reference marked weak because this machine's libstdc++ lacks it", log, StringComparison.Ordinal);
        Assert.Contains($"Using \"MarkLibStdCxxVersionWeak\" task from assembly \"{taskAssembly}\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("RoslynCodeTaskFactory", log, StringComparison.Ordinal);
        Assert.DoesNotContain("MSB4011", log, StringComparison.Ordinal); // "cannot be imported again"
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(output)).IsWeak);
        Assert.Equal(TestFiles.OriginalLibTorchSharp(), File.ReadAllBytes(TestFiles.NuGetLibTorchSharp));
    }

    [Fact]
    public void AProjectWithoutTorchSharpDoesNotCompileOrRunTheTask()
    {
        using var temp = new TemporaryDirectory();
        var project = Path.Combine(temp.Path, "lib", "lib.csproj");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>netstandard2.0</TargetFramework>
              </PropertyGroup>
              <Import Project="{TargetsFile}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(temp.Path, "lib", "Class1.cs"), "public static class Class1 { }\n");

        var log = DotNet(temp, "build", project, "-v:d");

        // Imported and active (so the assertions below are not vacuous) ...
        var properties = DotNet(temp, "msbuild", project, "-getProperty:_LibStdCxxCompatActive");
        Assert.Equal("true", properties.Trim());
        // ... yet no target of it ran, and the task was never compiled.
        Assert.DoesNotContain("RoslynCodeTaskFactory", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Target \"LibStdCxxCompatPatchOutput\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Target \"_LibStdCxxCompatCheckStamp\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("LibStdCxxCompat:", log, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp.Path, "lib", "obj", "Debug", "netstandard2.0", "LibStdCxxCompat.stamp")));
    }

    private static string DotNet(TemporaryDirectory temp, string command, string project, string extra = "")
    {
        var options = command == "msbuild" ? "-nodeReuse:false" : "--disable-build-servers -nodeReuse:false";
        var (exitCode, output) = TestFiles.DotNet($"{command} \"{project}\" {options} {extra}", temp.Path);
        Assert.True(exitCode == 0, $"dotnet {command} failed:\n{output}");
        Assert.DoesNotContain("warning LSCC", output, StringComparison.Ordinal);
        return output;
    }
}
