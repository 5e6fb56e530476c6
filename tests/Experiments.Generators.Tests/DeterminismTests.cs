using System.Globalization;
using Experiments.Generators.Emitting;
using Experiments.Generators.Tests.Infrastructure;
using FsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Experiments.Generators.Tests;

/// <summary>The same input gives the same bytes, and numbers survive the trip through C# source exactly.</summary>
public sealed class DeterminismTests
{
    [Fact]
    public void GeneratingTwiceGivesByteIdenticalSources()
    {
        var files = CompileCleanTests.ShippedFiles();
        var first = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(), files, RepositoryPaths.ExperimentsDirectory);
        var second = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(), files.Reverse(), RepositoryPaths.ExperimentsDirectory);

        var left = first.Result.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();
        var right = second.Result.GeneratedSources.OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();
        Assert.Equal(left.Select(s => s.HintName), right.Select(s => s.HintName));
        for (var i = 0; i < left.Count; i++)
        {
            var (a, b) = (left[i].SourceText, right[i].SourceText);
            Assert.Equal(a.Encoding?.WebName, b.Encoding?.WebName);
            Assert.Equal(a.GetChecksum().ToArray(), b.GetChecksum().ToArray());
            Assert.Equal((a.Encoding ?? System.Text.Encoding.UTF8).GetBytes(a.ToString()), (b.Encoding ?? System.Text.Encoding.UTF8).GetBytes(b.ToString()));
        }

        // The order of the additional files does not change the catalog.
        Assert.Equal(first.Catalog, second.Catalog);
    }

    [Fact]
    public void GeneratedSourceUsesLineFeedsOnly()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("lf.yaml", GeneratorHarness.ValidYaml.Replace("\n", "\r\n", StringComparison.Ordinal)));

        Assert.All(run.Result.GeneratedSources, s => Assert.DoesNotContain('\r', s.SourceText.ToString()));
    }

    [Theory]
    [InlineData("1e-05")]
    [InlineData("0.1")]
    [InlineData("5")]
    [InlineData("0.001")]
    [InlineData("1e-300")]
    [InlineData("5e-324")]
    [InlineData("4.9e-324")]
    [InlineData("2.2250738585072014E-308")]
    [InlineData("0.30000000000000004")]
    [InlineData("123456789.123456789")]
    [InlineData("1.7976931348623157e308")]
    [InlineData("2.5E+10")]
    [InlineData("1E16")]
    [InlineData("+0.5")]
    [InlineData("100")]
    [InlineData("3.0000000000000004")]
    public void LearningRateRoundTripsThroughTheGeneratedLiteral(string written)
    {
        var expected = double.Parse(written, CultureInfo.InvariantCulture);
        var compilation = GeneratorHarness.Run(GeneratorHarness.File("number.yaml", DiagnosticTests.WithLine(7, "learningRate: " + written))).AssertCompilesClean();

        AssertConstant(compilation, "LearningRate", expected);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.9")]
    [InlineData("0.99999999999999989")]
    [InlineData("1e-10")]
    [InlineData("-0")]
    public void MomentumRoundTripsThroughTheGeneratedLiteral(string written)
    {
        // -0 is read as 0 (one spelling of zero, so it cannot name a second experiment of a sweep).
        var parsed = double.Parse(written, CultureInfo.InvariantCulture);
        var expected = parsed == 0 ? 0.0 : parsed;
        var compilation = GeneratorHarness.Run(GeneratorHarness.File("number.yaml", GeneratorHarness.ValidYaml + "momentum: " + written + "\n")).AssertCompilesClean();

        AssertConstant(compilation, "Momentum", expected);
    }

    [Theory]
    [InlineData("seed", "0", 0L)]
    [InlineData("seed", "9223372036854775807", long.MaxValue)]
    [InlineData("epochs", "100000", 100_000)]
    [InlineData("batchSize", "1000000", 1_000_000)]
    [InlineData("batchSize", "+7", 7)]
    public void IntegersRoundTripThroughTheGeneratedLiteral(string key, string written, object expected)
    {
        var content = GeneratorHarness.ValidYaml.Replace("epochs: 5\n", key == "epochs" ? string.Empty : "epochs: 5\n", StringComparison.Ordinal)
            .Replace("batchSize: 100\n", key == "batchSize" ? string.Empty : "batchSize: 100\n", StringComparison.Ordinal) + $"{key}: {written}\n";
        var compilation = GeneratorHarness.Run(GeneratorHarness.File("integer.yaml", content)).AssertCompilesClean();

        var type = compilation.GetTypeByMetadataName("Experiments.Generated.IntegerHyperparameters")!;
        var member = char.ToUpperInvariant(key[0]) + key[1..];
        Assert.Equal(expected, type.GetMembers(member).OfType<IFieldSymbol>().Single().ConstantValue);
    }

    [Fact]
    public void SeedBeyondLongIsRefused()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.File("big.yaml", GeneratorHarness.ValidYaml + "seed: 9223372036854775808\n"));

        Assert.Equal("EXP0003", Assert.Single(run.AssertGeneratorDidNotThrow()).Id);
    }

    [FsCheck.Xunit.Property(MaxTest = 1000)]
    public bool NumberLiteralReadsBackAsTheSameDouble(NormalFloat value)
    {
        var number = Math.Abs(value.Get);
        var literal = ExperimentEmitter.Number(number);
        var parsed = (LiteralExpressionSyntax)SyntaxFactory.ParseExpression(literal);

        return parsed.Token.Value is double read
            && BitConverter.DoubleToInt64Bits(read) == BitConverter.DoubleToInt64Bits(number)
            && !parsed.ContainsDiagnostics;
    }

    [Theory]
    [InlineData(5.0, "5.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(1e-5, "1E-05")]
    [InlineData(0.1, "0.1")]
    [InlineData(123456.0, "123456.0")]
    public void NumberLiteralsLookAsExpected(double value, string literal) => Assert.Equal(literal, ExperimentEmitter.Number(value));

    /// <summary>The constant's value and the literal in the source both read back as exactly <paramref name="expected"/>.</summary>
    private static void AssertConstant(Compilation compilation, string name, double expected)
    {
        var type = compilation.GetTypeByMetadataName("Experiments.Generated.NumberHyperparameters");
        Assert.NotNull(type);
        var field = type!.GetMembers(name).OfType<IFieldSymbol>().Single();
        var value = Assert.IsType<double>(field.ConstantValue);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(value));

        var declarator = (VariableDeclaratorSyntax)field.DeclaringSyntaxReferences.Single().GetSyntax();
        var text = declarator.Initializer!.Value.ToString();
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)));
        Assert.Matches(@"^-?[0-9]+(\.[0-9]+)?(E[+-][0-9]+)?$|^-?[0-9]+\.[0-9]+$", text);
    }
}
