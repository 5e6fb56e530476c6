using System.Xml.Linq;
using Xunit.Abstractions;

namespace Experiments.Packaging.Tests;

/// <summary>What each packed package holds: the files a user's build needs where NuGet looks for them, and the metadata.</summary>
[Collection(PackagesCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PackageLayoutTests(PackagesFixture packages, ITestOutputHelper output)
{
    [Fact]
    public void EveryPackageHasItsReadmeLicenceExpressionRepositoryAndVersion()
    {
        WriteLog();
        foreach (var id in PackagesFixture.PackageIds)
        {
            var path = packages.PackagePath(id);
            Assert.True(File.Exists(path), $"{path} was not packed");
            var entries = packages.Entries(path);
            Assert.Contains("README.md", entries);

            var metadata = Metadata(path, id);
            Assert.Equal(id, Value(metadata, "id"));
            Assert.Equal(packages.Version, Value(metadata, "version"));
            Assert.Equal("README.md", Value(metadata, "readme"));
            var license = metadata.Element(metadata.Name.Namespace + "license");
            Assert.NotNull(license);
            Assert.Equal("expression", license.Attribute("type")?.Value);
            Assert.Equal("MIT", license.Value);
            Assert.Equal("https://github.com/experiments-dotnet/experiments", Value(metadata, "projectUrl"));
            var repository = metadata.Element(metadata.Name.Namespace + "repository");
            Assert.NotNull(repository);
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.Equal("https://github.com/experiments-dotnet/experiments", repository.Attribute("url")?.Value);
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
            Assert.False(string.IsNullOrWhiteSpace(Value(metadata, "description")), $"{id} has no description");
        }

        Assert.True(File.Exists(Path.Combine(PackagesFixture.RepositoryRoot, "LICENSE")), "the repository has no LICENSE file");
    }

    [Fact]
    public void TheGeneratorPackageHoldsTheAnalyzersTheTargetsAndTheCompiledTask()
    {
        var path = packages.PackagePath("Experiments.Generators");
        var entries = packages.Entries(path);
        foreach (var expected in new[]
        {
            "analyzers/dotnet/cs/Experiments.Generators.dll",
            "analyzers/dotnet/cs/YamlDotNet.dll",
            "analyzers/dotnet/cs/Experiments.Analyzers.dll",
            "build/Experiments.Generators.props",
            "build/Experiments.Generators.targets",
            "build/Experiments.Generators.Common.targets",
            "build/LibStdCxxCompat.targets",
            "buildTransitive/Experiments.Generators.props",
            "buildTransitive/Experiments.Generators.targets",
            "tasks/netstandard2.0/Experiments.Build.Tasks.dll",
        })
        {
            Assert.Contains(expected, entries);
        }

        // Nothing for the compiler to reference and nothing for the user's output: a development dependency.
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        var metadata = Metadata(path, "Experiments.Generators");
        Assert.Equal("true", Value(metadata, "developmentDependency"));

        // The repository's targets, as they are in the repository (the package wraps them, never copies them by hand).
        Assert.Equal(
            File.ReadAllText(Path.Combine(PackagesFixture.RepositoryRoot, "generators", "Experiments.Generators", "build", "Experiments.Generators.targets")),
            packages.ReadEntry(path, "build/Experiments.Generators.Common.targets"));
        Assert.Contains("LibStdCxxCompatTaskAssembly", packages.ReadEntry(path, "build/Experiments.Generators.props"), StringComparison.Ordinal);
    }

    [Fact]
    public void TheLibraryPackagesHaveTheirAssemblyAndSymbols()
    {
        foreach (var id in new[] { "Experiments.Core", "Experiments.Host" })
        {
            var entries = packages.Entries(packages.PackagePath(id));
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.True(File.Exists(packages.SymbolPackagePath(id)), $"{id} has no symbols package");
            Assert.Contains($"lib/net10.0/{id}.pdb", packages.Entries(packages.SymbolPackagePath(id)));
        }

        Assert.Contains("lib/net10.0/Experiments.Core.xml", packages.Entries(packages.PackagePath("Experiments.Core")));

        // The runtime depends on TorchSharp, never on a libtorch build: the application picks one.
        var core = Metadata(packages.PackagePath("Experiments.Core"), "Experiments.Core");
        var dependencies = core.Descendants(core.Name.Namespace + "dependency").Select(d => d.Attribute("id")?.Value).ToList();
        Assert.Contains("TorchSharp", dependencies);
        Assert.DoesNotContain("TorchSharp-cpu", dependencies);
        Assert.DoesNotContain("libtorch-cpu", dependencies);

        // The host depends on exactly the runtime of the same release (it uses Core's internals): [0.1.0], not 0.1.0 or newer.
        var host = Metadata(packages.PackagePath("Experiments.Host"), "Experiments.Host");
        var onCore = host.Descendants(host.Name.Namespace + "dependency").FirstOrDefault(d => d.Attribute("id")?.Value == "Experiments.Core");
        Assert.NotNull(onCore);
        Assert.Equal($"[{packages.Version}]", onCore.Attribute("version")?.Value);
    }

    [Fact]
    public void TheTemplatePackageHoldsTheTemplateWithThisReleasesVersionsAndTheRepositorysFiles()
    {
        var path = packages.PackagePath("Experiments.Templates");
        var entries = packages.Entries(path);
        var metadata = Metadata(path, "Experiments.Templates");
        Assert.Equal("Template", metadata.Element(metadata.Name.Namespace + "packageTypes")?.Elements().Single().Attribute("name")?.Value);

        var template = packages.ReadEntry(path, "content/Lab/.template.config/template.json");
        Assert.Contains("\"shortName\": \"experiments\"", template, StringComparison.Ordinal);
        Assert.Contains("\"identity\": \"Experiments.Templates.Lab\"", template, StringComparison.Ordinal);
        Assert.Contains("\"sourceName\": \"MyLab\"", template, StringComparison.Ordinal);

        var project = packages.ReadEntry(path, "content/Lab/MyLab.csproj");
        Assert.Contains($"<PackageReference Include=\"Experiments.Host\" Version=\"{packages.Version}\" />", project, StringComparison.Ordinal);
        Assert.Contains($"<PackageReference Include=\"Experiments.Generators\" Version=\"{packages.Version}\" PrivateAssets=\"all\" />", project, StringComparison.Ordinal);
        Assert.Matches("<PackageReference Include=\"TorchSharp-cpu\" Version=\"[0-9]+\\.[0-9]+\\.[0-9]+\" />", project);
        var tests = packages.ReadEntry(path, "content/Lab/MyLab.Tests/MyLab.Tests.csproj");
        Assert.DoesNotContain("_VERSION", project + tests, StringComparison.Ordinal);
        Assert.Contains("<ProjectReference Include=\"../*.csproj\" />", tests, StringComparison.Ordinal);

        // Taken from the repository when packed, byte for byte.
        foreach (var (entry, file) in new[]
        {
            ("content/Lab/experiments/seed-recipe.yaml", "experiments/seed-recipe.yaml"),
            ("content/Lab/experiments/experiment.schema.json", "experiments/experiment.schema.json"),
            ("content/Lab/datasets/mnist.yaml", "datasets/mnist.yaml"),
            ("content/Lab/datasets/dataset.schema.json", "datasets/dataset.schema.json"),
        })
        {
            Assert.Equal(File.ReadAllText(Path.Combine(PackagesFixture.RepositoryRoot, file)), packages.ReadEntry(path, entry));
        }

        foreach (var expected in new[] { "content/Lab/Program.cs", "content/Lab/README.md", "content/Lab/.gitignore", "content/Lab/MyLab.Tests/CatalogTests.cs" })
        {
            Assert.Contains(expected, entries);
        }
    }

    [Fact]
    public void TheTemplateCreatesTheProjectOutsideTheRepository()
    {
        Assert.False(packages.Project.StartsWith(PackagesFixture.RepositoryRoot, StringComparison.Ordinal));
        foreach (var file in new[]
        {
            "my-lab.csproj", "Program.cs", "README.md", ".gitignore", "experiments/seed-recipe.yaml", "experiments/experiment.schema.json",
            "datasets/mnist.yaml", "datasets/dataset.schema.json", "my-lab.Tests/my-lab.Tests.csproj", "my-lab.Tests/CatalogTests.cs",
        })
        {
            Assert.True(File.Exists(Path.Combine(packages.Project, file)), $"dotnet new experiments made no {file}");
        }

        Assert.False(Directory.Exists(Path.Combine(packages.Project, ".template.config")));
        Assert.Contains("ExperimentHost.Run(args, ExperimentCatalog.Instance)", File.ReadAllText(Path.Combine(packages.Project, "Program.cs")), StringComparison.Ordinal);

        // my-lab is no C# namespace: inside the files it is my_lab, in file names my-lab, and no path inside a file names it.
        Assert.Contains("<RootNamespace>my_lab</RootNamespace>", File.ReadAllText(Path.Combine(packages.Project, "my-lab.csproj")), StringComparison.Ordinal);
        Assert.Contains("using my_lab;", File.ReadAllText(Path.Combine(packages.Project, "Program.cs")), StringComparison.Ordinal);
        Assert.Contains("<ProjectReference Include=\"../*.csproj\" />", File.ReadAllText(Path.Combine(packages.Project, "my-lab.Tests", "my-lab.Tests.csproj")), StringComparison.Ordinal);
    }

    private void WriteLog()
    {
        foreach (var line in packages.Log)
        {
            output.WriteLine(line);
        }
    }

    private static XElement Metadata(string path, string id)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(path);
        using var stream = archive.GetEntry(id + ".nuspec")!.Open();
        var document = XDocument.Load(stream);
        return document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Value(XElement metadata, string name) => metadata.Element(metadata.Name.Namespace + name)?.Value;
}
