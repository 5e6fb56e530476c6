using System.Reflection;
using System.Runtime.Loader;
using System.Xml.Linq;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using YamlDotNet.RepresentationModel;

namespace Experiments.Generators.Tests;

/// <summary>
/// Free text from the YAML file reaches the generated code intact: the description constant reads back as
/// exactly the string YamlDotNet parsed, whatever characters it holds, and the doc comments stay well formed.
/// </summary>
public sealed class EscapingTests
{
    /// <summary>The <c>description:</c> entry as written in YAML, and the .NET string it means.</summary>
    public static readonly IReadOnlyDictionary<string, (string Yaml, string Expected)> Cases = new Dictionary<string, (string, string)>
    {
        ["double-quote"] = ("description: 'He said \"hi\" and it''s fine'", "He said \"hi\" and it's fine"),
        ["backslash"] = ("description: \"back\\\\slash \\\\ end\\\\\"", "back\\slash \\ end\\"),
        ["escapes"] = ("description: \"tab\\there\\nnewline\"", "tab\there\nnewline"),
        ["literal-block"] = ("description: |\n  line one\n  line \"two\" \\ back\n", "line one\nline \"two\" \\ back\n"),
        ["literal-block-strip"] = ("description: |-\n  a\n   b\n", "a\n b"),
        ["folded-block"] = ("description: >\n  folded\n  text\n\n  para\n", "folded text\npara\n"),
        ["comment-markers"] = ("description: \"ends */ and starts /* and // too\"", "ends */ and starts /* and // too"),
        ["xml"] = ("description: \"<summary>&amp; & </summary> <c>x</c> ]]> <!-- --> <see cref=\\\"X\\\"/>\"", "<summary>&amp; & </summary> <c>x</c> ]]> <!-- --> <see cref=\"X\"/>"),
        ["non-ascii"] = ("description: é 中文 \U0001F600 Ω", "é 中文 \U0001F600 Ω"),
        ["line-separators"] = ("description: \"a\\Lb\\Pc\\u2028d\"", "a\u2028b\u2029c\u2028d"),
        ["next-line"] = ("description: \"\\N next \\x85 line\"", "\u0085 next \u0085 line"),
        // YamlDotNet reads a raw U+0085 or U+2028 as a line break (YAML 1.1): NEL folds into a space, and the
        // line separator, a "specific" line break, is kept (without the spaces around it).
        ["raw-next-line"] = ("description: 'lone \u0085 here'", "lone here"),
        ["raw-line-separator"] = ("description: 'raw \u2028 here'", "raw\u2028here"),
        ["braces"] = ("description: \"{0} {{1}} }{ $\\\"{x}\\\"\"", "{0} {{1}} }{ $\"{x}\""),
        ["hash"] = ("description: \"#not a comment # nor this\"", "#not a comment # nor this"),
        ["hash-comment"] = ("description: plain text # a comment", "plain text"),
        ["preprocessor"] = ("description: |\n  #if DEBUG\n  #error boom\n  #endif\n", "#if DEBUG\n#error boom\n#endif\n"),
        ["controls"] = ("description: \"\\0 nul \\a bell \\e esc \\x01 \\b \\f \\v \\r\"", "\0 nul \a bell \u001b esc \u0001 \b \f \v \r"),
        ["crlf-escape"] = ("description: \"\\r\\n windows\"", "\r\n windows"),
        ["surrogate-pair-escape"] = ("description: \"\\U0001F600 pair\"", "\U0001F600 pair"),
        ["triple-quote"] = ("description: '\"\"\" triple \"\"\"'", "\"\"\" triple \"\"\""),
        ["verbatim-markers"] = ("description: '@\"x\" u8 \\u0041'", "@\"x\" u8 \\u0041"),
        ["empty-quoted"] = ("description: \"\"", ""),
        ["empty"] = ("description:", ""),
        ["number-as-text"] = ("description: 12.50", "12.50"),
        ["long"] = ("description: \"" + new string('x', 300) + "\\n" + new string('y', 300) + "\"", new string('x', 300) + "\n" + new string('y', 300)),
        ["bidi"] = ("description: \"\\u202E evil \\u200B zero width \\uFEFF bom\"", "\u202E evil \u200B zero width \uFEFF bom"),
        ["unassigned"] = ("description: \"\\uFFFF \\uFFFE \\u0378\"", "\uFFFF \uFFFE \u0378"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void DescriptionReadsBackExactly(string caseName)
    {
        var (yaml, expected) = Cases[caseName];
        var content = yaml + (yaml.EndsWith('\n') ? string.Empty : "\n") + string.Join("\n", GeneratorHarness.ValidLines.Skip(1)) + "\n";

        // The expectation is what YamlDotNet itself makes of the file.
        Assert.Equal(expected, ParseWithYamlDotNet(content));

        var run = GeneratorHarness.Run(GeneratorHarness.File("text.yaml", content));
        Assert.Empty(run.AssertGeneratorDidNotThrow());
        var compilation = run.AssertCompilesClean();

        var hyperparameters = compilation.GetTypeByMetadataName("Experiments.Generated.TextHyperparameters");
        Assert.NotNull(hyperparameters);
        var field = Assert.IsAssignableFrom<IFieldSymbol>(Assert.Single(hyperparameters!.GetMembers("Description")));
        Assert.True(field.IsConst);
        Assert.Equal(expected, field.ConstantValue);

        // The runner's doc comment summarises the description on one line, as well-formed XML.
        var runner = compilation.GetTypeByMetadataName("Experiments.Generated.TextExperiment");
        Assert.NotNull(runner);
        var summary = XElement.Parse(runner!.GetDocumentationCommentXml()!).Element("summary")!.Value;
        Assert.StartsWith("Experiment text", summary, StringComparison.Ordinal);
        Assert.DoesNotContain(summary, c => c is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029');
        if (expected.Length is > 0 and <= 200 && expected.All(c => !char.IsControl(c) && !char.IsWhiteSpace(c) || c == ' ') && expected.Trim() == expected && !expected.Any(c => char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF'))
        {
            Assert.Equal("Experiment text: " + expected, summary);
        }
    }

    [Fact]
    public void EveryDescriptionSurvivesEmitAndLoad()
    {
        var names = Cases.Keys.ToList();
        var files = names.Select((name, i) =>
        {
            var (yaml, _) = Cases[name];
            var content = yaml + (yaml.EndsWith('\n') ? string.Empty : "\n") + string.Join("\n", GeneratorHarness.ValidLines.Skip(1)) + "\n";
            return (AdditionalText)GeneratorHarness.File($"case{i:D2}.yaml", content);
        }).ToArray();

        var compilation = GeneratorHarness.Run(files).AssertCompilesClean();
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));

        var context = new AssemblyLoadContext("generated-experiments", isCollectible: true);
        try
        {
            stream.Position = 0;
            var assembly = context.LoadFromStream(stream);
            for (var i = 0; i < names.Count; i++)
            {
                var type = assembly.GetType($"Experiments.Generated.Case{i:D2}Hyperparameters", throwOnError: true)!;
                var value = type.GetField("Description", BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue();
                Assert.True(Equals(Cases[names[i]].Expected, value), $"Case {names[i]}: got {value}");

                // The runner's instance property returns the same text.
                var runner = (Experiments.IExperiment)Activator.CreateInstance(assembly.GetType($"Experiments.Generated.Case{i:D2}Experiment", throwOnError: true)!)!;
                Assert.Equal(Cases[names[i]].Expected, runner.Description);
                Assert.Equal($"case{i:D2}", runner.Name);
                Assert.Equal($"experiments/case{i:D2}.yaml", runner.SourceFile);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    [Theory]
    [InlineData("naïve-café.yaml")]
    [InlineData("cafe\u0301-decomposed.yaml")]
    [InlineData("\u5b66\u4e60\u7387-lr.yaml")]
    [InlineData("x*/y.yaml")]
    [InlineData("a+b=c,d@e.f_g.yaml")]
    public void OddFileNamesStillGenerateCleanCode(string fileName)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File(fileName, GeneratorHarness.ValidYaml));

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        var compilation = run.AssertCompilesClean();
        var name = Path.GetFileNameWithoutExtension(fileName);
        var prefix = Parsing.Naming.ToTypePrefix(name)!;
        var runner = compilation.GetTypeByMetadataName($"Experiments.Generated.{prefix}Experiment");
        Assert.NotNull(runner);

        // The Name property returns the file name exactly.
        var nameProperty = runner!.GetMembers("Name").OfType<IPropertySymbol>().Single();
        var syntax = nameProperty.DeclaringSyntaxReferences.Single().GetSyntax();
        var literal = syntax.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax>().Single();
        Assert.Equal(name, literal.Token.ValueText);
    }

    /// <summary>Names that cannot be typed as a name on a command line, or break the compiler's: EXP0020 with a name to use.</summary>
    [Theory]
    [InlineData("we\"ird.yaml", "we\"ird.yaml", "we-ird.yaml")]
    [InlineData("it's.yaml", "it's.yaml", "it-s.yaml")]
    [InlineData("naïve café.yaml", "naïve café.yaml", "naïve-café.yaml")]
    [InlineData("line\nbreak.yml", "line?break.yml", "line-break.yml")]
    [InlineData("line\u2028separator.yaml", "line?separator.yaml", "line-separator.yaml")]
    [InlineData("next\u0085line.yaml", "next?line.yaml", "next-line.yaml")]
    [InlineData("tab\t\t.yaml", "tab??.yaml", "tab.yaml")]
    [InlineData("-dash.yaml", "-dash.yaml", "dash.yaml")]
    [InlineData("a&b<c>.yaml", "a&b<c>.yaml", "a-b-c.yaml")]
    [InlineData("50%.yaml", "50%.yaml", "50.yaml")]
    [InlineData("a;b.yaml", "a;b.yaml", "a-b.yaml")]
    [InlineData("run\U0001F600.yaml", "run\U0001F600.yaml", "run.yaml")]
    [InlineData("--.yaml", "--.yaml", "experiment.yaml")]
    public void FileNamesTheCommandLineCannotTakeAreRejectedWithANameToUse(string fileName, string shown, string suggested)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File(fileName, GeneratorHarness.ValidYaml));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0020", diagnostic.Id);
        Assert.Equal(GeneratorHarness.ExperimentsDirectory + fileName, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(0, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(
            $"The file name '{shown}' cannot name an experiment on the command line: a name must not start with '-' and may hold only letters, digits and . _ - + = , @; rename the file to '{suggested}'",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
        run.AssertCompilesClean();

        // The suggestion is itself a good name.
        var renamed = GeneratorHarness.Run(GeneratorHarness.File(suggested, GeneratorHarness.ValidYaml));
        Assert.Empty(renamed.AssertGeneratorDidNotThrow());
    }

    [Fact]
    public void TheBuildStepRejectsExactlyTheCharactersTheGeneratorDoes()
    {
        // Experiments.Generators.targets keeps such files from the compiler with the same rule, as a regex.
        var targets = XDocument.Load(Path.Combine(RepositoryPaths.Root, "generators", "Experiments.Generators", "build", "Experiments.Generators.targets"));
        var pattern = targets.Descendants(targets.Root!.Name.Namespace + "_ExperimentUnsafeCharacter").Single().Value;
        var regex = new System.Text.RegularExpressions.Regex(pattern);

        for (var c = char.MinValue; c < char.MaxValue; c++)
        {
            var name = "a" + c + "b";
            Assert.True(regex.IsMatch(name) == !Parsing.Naming.IsCommandLineSafe(name), $"U+{(int)c:X4}");
        }

        Assert.False(Parsing.Naming.IsCommandLineSafe("-a"));
        Assert.True(Parsing.Naming.IsCommandLineSafe("a-"));
    }

    [Fact]
    public void AFileTheCompilerCouldNotReadIsReportedForItsNameAlone()
    {
        var run = GeneratorHarness.Run(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "a\"b.yaml", text: null));

        Assert.Equal("EXP0020", Assert.Single(run.AssertGeneratorDidNotThrow()).Id);
    }

    private static string ParseWithYamlDotNet(string content)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(content));
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        var value = (YamlScalarNode)root.Children[new YamlScalarNode("description")];
        return value.Value ?? string.Empty;
    }
}
