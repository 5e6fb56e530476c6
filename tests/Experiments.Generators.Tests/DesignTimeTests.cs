using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Experiments.Generators.Tests;

/// <summary>
/// The generator reads only what Roslyn hands it (additional files, analyzer config options), so the IDE and
/// <c>dotnet build</c> see the same experiments. RS1035 enforces that at build time; these tests make sure it stays
/// enforced and that the compiled generator really uses no file-system or environment API.
/// </summary>
public sealed class DesignTimeTests
{
    private static readonly string GeneratorDirectory = Path.Combine(RepositoryPaths.Root, "generators", "Experiments.Generators");

    [Fact]
    public void The_generator_project_enforces_the_extended_analyzer_rules_and_suppresses_none()
    {
        var project = File.ReadAllText(Path.Combine(GeneratorDirectory, "Experiments.Generators.csproj"));
        Assert.Contains("<EnforceExtendedAnalyzerRules>true</EnforceExtendedAnalyzerRules>", project, StringComparison.Ordinal);
        Assert.DoesNotContain("RS1035", project, StringComparison.Ordinal);
        foreach (var source in Directory.EnumerateFiles(GeneratorDirectory, "*.cs", SearchOption.AllDirectories).Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(source);
            Assert.DoesNotMatch(@"#pragma\s+warning\s+disable[^\n]*RS1035|SuppressMessage\([^)]*RS1035", text);
        }
    }

    [Fact]
    public void The_compiled_generator_references_no_file_system_or_environment_type()
    {
        string[] banned = ["System.IO.File", "System.IO.Directory", "System.IO.FileInfo", "System.IO.DirectoryInfo", "System.IO.FileStream", "System.Diagnostics.Process"];
        using var stream = File.OpenRead(typeof(ExperimentGenerator).Assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();

        var referenced = metadata.TypeReferences
            .Select(handle => metadata.GetTypeReference(handle))
            .Select(type => metadata.GetString(type.Namespace) + "." + metadata.GetString(type.Name))
            .ToList();

        Assert.Contains("System.IO.Path", referenced);
        Assert.Empty(referenced.Intersect(banned));

        // Iterators read Environment.CurrentManagedThreadId (compiler-generated); nothing else of Environment is used.
        var environmentMembers = metadata.MemberReferences
            .Select(handle => metadata.GetMemberReference(handle))
            .Where(member => member.Parent.Kind == HandleKind.TypeReference
                && metadata.GetString(metadata.GetTypeReference((TypeReferenceHandle)member.Parent).Name) == "Environment")
            .Select(member => metadata.GetString(member.Name))
            .Distinct()
            .ToList();
        Assert.All(environmentMembers, name => Assert.Equal("get_CurrentManagedThreadId", name));
    }
}
