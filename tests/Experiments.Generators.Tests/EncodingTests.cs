using System.Text;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests;

/// <summary>Bytes that are not UTF-8, other Unicode encodings, and files too large to be experiments.</summary>
public sealed class EncodingTests
{
    [Fact]
    public void Bytes_that_are_not_utf8_are_an_error_at_the_first_bad_byte()
    {
        // "café" saved as Latin-1: the é is the single byte 0xE9, which the compiler decodes as U+FFFD.
        var bytes = Encoding.UTF8.GetBytes("# comment\ndescription: caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.UTF8.GetBytes(" au lait\n" + Body())).ToArray();
        var run = GeneratorHarness.Run(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "latin1.yaml", GeneratorHarness.FromBytes(bytes)));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0017", diagnostic.Id);
        Assert.Equal("The file is not valid UTF-8: these bytes could not be decoded (the compiler shows them as U+FFFD, the replacement character); save it as UTF-8", diagnostic.GetMessage());
        DiagnosticTests.AssertAt(diagnostic, "latin1.yaml", line: 2, column: 17, endLine: 2, endColumn: 18);
        Assert.Equal([GeneratorHarness.CatalogHintName], run.HintNames);
    }

    [Fact]
    public void A_file_the_compiler_read_with_a_legacy_code_page_is_an_error()
    {
        var text = SourceText.From("description: café\n" + Body(), Encoding.Latin1);
        var run = GeneratorHarness.Run(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "legacy.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0017", diagnostic.Id);
        Assert.Contains("the compiler read it as 'iso-8859-1'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    [InlineData("utf-8")]
    public void Unicode_files_with_a_byte_order_mark_work(string encodingName)
    {
        var encoding = Encoding.GetEncoding(encodingName);
        var bytes = encoding.GetPreamble().Concat(encoding.GetBytes("description: café ☕\n" + Body())).ToArray();
        using var stream = new MemoryStream(bytes);
        var text = SourceText.From(stream);
        var run = GeneratorHarness.Run(new InMemoryAdditionalText(GeneratorHarness.ExperimentsDirectory + "unicode.yaml", text));

        run.AssertCompilesClean();
        Assert.Contains("public const string Description = \"café ☕\";", run.Source("Unicode.Experiment.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_without_parsing_it()
    {
        var text = Body() + "description: " + new string('x', 1_000_000) + "\n";
        var run = GeneratorHarness.Run(GeneratorHarness.File("huge.yaml", text));

        var diagnostic = Assert.Single(run.AssertGeneratorDidNotThrow());
        Assert.Equal("EXP0018", diagnostic.Id);
        Assert.Equal($"The file holds {text.Length} characters, more than the 1000000 an experiment file may have", diagnostic.GetMessage());
    }

    [Fact]
    public void A_long_description_under_the_limit_works()
    {
        var description = new string('y', 100_000);
        var run = GeneratorHarness.Run(GeneratorHarness.File("long.yaml", Body() + "description: " + description + "\n"));

        run.AssertCompilesClean();
        Assert.Contains(description, run.Source("Long.Experiment.g.cs"), StringComparison.Ordinal);
    }

    private static string Body() => string.Join("\n", GeneratorHarness.ValidLines.Skip(1)) + "\n";
}
