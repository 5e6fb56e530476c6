using System.Text;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;
using Experiments.Generators.Parsing;
using Experiments.Generators.Tests.Infrastructure;
using Experiments.Spelling;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests;

/// <summary>
/// Random text and random edits of valid files: the generator never throws, and either generates code that
/// compiles cleanly or reports at least one EXP diagnostic, at a location inside the file.
/// </summary>
public sealed class PropertyTests
{
    /// <summary>Cases per property; set EXPERIMENTS_FUZZ_CASES to search longer.</summary>
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("EXPERIMENTS_FUZZ_CASES"), out var cases) ? cases : 200;

    /// <summary>
    /// A fixed seed keeps the test deterministic; set EXPERIMENTS_FUZZ_SEED (an integer, or "random") to explore
    /// other inputs. A failure prints the seed to replay.
    /// </summary>
    private static Config FuzzConfig(ulong defaultSeed)
    {
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true);
        var setting = Environment.GetEnvironmentVariable("EXPERIMENTS_FUZZ_SEED");
        if (setting == "random")
        {
            return config;
        }

        var seed = ulong.TryParse(setting, out var parsed) ? parsed : defaultSeed;
        return config.WithReplay(new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), null));
    }

    /// <summary>Pieces of text that matter to YAML, to the parser's checks, or to positions and escaping.</summary>
    private static readonly string[] Tokens =
    [
        ":", ": ", "-", "- ", "[", "]", "{", "}", ",", "#", " # c", "&a ", "*a", "!", "!!str ", "!!python/object:os.system ", "|", "|-\n  ", ">", "'", "\"",
        "%YAML 1.2\n", "@", "`", "?", "? ", "<<: ", "---\n", "...\n", "~", "null", "true", "\n", "\r", "\r\n", "\t", " ", "  ", "\n  ", "\uFEFF",
        "\u2028", "\u2029", "\u0085", "\0", "\u0001", "\\", "\\n", "\\u2028", "\\x85", "\\N", "é", "中文", "\U0001F600", "\uD800", "\uDC00", "0", "1", "9", ".", "e",
        "-1", "1e-5", "1e999", ".inf", ".nan", "0x10", "784", "10", "100000000000", "epochs", "learningRate", "description", "dataset", "mnist",
        "fashion-mnist", "softmax", "momentum: 0.5\n", "seed: 7\n", "*/", "/*", "<summary>", "&amp;", "{0}", "\"\"\"",
        "[0.1, 0.2]", "[1, 2, 3]", ", 0.3", "[]", "extends: ", "extends: fuzz.yaml\n", "extends: ../x.yaml\n", "sweepLimit: 1\n", "\uFFFD",
    ];

    /// <summary>Valid files the edits start from: the shipped ones and one that sets every key.</summary>
    private static readonly string[] ValidFiles =
    [
        GeneratorHarness.ValidYaml,
        // Files that extend another are not valid alone.
        .. RepositoryPaths.ShippedExperimentFiles().Select(File.ReadAllText).Where(text => !text.Contains("\nextends:", StringComparison.Ordinal)),
        """
        # every key
        description: |
          Several lines, "quoted" and \back\slashed,
          with */ and <summary> & {0}
        dataset: fashion-mnist
        inputSize: 784
        numClasses: 10
        epochs: 3
        batchSize: 64
        learningRate: 1e-3
        optimizer: sgd
        momentum: 0.5
        seed: 42
        outputActivation: softmax

        """,
        "{description: 'flow style', inputSize: 784, numClasses: 10, epochs: 1, batchSize: 1, learningRate: 0.5}\n",
    ];

    private static readonly Lazy<Compilation> BaseCompilation = new(() => GeneratorHarness.CreateShippedCompilation());

    [Fact]
    public void RandomEditsOfValidFilesNeverBreakTheGenerator()
    {
        var valid = 0;
        var property = Prop.ForAll(Arb.From(MutatedFile()), text => valid += CheckFile(text) ? 1 : 0);
        Check.One(FuzzConfig(20_251_126), property);

        // Enough edits keep the file valid for the compile half of the property to be exercised.
        Assert.True(valid >= Cases / 10, $"Only {valid} of {Cases} edited files were valid");
    }

    [Fact]
    public void RandomTextNeverBreaksTheGenerator()
    {
        var property = Prop.ForAll(Arb.From(RandomText()), (string text) => { CheckFile(text); });
        Check.One(FuzzConfig(42), property);
    }

    [Fact]
    public void RandomFileNamesNeverBreakTheGenerator()
    {
        var names = Gen.ListOf(Gen.OneOf(Gen.Elements(Tokens), Gen.Elements("a", "B", "z", "7", "-", "_", ".", " ")))
            .Select(parts => string.Concat(parts).Replace("/", string.Empty, StringComparison.Ordinal));
        var property = Prop.ForAll(Arb.From(names), (string name) =>
        {
            var path = GeneratorHarness.ExperimentsDirectory + name + ".yaml";
            var run = GeneratorHarness.Run(BaseCompilation.Value, [new InMemoryAdditionalText(path, GeneratorHarness.ValidYaml)]);
            var diagnostics = run.AssertGeneratorDidNotThrow();
            var context = "File name: " + Escape(name);
            // The generator splits at '\' too (a Windows path); what is after the last separator must be a command-line name.
            if (!Naming.IsCommandLineSafe(Path.GetFileNameWithoutExtension(path[(path.LastIndexOfAny(['/', '\\']) + 1)..])))
            {
                Assert.True(diagnostics.Length == 1 && diagnostics[0].Id == "EXP0020", string.Join("; ", diagnostics) + "\n" + context);
                return;
            }

            if (Naming.ToTypePrefix(Path.GetFileNameWithoutExtension(path)) is null)
            {
                Assert.True(diagnostics.Length == 1 && diagnostics[0].Id == "EXP0011", string.Join("; ", diagnostics) + "\n" + context);
                return;
            }

            Assert.True(diagnostics.IsEmpty, string.Join("; ", diagnostics) + "\n" + context);
            var problems = run.Output.GetDiagnostics();
            Assert.True(problems.IsEmpty, "The generated code does not compile cleanly: " + string.Join("; ", problems) + "\n" + context);
        });
        // Most names are valid, and each valid one is compiled: half as many cases keep the test quick.
        Check.One(FuzzConfig(7).WithMaxTest(Math.Max(1, Cases / 2)), property);
    }

    [Fact]
    public void UnmodifiedBaseFilesAreValid()
    {
        foreach (var text in ValidFiles)
        {
            var (spec, diagnostics) = ParseAndResolve("/project/experiments/base.yaml", SourceText.From(text));
            Assert.Empty(diagnostics);
            Assert.NotNull(spec);
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool TypePrefixIsNullOrAnIdentifierThatCannotBeAKeyword(string? name)
    {
        var prefix = Naming.ToTypePrefix(name ?? string.Empty);
        if (prefix is null)
        {
            return !(name ?? string.Empty).Any(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9'));
        }

        return SyntaxFacts.IsValidIdentifier(prefix)
            && SyntaxFacts.IsValidIdentifier(prefix + "Experiment")
            && SyntaxFacts.GetKeywordKind(prefix + "Model") == SyntaxKind.None
            && char.IsAsciiLetterUpper(prefix[0])
            && prefix.All(char.IsAsciiLetterOrDigit);
    }

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool EditDistanceIsAMetric(NonNull<string> a, NonNull<string> b, NonNull<string> c)
    {
        var (x, y, z) = (Cap(a.Get), Cap(b.Get), Cap(c.Get));
        var xy = EditDistance.Distance(x, y);
        return xy == EditDistance.Distance(y, x)
            && (xy == 0) == (x == y)
            && xy <= Math.Max(x.Length, y.Length)
            && xy >= Math.Abs(x.Length - y.Length)
            && xy <= EditDistance.Distance(x, z) + EditDistance.Distance(z, y);

        static string Cap(string s) => s.Length > 40 ? s[..40] : s;
    }

    /// <summary>Parses one file and resolves it on its own, as the generator's steps do.</summary>
    private static (ExperimentSpec? Spec, IReadOnlyList<DiagnosticInfo> Diagnostics) ParseAndResolve(string path, SourceText text)
    {
        var document = ExperimentParser.Parse(path, text, GeneratorHarness.ExperimentsDirectory, CancellationToken.None);
        var set = ExperimentSet.Create([document], GeneratorHarness.ShippedDatasetSet, new GeneratorSettings(GeneratorHarness.ExperimentsDirectory, GeneratorHarness.DatasetsDirectory));
        return (set.Experiments.FirstOrDefault(), document.Diagnostics.Concat(set.Diagnostics).ToList());
    }

    /// <summary>The property every input must have; returns whether the input was a valid experiment.</summary>
    private static bool CheckFile(string text)
    {
        var sourceText = SourceText.From(text, Encoding.UTF8);
        var file = new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "fuzz.yaml", sourceText);
        var run = GeneratorHarness.Run(BaseCompilation.Value, [file]);
        var context = "Input: " + Escape(text);

        Assert.True(run.Result.Exception is null, "The generator threw: " + run.Result.Exception + "\n" + context);
        var diagnostics = run.GeneratorDiagnostics;
        Assert.True(diagnostics.All(d => d.Id.StartsWith("EXP", StringComparison.Ordinal)), "Non-EXP diagnostic: " + string.Join("; ", diagnostics) + "\n" + context);
        Assert.True(diagnostics.All(d => d.Id != "EXP0010"), "The generator failed internally: " + string.Join("; ", diagnostics) + "\n" + context);

        foreach (var diagnostic in diagnostics)
        {
            // Every diagnostic points into the file, with a line/column span that matches its character span.
            var location = diagnostic.Location;
            Assert.Equal(file.Path, location.GetLineSpan().Path);
            Assert.True(location.SourceSpan.End <= sourceText.Length, $"{diagnostic} is past the end of the file\n{context}");
            Assert.Equal(sourceText.Lines.GetLinePositionSpan(location.SourceSpan), location.GetLineSpan().Span);
            Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
            Assert.False(string.IsNullOrWhiteSpace(diagnostic.GetMessage()));
        }

        var direct = ParseAndResolve(file.Path, sourceText);
        Assert.Equal(direct.Spec is null, direct.Diagnostics.Count > 0);

        if (diagnostics.IsEmpty)
        {
            Assert.NotNull(direct.Spec);
            // One experiment, or one per combination of a sweep (Fuzz_...).
            var generated = run.HintNames.Where(h => h.StartsWith("Fuzz", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(generated);
            var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, "The generated code does not compile: " + string.Join("; ", problems) + "\n" + context + "\n" + run.Source(generated[0]));
            return true;
        }

        Assert.Null(direct.Spec);
        Assert.Equal(new[] { GeneratorHarness.CatalogHintName }, run.HintNames);
        Assert.Equal(
            direct.Diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal),
            diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        return false;
    }

    private static Gen<string> MutatedFile() =>
        from baseText in Gen.Elements(ValidFiles)
        from count in Gen.Choose(1, 4)
        from edits in Gen.ListOf(Edit(), count)
        select edits.Aggregate(baseText, (text, edit) => edit(text));

    private static Gen<string> RandomText() =>
        Gen.OneOf(
            Gen.ListOf(Gen.Elements(Tokens)).Select(parts => string.Concat(parts)),
            Gen.ListOf(Gen.OneOf(Gen.Elements(Tokens), Gen.Choose(0, 0xFFFF).Select(c => ((char)c).ToString()))).Select(parts => string.Concat(parts)),
            ArbMap.Default.GeneratorFor<string>().Select(s => s ?? string.Empty),
            Gen.Choose(1, 3).SelectMany(n => Gen.ListOf(Gen.Elements(Tokens), n)).Select(parts => GeneratorHarness.ValidYaml + string.Concat(parts)));

    /// <summary>One random edit: delete, insert or replace characters, or swap, duplicate or re-indent lines.</summary>
    private static Gen<Func<string, string>> Edit() =>
        from kind in Gen.Choose(0, 5)
        from position in Gen.Choose(0, 10_000)
        from other in Gen.Choose(0, 10_000)
        from length in Gen.Choose(1, 6)
        from token in Gen.Elements(Tokens)
        select (Func<string, string>)(text => Apply(text, kind, position, other, length, token));

    private static string Apply(string text, int kind, int position, int other, int length, string token)
    {
        var at = text.Length == 0 ? 0 : position % (text.Length + 1);
        switch (kind)
        {
            case 0:
                return text.Remove(at, Math.Min(length, text.Length - at));
            case 1:
                return text.Insert(at, token);
            case 2:
                return text.Remove(at, Math.Min(length, text.Length - at)).Insert(at, token);
        }

        var lines = text.Split('\n').ToList();
        var i = position % lines.Count;
        var j = other % lines.Count;
        switch (kind)
        {
            case 3:
                (lines[i], lines[j]) = (lines[j], lines[i]);
                break;
            case 4:
                lines.Insert(j, lines[i]);
                break;
            default:
                lines[i] = new string(' ', length % 4) + lines[i].TrimStart(' ');
                break;
        }

        return string.Join("\n", lines);
    }

    private static string Escape(string text) => SymbolDisplay.FormatLiteral(text, quote: true);
}
