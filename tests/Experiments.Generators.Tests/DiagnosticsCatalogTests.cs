using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Project;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests;

/// <summary>
/// docs/diagnostics.md is where every diagnostic's help link points. These tests keep the page, the descriptors and
/// the release-tracking files in step: one section per id with the descriptor's title, every bad example reports
/// exactly the lines the page shows (file, line, column, id, message, link), and every fix builds clean.
/// </summary>
public sealed partial class DiagnosticsCatalogTests
{
    /// <summary>The experiments folder of the project the page's examples were built in (<c>/home/me/lab</c>).</summary>
    private const string LabExperiments = "/home/me/lab/experiments/";

    /// <summary>The project folder of the page's examples, where their C# files are.</summary>
    private const string LabProject = "/home/me/lab/";

    /// <summary>The datasets folder of the page's examples: the shipped datasets, and the examples' <c>datasets/*.yaml</c> files.</summary>
    private const string LabDatasets = "/home/me/lab/datasets/";

    /// <summary>The generator's version as EXP0046's section writes it, whatever this generator's version is.</summary>
    private const string PageGeneratorVersion = "0.1.0";

    /// <summary>The other version of Experiments.Core in EXP0046's section.</summary>
    private const string PageRuntimeVersion = "0.2.0";

    /// <summary>Diagnostics whose cause is not the text of a file; their sections say how to reproduce them instead.</summary>
    private static readonly string[] NotShownAsYaml = ["EXP0010", "EXP0017", "EXP0018", "EXP0019", "EXP0045", "EXP0046"];

    /// <summary>
    /// Diagnostics that <c>dotnet build</c> reports from Experiments.Generators.targets, before the compiler runs: MSBuild
    /// prints them at the file without a line and column (<c>file : error ...</c>). The generator reports the same id
    /// and message for the files it sees; the page shows the build's form, and the Build tests check it from a real build.
    /// </summary>
    private static readonly string[] ReportedByTheBuild = ["EXP0020"];

    /// <summary>
    /// Ids held for the model declarations (<c>model: mlp</c>, <c>model: layers</c>), which another branch adds: the
    /// ids may skip them until it does.
    /// </summary>
    private static readonly int[] Reserved = [.. Enumerable.Range(21, 9)];

    /// <summary>
    /// Diagnostics of a module class named by <c>model: class:</c>. Until the pipeline reports them, their examples
    /// are bound by <see cref="Modules.ModuleLab"/>: the section's C# files, with the repository's
    /// <c>runner/Models/MyNet.cs</c>, are the project's code, and the <c>model</c> mapping of each file is bound against it.
    /// </summary>
    private static readonly string[] BoundByTheModuleBinder = [.. Enumerable.Range(30, 10).Select(i => "EXP" + i.ToString("D4", CultureInfo.InvariantCulture))];

    public static TheoryData<string> Ids => [.. DiagnosticDescriptors.All.Select(d => d.Id)];

    [Fact]
    public void Ids_are_consecutive_errors_with_a_title_a_message_and_a_link_to_their_section()
    {
        var all = DiagnosticDescriptors.All;

        var last = int.Parse(all[^1].Id[3..], CultureInfo.InvariantCulture);
        var present = all.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(
            Enumerable.Range(1, last).Select(i => "EXP" + i.ToString("D4", CultureInfo.InvariantCulture)).Where(id => present.Contains(id) || !Reserved.Contains(int.Parse(id[3..], CultureInfo.InvariantCulture))),
            all.Select(d => d.Id));
        Assert.EndsWith("/docs/diagnostics.md", DiagnosticDescriptors.HelpLinkBase, StringComparison.Ordinal);
        foreach (var descriptor in all)
        {
            Assert.Equal(DiagnosticDescriptors.HelpLinkBase + "#" + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
            Assert.Equal(DiagnosticSeverity.Error, descriptor.DefaultSeverity);
            Assert.True(descriptor.IsEnabledByDefault, descriptor.Id);
            Assert.Equal("Experiments", descriptor.Category);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString(CultureInfo.InvariantCulture)), descriptor.Id);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture)), descriptor.Id);
            Assert.Same(descriptor, DiagnosticDescriptors.ById(descriptor.Id));
        }
    }

    [Fact]
    public void Every_descriptor_is_in_All()
    {
        var declared = typeof(DiagnosticDescriptors)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();

        Assert.Equal(declared.Count, DiagnosticDescriptors.All.Length);
        Assert.All(declared, d => Assert.Contains(d, DiagnosticDescriptors.All));
    }

    [Fact]
    public void The_page_has_one_section_per_id_in_order_headed_by_the_descriptors_title()
    {
        var lines = Catalogue.Lines();
        var expected = DiagnosticDescriptors.All.Select(d => $"## {d.Id}: {d.Title}").ToList();

        var anchors = lines.Select((line, index) => (line, index)).Where(l => AnchorPattern().IsMatch(l.line)).ToList();
        Assert.Equal(DiagnosticDescriptors.All.Select(d => $"<a id=\"{d.Id.ToLowerInvariant()}\"></a>"), anchors.Select(a => a.line));

        // The heading follows its anchor directly, and every second-level heading is a diagnostic's.
        Assert.Equal(expected, anchors.Select(a => lines[a.index + 1]));
        Assert.Equal(expected, lines.Where(l => l.StartsWith("## ", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_pages_table_of_contents_links_every_section()
    {
        var rows = Catalogue.Lines().Where(l => l.StartsWith("| [EXP", StringComparison.Ordinal));

        Assert.Equal(DiagnosticDescriptors.All.Select(d => $"| [{d.Id}](#{d.Id.ToLowerInvariant()}) | {d.Title} |"), rows);
    }

    [Fact]
    public void The_readme_lists_every_id_in_order_and_links_the_page()
    {
        var readme = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "README.md"));
        var rows = readme.Select(l => ReadmeRowPattern().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);

        Assert.Equal(DiagnosticDescriptors.All.Select(d => d.Id), rows);
        Assert.Contains(readme, l => l.Contains("(docs/diagnostics.md)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_release_tracking_files_list_every_id_with_its_title()
    {
        var directory = Path.Combine(RepositoryPaths.Root, "generators", "Experiments.Generators");
        var rows = new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" }
            .SelectMany(file => File.ReadAllLines(Path.Combine(directory, file)))
            .Select(line => ReleaseRowPattern().Match(line))
            .Where(m => m.Success)
            .Select(m => (Id: m.Groups[1].Value, Category: m.Groups[2].Value, Severity: m.Groups[3].Value, Notes: m.Groups[4].Value))
            .ToList();

        Assert.Equal(DiagnosticDescriptors.All.Select(d => d.Id), rows.Select(r => r.Id).Order(StringComparer.Ordinal));
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            var row = rows.Single(r => r.Id == descriptor.Id);
            Assert.Equal((descriptor.Category, "Error", descriptor.Title.ToString(CultureInfo.InvariantCulture)), (row.Category, row.Severity, row.Notes));
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Each_section_shows_lines_of_its_own_id_with_the_message_format_and_the_link(string id)
    {
        var descriptor = DiagnosticDescriptors.ById(id);
        var section = Catalogue.Section(id);

        Assert.NotEmpty(section.BuildLines);
        foreach (var line in section.BuildLines)
        {
            var match = BuildLinePattern().Match(line);
            Assert.True(match.Success, $"{id}: not a line of build output: {line}");
            Assert.StartsWith(LabProject, match.Groups["path"].Value, StringComparison.Ordinal);
            Assert.Equal(id, match.Groups["id"].Value);
            Assert.Equal(descriptor.HelpLinkUri, match.Groups["link"].Value);
            Assert.Matches(FormatPattern(descriptor), match.Groups["message"].Value);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_bad_example_reports_exactly_the_lines_the_page_shows(string id)
    {
        var section = Catalogue.Section(id);
        IEnumerable<string>? reported;
        if (section.Bad.Count == 0)
        {
            Assert.Contains(id, NotShownAsYaml);
            reported = Reproduce(id);
            if (reported is null)
            {
                // EXP0010 is a bug in the generator: nothing known reproduces it (the format is checked above).
                Assert.Equal("EXP0010", id);
                return;
            }
        }
        else if (BoundByTheModuleBinder.Contains(id))
        {
            reported = Modules.ModuleLab.BindFiles(Files(section.Bad), Files(section.Code)).Diagnostics.Select(d => BuildLine(d.ToDiagnostic()));
        }
        else
        {
            Assert.DoesNotContain(id, NotShownAsYaml);
            var run = RunLab(LabFiles(section.Bad));
            reported = run.AssertGeneratorDidNotThrow().Select(BuildLine);
        }

        var lines = reported.Order(StringComparer.Ordinal).ToList();
        Assert.True(section.BuildLines.Order(StringComparer.Ordinal).SequenceEqual(lines), $"{id}: the bad example reports\n{string.Join("\n", lines)}");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void The_fix_builds_without_a_diagnostic(string id)
    {
        var section = Catalogue.Section(id);
        Assert.True(section.HasFixLabel, $"{id}: the section has no **Fix**");
        Assert.Equal(section.Bad.Count == 0, section.Fix.Count == 0);
        if (section.Fix.Count == 0)
        {
            // The fix is to re-save, rename or report the file: prose, not a file.
            Assert.Contains(id, NotShownAsYaml);
            return;
        }

        if (BoundByTheModuleBinder.Contains(id))
        {
            var (modules, diagnostics) = Modules.ModuleLab.BindFiles(Files(section.Fix), Files(section.Code));
            Assert.Empty(diagnostics.Select(d => BuildLine(d.ToDiagnostic())));
            Assert.NotEmpty(modules);
            Modules.ModuleLab.AssertCreates(modules, Files(section.Code));
            return;
        }

        var run = RunLab(LabFiles(section.Fix));

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        run.AssertCompilesClean();
        var datasets = section.Fix.Where(f => f.Name.StartsWith(DatasetFolder, StringComparison.Ordinal)).ToList();
        if (datasets.Count == section.Fix.Count)
        {
            // A fixed dataset file: it is in the catalog.
            Assert.All(datasets, f => Assert.Contains($" {Parsing.Naming.ToTypePrefix(Path.GetFileNameWithoutExtension(f.Name))} {{ get; }}", run.DatasetCatalog, StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(run.HintNames, h => h != GeneratorHarness.CatalogHintName);
        }
    }

    /// <summary>The name prefix of an example file that is a dataset file (<c>datasets/cifar.yaml</c>).</summary>
    private const string DatasetFolder = "datasets/";

    /// <summary>An example's YAML files: experiment files in the lab's experiments folder, <c>datasets/*.yaml</c> in its datasets folder.</summary>
    private static IEnumerable<AdditionalText> LabFiles(IEnumerable<ExampleFile> files) =>
        files.Select(f => new InMemoryAdditionalText(f.Name.StartsWith(DatasetFolder, StringComparison.Ordinal) ? LabProject + f.Name : LabExperiments + f.Name, f.Content));

    /// <summary>The files the page tells the reader to create, for sections without a bad YAML example.</summary>
    private static IEnumerable<string>? Reproduce(string id)
    {
        const string Rest = "\ninputSize: 784\nnumClasses: 10\nepochs: 5\nbatchSize: 100\nlearningRate: 0.01\n";
        switch (id)
        {
            case "EXP0017":
                // The bytes of the page's printf, read as the compiler reads a file: 'é' is the single byte 0xE9.
                var bytes = Encoding.Latin1.GetBytes("description: Caf\u00e9" + Rest);
                var latin1 = GeneratorHarness.FromBytes(bytes);
                return RunLab([new InMemoryAdditionalText(LabExperiments + "cafe.yaml", latin1)]).AssertGeneratorDidNotThrow().Select(BuildLine);

            case "EXP0018":
                var huge = "description: " + new string('x', 1_000_000) + Rest;
                return RunLab([new InMemoryAdditionalText(LabExperiments + "huge.yaml", huge)]).AssertGeneratorDidNotThrow().Select(BuildLine);

            case "EXP0019":
                // The page's loop: 25 unknown keys after the required ones; the page shows the summary line only.
                var many = "inputSize: 784\nnumClasses: 10\nepochs: 5\nbatchSize: 100\nlearningRate: 0.01\n"
                    + string.Concat(Enumerable.Range(1, 25).Select(i => $"extra{i}: 1\n"));
                return RunLab([new InMemoryAdditionalText(LabExperiments + "many.yaml", many)]).AssertGeneratorDidNotThrow().Where(d => d.Id == id).Select(BuildLine);

            case "EXP0045":
                // The page's Lab.csproj, built with -p:ExperimentsNamespace=my-lab.
                var properties = new Dictionary<string, string>
                {
                    ["ExperimentsNamespace"] = "my-lab",
                    ["RootNamespace"] = "Lab",
                    ["MSBuildProjectFullPath"] = LabProject + "Lab.csproj",
                };
                var driver = GeneratorHarness.CreateDriver([new InMemoryAdditionalText(LabExperiments + "mlp.yaml", "description: fine" + Rest)], LabExperiments, datasets: GeneratorHarness.ShippedDatasetsIn(LabDatasets), datasetsDirectory: LabDatasets, buildProperties: properties);
                return GeneratorHarness.Run(driver, GeneratorHarness.CreateCompilation()).AssertGeneratorDidNotThrow().Select(BuildLine);

            case "EXP0046":
                // The page's project: a runtime of another version beside this generator, here the next minor one. The
                // page writes them as PageGeneratorVersion and PageRuntimeVersion, so the lines are compared in those
                // terms: a new VersionPrefix changes neither the page nor this test.
                var generator = Version.Parse(RuntimeReference.GeneratorVersion);
                var runtime = new Version(generator.Major, generator.Minor + 1, 0);
                var files = new[] { new InMemoryAdditionalText(LabExperiments + "mlp.yaml", "description: fine" + Rest), new InMemoryAdditionalText(LabExperiments + "seed.yaml", "description: too" + Rest) };
                var mismatched = GeneratorHarness.CreateDriver(files, LabExperiments, datasets: GeneratorHarness.ShippedDatasetsIn(LabDatasets), datasetsDirectory: LabDatasets);
                var lines = GeneratorHarness.Run(mismatched, GeneratorHarness.CreateCompilationWithCore(GeneratorHarness.FakeCore(runtime + ".0"))).AssertGeneratorDidNotThrow().Select(BuildLine).ToList();
                Assert.All(lines, l => Assert.Contains($"references Experiments.Core {runtime}, but Experiments.Generators is {generator},", l, StringComparison.Ordinal));
                return lines.Select(l => l.Replace(
                    $"references Experiments.Core {runtime}, but Experiments.Generators is {generator},",
                    $"references Experiments.Core {PageRuntimeVersion}, but Experiments.Generators is {PageGeneratorVersion},",
                    StringComparison.Ordinal));

            default:
                return null;
        }
    }

    /// <summary>Example files with their paths: YAML files in the lab's experiments folder, C# files in the lab's project folder.</summary>
    private static (string Path, string Text)[] Files(IEnumerable<ExampleFile> files) =>
        [.. files.Select(f => (f.Name.EndsWith(".cs", StringComparison.Ordinal) ? LabProject + f.Name : LabExperiments + f.Name, f.Content))];

    /// <summary>Runs the generator on the lab's files, with the shipped datasets in the lab's datasets folder (an example's own replace them).</summary>
    private static GeneratorRun RunLab(IEnumerable<AdditionalText> files)
    {
        var all = files.ToList();
        var shipped = GeneratorHarness.ShippedDatasetsIn(LabDatasets).Where(d => all.All(f => f.Path != d.Path));
        return GeneratorHarness.Run(GeneratorHarness.CreateDriver(all, LabExperiments, datasets: shipped, datasetsDirectory: LabDatasets), GeneratorHarness.CreateCompilation());
    }

    /// <summary>A diagnostic as <c>dotnet build</c> prints it, without the project MSBuild appends.</summary>
    private static string BuildLine(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var start = span.StartLinePosition;
        if (ReportedByTheBuild.Contains(diagnostic.Id))
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"{span.Path} : error {diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)} ({diagnostic.Descriptor.HelpLinkUri})");
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"{span.Path}({start.Line + 1},{start.Character + 1}): error {diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture)} ({diagnostic.Descriptor.HelpLinkUri})");
    }

    /// <summary>The descriptor's message format as a pattern, each argument matching any text.</summary>
    private static string FormatPattern(DiagnosticDescriptor descriptor)
    {
        var escaped = Regex.Escape(descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture));
        var arguments = Regex.Replace(escaped, @"\\\{\d+}", ".*");

        // A literal brace is doubled in a format ({{ and }}) and single in the message.
        return "^" + arguments.Replace(@"\{\{", @"\{", StringComparison.Ordinal).Replace("}}", "}", StringComparison.Ordinal) + "$";
    }

    [GeneratedRegex("^<a id=\"[^\"]*\"></a>$")]
    private static partial Regex AnchorPattern();

    [GeneratedRegex(@"^\| (EXP\d{4}) \|")]
    private static partial Regex ReadmeRowPattern();

    [GeneratedRegex(@"^(EXP\d{4})\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*$")]
    private static partial Regex ReleaseRowPattern();

    [GeneratedRegex(@"^(?<path>.+?)(?:\((?<line>\d+),(?<column>\d+)\)| ): error (?<id>EXP\d{4}): (?<message>.+) \((?<link>https://[^ )]+)\)$")]
    private static partial Regex BuildLinePattern();

    /// <summary>A file of an example: its path under <c>experiments/</c> and its text.</summary>
    private sealed record ExampleFile(string Name, string Content);

    /// <summary>One id's section of the page.</summary>
    private sealed class Section(string id)
    {
        public string Id { get; } = id;

        public List<ExampleFile> Bad { get; } = [];

        public List<ExampleFile> Fix { get; } = [];

        /// <summary>The C# files the section shows (```csharp blocks), part of the project for both its Bad and its Fix.</summary>
        public List<ExampleFile> Code { get; } = [];

        /// <summary>The lines of the text block after "**The build says**" (or "**The message**").</summary>
        public List<string> BuildLines { get; } = [];

        public bool HasFixLabel { get; set; }
    }

    /// <summary>
    /// Reads docs/diagnostics.md. A section starts at its anchor line. "**Bad**", "**The build says**" (or "**The
    /// message**") and "**Fix**" start its parts; a ```yaml block in Bad or Fix is a file, named by the "File: " line
    /// before it; a ```csharp block is a C# file of the project, for the whole section; a ```text block in the build
    /// part holds the lines the build prints.
    /// </summary>
    private static class Catalogue
    {
        private enum Part
        {
            None,
            Bad,
            Says,
            Fix,
        }

        public static string[] Lines() =>
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "diagnostics.md")).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

        public static Section Section(string id)
        {
            var sections = Parse();
            Assert.True(sections.TryGetValue(id, out var section), $"docs/diagnostics.md has no section {id}");
            return section;
        }

        private static Dictionary<string, Section> Parse()
        {
            var lines = Lines();
            var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
            Section? current = null;
            var part = Part.None;
            string? fileName = null;
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                var anchor = Regex.Match(line, "^<a id=\"(exp\\d{4})\"></a>$");
                if (anchor.Success)
                {
                    current = new Section(anchor.Groups[1].Value.ToUpperInvariant());
                    Assert.True(sections.TryAdd(current.Id, current), $"Two sections for {current.Id}");
                    (part, fileName) = (Part.None, null);
                    continue;
                }

                if (current is null)
                {
                    continue;
                }

                if (line.StartsWith("**Bad**", StringComparison.Ordinal))
                {
                    part = Part.Bad;
                }
                else if (line.StartsWith("**The build says**", StringComparison.Ordinal) || line.StartsWith("**The message**", StringComparison.Ordinal))
                {
                    part = Part.Says;
                }
                else if (line.StartsWith("**Fix**", StringComparison.Ordinal))
                {
                    part = Part.Fix;
                    current.HasFixLabel = true;
                }
                else if (line.StartsWith("File: ", StringComparison.Ordinal))
                {
                    fileName = line["File: ".Length..].Trim();
                }
                else if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    var language = line[3..];
                    var body = new List<string>();
                    for (i++; i < lines.Length && lines[i] != "```"; i++)
                    {
                        body.Add(lines[i]);
                    }

                    Assert.True(i < lines.Length, $"{current.Id}: a code block is not closed");
                    if (language == "yaml")
                    {
                        Assert.True(part is Part.Bad or Part.Fix, $"{current.Id}: a yaml block outside **Bad** and **Fix**");
                        Assert.True(fileName is not null, $"{current.Id}: a yaml block without a 'File: ' line before it");
                        (part == Part.Bad ? current.Bad : current.Fix).Add(new ExampleFile(fileName, string.Join("\n", body) + "\n"));
                        fileName = null;
                    }
                    else if (language == "csharp")
                    {
                        Assert.True(fileName is not null, $"{current.Id}: a csharp block without a 'File: ' line before it");
                        current.Code.Add(new ExampleFile(fileName, string.Join("\n", body) + "\n"));
                        fileName = null;
                    }
                    else if (language == "text" && part == Part.Says)
                    {
                        Assert.Empty(current.BuildLines);
                        current.BuildLines.AddRange(body.Where(l => l.Length > 0));
                    }
                }
            }

            return sections;
        }
    }
}
