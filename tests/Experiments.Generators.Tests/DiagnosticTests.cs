using System.Text;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests;

/// <summary>
/// Bad experiment files become EXP diagnostics on the right file, line and column, never exceptions, and
/// generate nothing for that experiment.
/// </summary>
public sealed class DiagnosticTests
{
    private const string AllKeys = "description, dataset, inputSize, numClasses, epochs, batchSize, learningRate, optimizer, momentum, seed, outputActivation, nesterov, weightDecay, lrSchedule, lrStepEpochs, lrStepGamma, normalize, validationSplit, earlyStoppingPatience, augment, deskew, device, extends, sweepLimit, model, sweep";

    [Fact]
    public void MisspeltKeySuggestsTheRealOne()
    {
        var diagnostics = RunBad("bad.yaml", WithLine(7, "learingRate: 0.001"));

        var unknown = Single(diagnostics, "EXP0002");
        AssertAt(unknown, "bad.yaml", line: 7, column: 1, endLine: 7, endColumn: 12);
        Assert.Equal($"Unknown key 'learingRate' (did you mean 'learningRate'?); valid keys are: {AllKeys}", unknown.GetMessage());

        // The real key is then missing too, but a file with errors is not checked further: no cascade of errors.
        Assert.Single(diagnostics);
    }

    [Fact]
    public void TwoThousandUnknownKeysPrintTwentyAndOneLineForTheRest()
    {
        var keys = string.Concat(Enumerable.Range(1, 2000).Select(i => $"unknown{i}: 1\n"));
        var diagnostics = RunBad("many.yaml", GeneratorHarness.ValidYaml + keys);

        Assert.Equal(21, diagnostics.Length);
        Assert.Equal(20, diagnostics.Count(d => d.Id == "EXP0002"));
        Assert.Contains("'unknown20'", diagnostics.Last(d => d.Id == "EXP0002").GetMessage(), StringComparison.Ordinal);

        // The summary stands where the first key left out is: line 8 is unknown1, so unknown21 is on line 28.
        var rest = Single(diagnostics, "EXP0019");
        AssertAt(rest, "many.yaml", line: 28, column: 1);
        Assert.Equal("... and 1980 more EXP0002 errors in this file, not shown (only the first 20 of each id are reported)", rest.GetMessage());
    }

    [Fact]
    public void TheCapCountsEachIdOnItsOwn()
    {
        var keys = string.Concat(Enumerable.Range(1, 25).Select(i => $"unknown{i}: 1\nseed{i}: x\n".Replace($"seed{i}", i == 1 ? "seed" : $"seed{i}", StringComparison.Ordinal)));
        var diagnostics = RunBad("many.yaml", GeneratorHarness.ValidYaml + keys);

        // 25 unknown keys (24 seedN and 25 unknownN: 49) capped at 20, and one bad seed value: every id is still seen.
        Assert.Equal(20, diagnostics.Count(d => d.Id == "EXP0002"));
        Assert.Single(diagnostics, d => d.Id == "EXP0003");
        Assert.Contains("29 more EXP0002", Single(diagnostics, "EXP0019").GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeyFarFromAnyRealOneHasNoSuggestion()
    {
        var diagnostics = RunBad("bad.yaml", GeneratorHarness.ValidYaml + "colour: blue\n");

        var unknown = Assert.Single(diagnostics);
        Assert.Equal("EXP0002", unknown.Id);
        AssertAt(unknown, "bad.yaml", line: 8, column: 1, endLine: 8, endColumn: 7);
        Assert.Equal($"Unknown key 'colour'; valid keys are: {AllKeys}", unknown.GetMessage());
    }

    [Fact]
    public void WordForANumberIsReportedAtTheValue()
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", WithLine(7, "learningRate: fast")));

        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        AssertAt(diagnostic, "bad.yaml", line: 7, column: 15, endLine: 7, endColumn: 19);
        Assert.Equal("learningRate must be a positive number, but is 'fast'", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData(5, "epochs: -1", 9, "epochs must be a whole number from 1 to 100000, but is '-1'")]
    [InlineData(5, "epochs: 0", 9, "epochs must be a whole number from 1 to 100000, but is '0'")]
    [InlineData(5, "epochs: 2.5", 9, "epochs must be a whole number from 1 to 100000, but is '2.5'")]
    [InlineData(5, "epochs: 1e3", 9, "epochs must be a whole number from 1 to 100000, but is '1e3'")]
    [InlineData(5, "epochs: 99999999999999999999", 9, "epochs must be a whole number from 1 to 100000, but is '99999999999999999999'")]
    [InlineData(5, "epochs: \"5\"", 9, "epochs must be a whole number from 1 to 100000, but is the quoted text '5'")]
    [InlineData(5, "epochs: '5'", 9, "epochs must be a whole number from 1 to 100000, but is the quoted text '5'")]
    [InlineData(5, "epochs:", 8, "epochs must be a whole number from 1 to 100000, but is empty")]
    [InlineData(5, "sweep: {epochs: [[5]]}", 18, "epochs must be a whole number from 1 to 100000, but is a list")]
    [InlineData(5, "epochs: {a: 5}", 9, "epochs must be a whole number from 1 to 100000, but is a mapping")]
    [InlineData(6, "batchSize: 0", 12, "batchSize must be a whole number from 1 to 1000000, but is '0'")]
    [InlineData(6, "batchSize: -100", 12, "batchSize must be a whole number from 1 to 1000000, but is '-100'")]
    [InlineData(7, "learningRate: 0", 15, "learningRate must be a positive number, but is '0'")]
    [InlineData(7, "learningRate: -0.1", 15, "learningRate must be a positive number, but is '-0.1'")]
    [InlineData(7, "learningRate: .nan", 15, "learningRate must be a positive number, but is '.nan'")]
    [InlineData(7, "learningRate: .inf", 15, "learningRate must be a positive number, but is '.inf'")]
    [InlineData(7, "learningRate: 1e999", 15, "learningRate must be a positive number, but is '1e999'")]
    [InlineData(7, "learningRate: NaN", 15, "learningRate must be a positive number, but is 'NaN'")]
    [InlineData(7, "learningRate: 0,001", 15, "learningRate must be a positive number, but is '0,001'")]
    [InlineData(7, "learningRate: \"0.001\"", 15, "learningRate must be a positive number, but is the quoted text '0.001'")]
    public void InvalidValueIsReportedAtTheValue(int line, string replacement, int column, string message)
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", WithLine(line, replacement)));

        Assert.Equal("EXP0003", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line, column);
        Assert.Equal(message, diagnostic.GetMessage());
    }

    [Fact]
    public void OptionalKeysOutOfRangeAreReported()
    {
        var diagnostics = RunBad("bad.yaml", GeneratorHarness.ValidYaml + "momentum: 1\nseed: -1\noptimizer: adan\noutputActivation: softmx\n");

        Assert.Equal(
            new[]
            {
                (8, "momentum must be a number from 0 to 1 (exclusive), but is '1'"),
                (9, "seed must be a non-negative whole number, but is '-1'"),
                (10, "optimizer must be one of 'sgd', 'momentum', 'adam', 'adamw', 'lbfgs', but is 'adan' (did you mean 'adam'?)"),
                (11, "outputActivation must be one of 'none', 'softmax', but is 'softmx' (did you mean 'softmax'?)"),
            },
            diagnostics.Select(d => (d.Location.GetLineSpan().StartLinePosition.Line + 1, d.GetMessage())));
        Assert.All(diagnostics, d => Assert.Equal("EXP0003", d.Id));
    }

    [Fact]
    public void OptimizerMomentumNeedsAPositiveFactor()
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", GeneratorHarness.ValidYaml + "optimizer: momentum\nmomentum: 0\n"));

        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal(9, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Equal("momentum must be greater than 0 with optimizer 'momentum' (use 'optimizer: sgd' for plain SGD), but is '0'", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("optimizer: momentum\n", 1, 0.9)]
    [InlineData("optimizer: momentum\nmomentum: 0.5\n", 1, 0.5)]
    [InlineData("optimizer: sgd\nmomentum: 0.5\n", 0, 0.5)]
    [InlineData("", 0, 0.0)]
    public void MomentumDefaultsDependOnTheOptimizer(string keys, int optimizer, double momentum)
    {
        var compilation = GeneratorHarness.Run(GeneratorHarness.File("m.yaml", GeneratorHarness.ValidYaml + keys)).AssertCompilesClean();
        var type = compilation.GetTypeByMetadataName("Experiments.Generated.MHyperparameters")!;

        Assert.Equal(optimizer, ((IFieldSymbol)type.GetMembers("Optimizer").Single()).ConstantValue);
        Assert.Equal(momentum, ((IFieldSymbol)type.GetMembers("Momentum").Single()).ConstantValue);
    }

    [Fact]
    public void MissingRequiredKeysAreEachReported()
    {
        var yaml = string.Join("\n", GeneratorHarness.ValidLines.Where(l => !l.StartsWith("batchSize", StringComparison.Ordinal) && !l.StartsWith("epochs", StringComparison.Ordinal)));
        var diagnostics = RunBad("bad.yaml", "# comment first\n" + yaml + "\n");

        Assert.Equal(2, diagnostics.Length);
        Assert.All(diagnostics, d => Assert.Equal("EXP0004", d.Id));
        Assert.All(diagnostics, d => AssertAt(d, "bad.yaml", line: 2, column: 1));
        Assert.Equal(
            new[]
            {
                "Required key 'epochs' is missing (a whole number from 1 to 100000)",
                "Required key 'batchSize' is missing (a whole number from 1 to 1000000)",
            },
            diagnostics.Select(d => d.GetMessage()));
    }

    [Fact]
    public void DuplicateKeyIsReportedOnTheSecondOccurrence()
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", GeneratorHarness.ValidYaml + "epochs: 6\n"));

        Assert.Equal("EXP0005", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line: 8, column: 1, endLine: 8, endColumn: 7);
        Assert.Equal("Key 'epochs' is set twice; it was first set at line 5", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("epochs: 5: 6", 5, 10)]
    [InlineData("epochs: [5", 5, 9)]
    [InlineData("epochs: {a: 5", 5, 10)]
    [InlineData("epochs: \"5", 5, 9)]
    [InlineData("epochs: '5", 5, 9)]
    [InlineData("  epochs: 5", 5, 9)]
    public void MalformedYamlIsReportedWithALocation(string replacement, int line, int column)
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", WithLine(5, replacement)));

        Assert.Equal("EXP0001", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line, column);
        Assert.StartsWith("YAML syntax error: ", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("...\n" + "epochs: 5\n")]
    [InlineData("...\n\uFEFF\r\n")]
    [InlineData("\u2029...\n.")]
    public void InputThatYamlDotNetFailsOnWithoutAYamlExceptionIsInvalidYaml(string content)
    {
        // YamlDotNet throws InvalidOperationException here; that is a syntax error, not a generator failure (EXP0010).
        var diagnostic = Assert.Single(RunBad("bad.yaml", content));

        Assert.Equal("EXP0001", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line: 1, column: 1);
        Assert.StartsWith("YAML syntax error: ", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "The file is empty")]
    [InlineData("\n\n   \n", "The file is empty")]
    [InlineData("# only a comment\n", "The file is empty")]
    [InlineData("---\n", "The file holds no keys")]
    [InlineData("~\n", "The file holds no keys")]
    public void EmptyFileIsReportedAtTheStart(string content, string message)
    {
        var diagnostic = Assert.Single(RunBad("empty.yaml", content));

        Assert.Equal("EXP0006", diagnostic.Id);
        AssertAt(diagnostic, "empty.yaml", line: 1, column: 1);
        Assert.StartsWith(message, diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void FileWithNoTextIsReported()
    {
        var diagnostic = Assert.Single(RunBad(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "unreadable.yaml", (SourceText?)null)));

        Assert.Equal("EXP0001", diagnostic.Id);
        AssertAt(diagnostic, "unreadable.yaml", line: 1, column: 1);
        Assert.Equal("The file could not be read", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("- inputSize: 784\n- epochs: 5\n", 1, 1, "a list")]
    [InlineData("# a list\n[1, 2, 3]\n", 2, 1, "a list")]
    [InlineData("hello\n", 1, 1, "'hello'")]
    [InlineData("\"quoted\"\n", 1, 1, "the quoted text 'quoted'")]
    [InlineData("42\n", 1, 1, "'42'")]
    public void FileHoldingSomethingOtherThanAMappingIsReported(string content, int line, int column, string holds)
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", content));

        Assert.Equal("EXP0006", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line, column);
        Assert.Equal($"An experiment file must be a mapping of keys such as 'learningRate: 0.001', but this one holds {holds}", diagnostic.GetMessage());
    }

    [Fact]
    public void TwoDocumentsAreReportedAtTheSecond()
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", GeneratorHarness.ValidYaml + "---\n" + GeneratorHarness.ValidYaml));

        Assert.Equal("EXP0006", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line: 8, column: 1);
        Assert.Equal("The file holds more than one YAML document ('---'); put each experiment in a file of its own", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData(3, "inputSize: 100", 12, "inputSize is 100, but dataset 'mnist' has 784 values per example (shape [1, 28, 28]); remove inputSize to use the dataset's")]
    [InlineData(4, "numClasses: 2", 13, "numClasses is 2, but dataset 'mnist' has 10 classes; remove numClasses to use the dataset's")]
    public void ModelThatDoesNotFitTheDatasetIsReportedAtTheValue(int line, string replacement, int column, string message)
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", WithLine(line, replacement)));

        Assert.Equal("EXP0008", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line, column);
        Assert.Equal(message, diagnostic.GetMessage());
    }

    [Fact]
    public void FashionMnistHasTheSameShape()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("fashion.yaml", WithLine(2, "dataset: fashion-mnist")));

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        run.AssertCompilesClean();
        Assert.Contains("public const string Dataset = \"fashion-mnist\";", run.Source("Fashion.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void ABillionLaughsIsRefusedAtTheFirstAliasWithoutExpandingIt()
    {
        // Each level lists the previous one ten times: expanded, the last would be 10^9 values of a sweep.
        var builder = new StringBuilder(GeneratorHarness.ValidYaml.Replace("learningRate: 0.001\n", string.Empty, StringComparison.Ordinal));
        builder.Append("seed: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n");
        for (var level = 1; level <= 9; level++)
        {
            builder.Append("learningRate: &l").Append(level).Append(" [").Append(string.Join(", ", Enumerable.Repeat("*l" + (level - 1), 10))).Append("]\n");
        }

        var diagnostics = RunBad("laughs.yaml", builder.ToString());

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("EXP0009", diagnostic.Id);
        Assert.Equal("YAML aliases ('*l0') are not supported in experiment files; write the value out", diagnostic.GetMessage());
        AssertAt(diagnostic, "laughs.yaml", line: 8, column: 20);
    }

    [Fact]
    public void AliasIsRefused()
    {
        var yaml = WithLine(1, "description: &a some text") + "seed: *a\n";
        var diagnostic = Assert.Single(RunBad("bad.yaml", yaml));

        Assert.Equal("EXP0009", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line: 8, column: 7, endLine: 8, endColumn: 9);
        Assert.Equal("YAML aliases ('*a') are not supported in experiment files; write the value out", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("description: !!python/object:os.system echo", 1, 14, "tag:yaml.org,2002:python/object:os.system")]
    [InlineData("description: !!str text", 1, 14, "tag:yaml.org,2002:str")]
    [InlineData("epochs: !custom 5", 5, 9, "!custom")]
    [InlineData("epochs: !!seq [5]", 5, 9, "tag:yaml.org,2002:seq")]
    public void TagIsRefused(string replacement, int line, int column, string tag)
    {
        var lineNumber = replacement.StartsWith("epochs", StringComparison.Ordinal) ? 5 : 1;
        var diagnostic = Assert.Single(RunBad("bad.yaml", WithLine(lineNumber, replacement)));

        Assert.Equal("EXP0009", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line, column);
        Assert.Equal($"YAML tags ('{tag}') are not supported in experiment files; remove the tag", diagnostic.GetMessage());
    }

    [Fact]
    public void TaggedRootIsRefused()
    {
        var diagnostic = Assert.Single(RunBad("bad.yaml", "!!python/object:os.system\n" + GeneratorHarness.ValidYaml));

        Assert.Equal("EXP0009", diagnostic.Id);
        AssertAt(diagnostic, "bad.yaml", line: 1, column: 1);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    [InlineData("- ", "")]
    public void DeeplyNestedYamlIsRefusedWithoutOverflowingTheStack(string open, string close)
    {
        // Block lists indent one more space per level: 1,000 levels stay under the file size limit.
        var depth = open == "- " ? 1_000 : 10_000;
        var builder = new StringBuilder("epochs: ");
        for (var i = 0; i < depth; i++)
        {
            if (open == "- ")
            {
                builder.Append('\n').Append(' ', i + 2).Append(open);
            }
            else
            {
                builder.Append(open);
            }
        }

        builder.Append('1');
        for (var i = 0; i < depth; i++)
        {
            builder.Append(close);
        }

        var diagnostic = Assert.Single(RunBad("deep.yaml", builder.Append('\n').ToString()));

        Assert.Contains(diagnostic.Id, new[] { "EXP0001", "EXP0009" });
        Assert.Equal("deep.yaml", Path.GetFileName(diagnostic.Location.GetLineSpan().Path));
        if (diagnostic.Id == "EXP0009")
        {
            Assert.Equal("The YAML is nested more than 64 levels deep", diagnostic.GetMessage());
        }
    }

    [Fact]
    public void UnclosedDeepNestingIsRefused()
    {
        var diagnostic = Assert.Single(RunBad("deep.yaml", new string('[', 10_000)));

        Assert.Equal("EXP0009", diagnostic.Id);
        AssertAt(diagnostic, "deep.yaml", line: 1, column: 66);
    }

    [Theory]
    [InlineData("...yaml")]
    [InlineData("___.yml")]
    [InlineData("é.yaml")]
    public void FileNameWithoutLettersOrDigitsIsReported(string fileName)
    {
        var diagnostic = Assert.Single(RunBad(fileName, GeneratorHarness.ValidYaml));

        Assert.Equal("EXP0011", diagnostic.Id);
        AssertAt(diagnostic, fileName, line: 1, column: 1);
        Assert.Equal(
            $"The file name '{Path.GetFileNameWithoutExtension(fileName)}' cannot be used as an experiment name: it must contain at least one ASCII letter or digit",
            diagnostic.GetMessage());
    }

    [Fact]
    public void BadFileNameAndBadContentAreBothReported()
    {
        var diagnostics = RunBad("é.yaml", WithLine(5, "epochs: many"));

        Assert.Equal(new[] { "EXP0011", "EXP0003" }, diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void FilesProducingTheSameNameAreBothReportedAndTheOthersStillGenerate()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("a-b.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("a_b.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("other.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("zeta.yaml", GeneratorHarness.ValidYaml));

        var diagnostics = run.AssertGeneratorDidNotThrow().OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal).ToList();
        Assert.Equal(2, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal("EXP0007", d.Id));
        AssertAt(diagnostics[0], "a-b.yaml", line: 1, column: 1);
        AssertAt(diagnostics[1], "a_b.yaml", line: 1, column: 1);
        Assert.Equal("Experiment 'a-b' gets the C# class prefix 'AB', as does 'experiments/a_b.yaml'; rename one of the files", diagnostics[0].GetMessage());
        Assert.Equal("Experiment 'a_b' gets the C# class prefix 'AB', as does 'experiments/a-b.yaml'; rename one of the files", diagnostics[1].GetMessage());

        run.AssertCompilesClean();
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "Other.Experiment.g.cs", "OtherModel.g.cs", "Zeta.Experiment.g.cs", "ZetaModel.g.cs" }, run.HintNames.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("AB", run.Catalog, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ab.yaml", "AB.yaml")]
    [InlineData("a-b.yaml", "ab.yaml")]
    [InlineData("x.yaml", "sub/x.yml")]
    public void NamesDifferingOnlyInCaseOrFolderClash(string first, string second)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File(first, GeneratorHarness.ValidYaml), GeneratorHarness.File(second, GeneratorHarness.ValidYaml));

        var diagnostics = run.AssertGeneratorDidNotThrow();
        Assert.Equal(2, diagnostics.Length);
        Assert.All(diagnostics, d => Assert.Equal("EXP0007", d.Id));
        Assert.Equal(new[] { "ExperimentCatalog.g.cs" }, run.HintNames);
        run.AssertCompilesClean();
    }

    [Fact]
    public void ByteOrderMarkCharacterInTheTextKeepsColumnsRight()
    {
        var content = "\uFEFFlearningRate: fast\n" + GeneratorHarness.ValidYaml.Replace("learningRate: 0.001\n", string.Empty, StringComparison.Ordinal);
        var text = SourceText.From(content, Encoding.UTF8);
        var diagnostic = Assert.Single(RunBad(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "bom.yaml", text)));

        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal("fast", text.ToString(diagnostic.Location.SourceSpan));

        // The BOM is a character of the text here, so "fast" starts at character 15 (0-based) of the first line.
        AssertAt(diagnostic, "bom.yaml", line: 1, column: 16, endLine: 1, endColumn: 20);
    }

    [Fact]
    public void ByteOrderMarkInTheFileBytesWorksAndKeepsColumnsRight()
    {
        var valid = GeneratorHarness.Run(new InMemoryAdditionalText(
            GeneratorHarness.ExperimentsDirectory + "bom.yaml",
            GeneratorHarness.FromBytes([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(GeneratorHarness.ValidYaml)])));
        Assert.Empty(valid.AssertGeneratorDidNotThrow());
        valid.AssertCompilesClean();
        Assert.Contains("Bom.Experiment.g.cs", valid.HintNames);

        var text = GeneratorHarness.FromBytes([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("learningRate: fast\n" + GeneratorHarness.ValidYaml.Replace("learningRate: 0.001\n", string.Empty, StringComparison.Ordinal))]);
        var diagnostic = Assert.Single(RunBad(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "bom.yaml", text)));
        AssertAt(diagnostic, "bom.yaml", line: 1, column: 15, endLine: 1, endColumn: 19);
        Assert.Equal("fast", text.ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void ByteOrderMarkCharacterInAValidFileWorks()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("bom.yaml", "\uFEFF" + GeneratorHarness.ValidYaml));

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        run.AssertCompilesClean();
        Assert.Contains("public const string Description = \"test experiment\";", run.Source("Bom.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void OtherLineEndingsWorkAndKeepLinesRight(string newLine)
    {
        var valid = GeneratorHarness.Run(GeneratorHarness.File("crlf.yaml", GeneratorHarness.ValidYaml.Replace("\n", newLine, StringComparison.Ordinal)));
        Assert.Empty(valid.AssertGeneratorDidNotThrow());
        valid.AssertCompilesClean();
        Assert.Contains("public const string Description = \"test experiment\";", valid.Source("Crlf.Experiment.g.cs"), StringComparison.Ordinal);

        var content = WithLine(6, "batchSize: lots").Replace("\n", newLine, StringComparison.Ordinal) + "epochs: 7" + newLine;
        var text = SourceText.From(content, Encoding.UTF8);
        var diagnostics = RunBad(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "crlf.yaml", text));
        Assert.Equal(2, diagnostics.Length);
        AssertAt(diagnostics[0], "crlf.yaml", line: 6, column: 12, endLine: 6, endColumn: 16);
        Assert.Equal("lots", text.ToString(diagnostics[0].Location.SourceSpan));
        AssertAt(diagnostics[1], "crlf.yaml", line: 8, column: 1);
        Assert.Equal("Key 'epochs' is set twice; it was first set at line 5", diagnostics[1].GetMessage());
    }

    [Fact]
    public void CharactersOutsideTheBasicPlaneBeforeAnErrorKeepColumnsRight()
    {
        var content = "{description: \"\U0001F600\U0001F600 中文\", dataset: mnist, inputSize: 784, numClasses: 10, epochs: x, batchSize: 100, learningRate: 0.001}\n";
        var text = SourceText.From(content, Encoding.UTF8);
        var diagnostic = Assert.Single(RunBad(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "wide.yaml", text)));

        Assert.Equal("EXP0003", diagnostic.Id);
        Assert.Equal("x", text.ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(content.IndexOf("x,", StringComparison.Ordinal), diagnostic.Location.GetLineSpan().StartLinePosition.Character);
    }

    [Fact]
    public void TabIndentationIsReported()
    {
        var diagnostic = Assert.Single(RunBad("tab.yaml", "description:\n\tindented: 1\n"));

        Assert.Equal("EXP0001", diagnostic.Id);
        Assert.Equal("tab.yaml", Path.GetFileName(diagnostic.Location.GetLineSpan().Path));
        Assert.Contains("tab", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void NonPlainKeysAreRefused()
    {
        var diagnostics = RunBad("keys.yaml", GeneratorHarness.ValidYaml + "\"seed\": 1\n? [a]\n: 2\n");

        Assert.Equal(2, diagnostics.Length);
        Assert.All(diagnostics, d => Assert.Equal("EXP0009", d.Id));
        AssertAt(diagnostics[0], "keys.yaml", line: 8, column: 1);
        Assert.Equal("Keys must be plain words such as 'epochs', not the quoted text 'seed'", diagnostics[0].GetMessage());
        AssertAt(diagnostics[1], "keys.yaml", line: 9, column: 3);
        Assert.Equal("Keys must be plain words such as 'epochs', not a list", diagnostics[1].GetMessage());
    }

    [Fact]
    public void OnlyYamlFilesUnderTheExperimentsFolderAreRead()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.CreateCompilation(),
            [
                new InMemoryAdditionalText("/project/experiments/inside.yaml", GeneratorHarness.ValidYaml),
                new InMemoryAdditionalText("/project/experiments/sub/nested.yml", GeneratorHarness.ValidYaml),
                new InMemoryAdditionalText("/project/experiments/notes.txt", "not yaml"),
                new InMemoryAdditionalText("/project/other/outside.yaml", "this: is not an experiment"),
                new InMemoryAdditionalText("/project/experiments-old/old.yaml", "neither: is this"),
            ]);

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        run.AssertCompilesClean();
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "Inside.Experiment.g.cs", "InsideModel.g.cs", "Nested.Experiment.g.cs", "NestedModel.g.cs" }, run.HintNames.Order(StringComparer.Ordinal));
        Assert.Contains("public string SourceFile => \"experiments/sub/nested.yml\";", run.Source("Nested.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void WindowsPathsAreNamedRelativeToTheProject()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.CreateCompilation(),
            [new InMemoryAdditionalText(@"C:\repo\experiments\sub\win.yaml", GeneratorHarness.ValidYaml)],
            @"C:\repo\experiments\");

        Assert.Empty(run.AssertGeneratorDidNotThrow());

        // Path.GetFileName only splits at '\\' on Windows, so the hint name depends on the OS; the source path does not.
        var experiment = Assert.Single(run.Result.GeneratedSources, s => s.HintName.EndsWith(".Experiment.g.cs", StringComparison.Ordinal));
        Assert.Single(run.Result.GeneratedSources, s => s.HintName.EndsWith("Model.g.cs", StringComparison.Ordinal));
        Assert.Contains("public string SourceFile => \"experiments/sub/win.yaml\";", experiment.SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAnExperimentsFolderEveryYamlFileIsRead()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(), [new InMemoryAdditionalText("/anywhere/x.yaml", GeneratorHarness.ValidYaml)], experimentsDirectory: null);

        Assert.Empty(run.AssertGeneratorDidNotThrow());
        Assert.Contains("public string SourceFile => \"x.yaml\";", run.Source("X.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void OneBadFileDoesNotStopTheOthers()
    {
        var run = GeneratorHarness.Run(
            GeneratorHarness.File("good.yaml", GeneratorHarness.ValidYaml),
            GeneratorHarness.File("bad.yaml", "learningRate: fast"));

        Assert.All(run.AssertGeneratorDidNotThrow(), d => Assert.StartsWith("EXP", d.Id, StringComparison.Ordinal));
        Assert.Equal(new[] { "ExperimentCatalog.g.cs", "Good.Experiment.g.cs", "GoodModel.g.cs" }, run.HintNames.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("BadExperiment", run.Catalog, StringComparison.Ordinal);
    }

    /// <summary>The valid file with line <paramref name="line"/> (1-based) replaced.</summary>
    internal static string WithLine(int line, string replacement)
    {
        var lines = GeneratorHarness.ValidLines.ToArray();
        lines[line - 1] = replacement;
        return string.Join("\n", lines) + "\n";
    }

    private static Diagnostic[] RunBad(string fileName, string content) => RunBad(GeneratorHarness.File(fileName, content));

    /// <summary>Runs the generator on one bad file: it must not throw and must generate nothing but an empty catalog.</summary>
    private static Diagnostic[] RunBad(AdditionalText file)
    {
        var run = GeneratorHarness.Run(file);
        var diagnostics = run.AssertGeneratorDidNotThrow();

        Assert.NotEmpty(diagnostics);
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.All(diagnostics, d => Assert.Equal(file.Path, d.Location.GetLineSpan().Path));
        Assert.Equal(new[] { GeneratorHarness.CatalogHintName }, run.HintNames);
        Assert.DoesNotContain("Experiment()", run.Catalog, StringComparison.Ordinal);
        Assert.Empty(run.CompilationDiagnostics);
        return [.. diagnostics];
    }

    private static Diagnostic Single(IEnumerable<Diagnostic> diagnostics, string id) => Assert.Single(diagnostics, d => d.Id == id);

    /// <summary>Checks the diagnostic's file and its 1-based start (and optionally end) line and column.</summary>
    internal static void AssertAt(Diagnostic diagnostic, string fileName, int line, int column, int? endLine = null, int? endColumn = null)
    {
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(GeneratorHarness.ExperimentsDirectory + fileName, span.Path);
        Assert.True(span.IsValid);
        Assert.Equal((line, column), (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        if (endLine is not null)
        {
            Assert.Equal((endLine.Value, endColumn!.Value), (span.EndLinePosition.Line + 1, span.EndLinePosition.Character + 1));
        }
    }
}
