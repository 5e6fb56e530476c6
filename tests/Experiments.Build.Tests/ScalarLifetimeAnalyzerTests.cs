using System.Collections.Immutable;
using Experiments.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Build.Tests;

/// <summary>
/// build/Experiments.Analyzers on small programs: against a stub of TorchSharp's Scalar (the analyzer knows TorchSharp
/// only by metadata names) and against the real TorchSharp the repository builds with.
/// </summary>
public sealed class ScalarLifetimeAnalyzerTests
{
    /// <summary>The shapes of TorchSharp the rules look at, as small as they can be.</summary>
    private const string Stub = """
        namespace TorchSharp
        {
            public sealed class Scalar : System.IDisposable
            {
                public static implicit operator Scalar(double value) => new Scalar();
                public static implicit operator Scalar(int value) => new Scalar();
                public void Dispose() { }
            }

            public static class ScalarExtensionMethods
            {
                public static Scalar ToScalar(this double value) => new Scalar();
                public static Scalar ToScalar(this int value) => new Scalar();
            }

            public static partial class torch
            {
                public sealed class Tensor
                {
                    public Tensor mul_(Scalar value) => this;
                    public Tensor add_(Tensor other) => this;
                    public Tensor add_(Tensor other, Scalar alpha) => this;
                    public Tensor sub_(Tensor other) => this;
                    public Tensor square() => this;
                    public Tensor pow(Scalar exponent) => this;
                    public static Tensor operator +(Tensor left, Tensor right) => left;
                    public static Tensor operator -(Tensor left, Tensor right) => left;
                    public static Tensor operator *(Tensor left, double right) => left;
                    public static Tensor operator *(Tensor left, Scalar right) => left;
                }

                public static class nn
                {
                    public static TorchSharp.Modules.BatchNorm2d BatchNorm2d(long features) => new TorchSharp.Modules.BatchNorm2d();
                }
            }
        }

        namespace TorchSharp.Modules
        {
            public sealed class BatchNorm2d { }
            public class Adam { }
        }

        namespace Experiments.Torch
        {
            using TorchSharp;

            internal static class Scalars
            {
                public static Scalar One { get; } = 1.ToScalar();
            }
        }
        """;

    private const string Usings = """
        using Experiments.Torch;
        using TorchSharp;
        using static TorchSharp.torch;

        """;

    [Fact]
    public void ANumberPassedAsAScalarIsReportedAtTheNumberWithTheAdvice()
    {
        const string Code = Usings + "static class C { static void M(Tensor t) => t.mul_(0.9); }";

        var diagnostic = Assert.Single(StubDiagnostics(Code));

        Assert.Equal("EXPT0001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(Span(Code, "0.9"), diagnostic.Location.SourceSpan);
        var message = diagnostic.GetMessage();
        Assert.StartsWith("'0.9' becomes a temporary TorchSharp.Scalar", message);
        Assert.Contains("using var s = value.ToScalar();", message);
        Assert.Contains("Experiments.Torch.Scalars", message);
    }

    [Fact]
    public void TheMessageNamesTheExpressionThatBecomesAScalar()
    {
        const string Code = Usings + "static class C { static void M(Tensor t, double beta) => t.mul_(1 - beta); }";

        var diagnostic = Assert.Single(StubDiagnostics(Code));

        Assert.Equal("EXPT0001", diagnostic.Id);
        Assert.Equal(Span(Code, "1 - beta"), diagnostic.Location.SourceSpan);
        Assert.StartsWith("'1 - beta' becomes", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("using var s = 0.9.ToScalar(); t.mul_(s);")]
    [InlineData("using (var s = 0.9.ToScalar()) { t.mul_(s); }")]
    [InlineData("using Scalar s = 0.9; t.mul_(s);")]
    [InlineData("using var s = beta > 0 ? beta.ToScalar() : 1.ToScalar(); t.mul_(s);")]
    [InlineData("t.mul_(Scalars.One);")]
    [InlineData("t.add_(t, Scalars.One).sub_(t);")]
    [InlineData("using var two = 2.ToScalar(); t.pow(two);")]
    [InlineData("var u = t - t; u = u * Scalars.One;")]
    public void HeldScalarsAndSafeOverloadsPass(string body)
    {
        var code = Usings + "static class C { static void M(Tensor t, double beta) { " + body + " } }";

        Assert.Empty(StubDiagnostics(code));
    }

    [Fact]
    public void ScalarsKeptByFieldsPropertiesAndReturnsPass()
    {
        const string Code = Usings + """
            sealed class Holder
            {
                private static readonly Scalar Half = 0.5.ToScalar();
                private Scalar rate = 0.1;
                public static Scalar Two { get; } = 2.ToScalar();
                public Scalar Rate { get; set; } = 1.ToScalar();
                public void Set(double value) { rate = value.ToScalar(); Rate = value; }
                public static Scalar Make(double value) => value.ToScalar();
                public static Scalar MakeImplicitly(double value) { return value; }
            }
            """;

        Assert.Empty(StubDiagnostics(Code));
    }

    [Theory]
    [InlineData("t.mul_(0.9.ToScalar());", "0.9.ToScalar()")]
    [InlineData("var s = 0.9.ToScalar(); t.mul_(s);", "0.9.ToScalar()")]
    [InlineData("t.mul_((Scalar)0.9);", "(Scalar)0.9")]
    [InlineData("Scalar s; s = 0.9.ToScalar(); t.mul_(s);", "0.9.ToScalar()")]
    public void AScalarMadeExplicitlyButNotHeldByAUsingIsReported(string body, string made)
    {
        var code = Usings + "static class C { static void M(Tensor t) { " + body + " } }";

        var diagnostic = Assert.Single(StubDiagnostics(code));

        Assert.Equal("EXPT0002", diagnostic.Id);
        Assert.Equal(Span(code, made), diagnostic.Location.SourceSpan);
        Assert.StartsWith($"The Scalar made by '{made}' is not held by a 'using' declaration", diagnostic.GetMessage());
    }

    [Fact]
    public void AListedOverloadIsReportedAtItsCallEvenInAChain()
    {
        const string Code = Usings + "static class C { static void M(Tensor t, Tensor u) { using var s = 0.9.ToScalar(); t.mul_(s).add_(u); } }";

        var diagnostic = Assert.Single(StubDiagnostics(Code));

        Assert.Equal("EXPT0003", diagnostic.Id);
        Assert.Equal(Span(Code, "add_(u)"), diagnostic.Location.SourceSpan);
        var message = diagnostic.GetMessage();
        Assert.StartsWith("'add_(u)' makes a temporary Scalar inside TorchSharp (its implicit alpha of 1)", message);
        Assert.Contains("Scalars.One", message);
    }

    [Theory]
    [InlineData("var v = t + u;", "t + u")]
    [InlineData("t += u;", "t += u")]
    [InlineData("var v = t * 2.0;", "t * 2.0")]
    [InlineData("var v = t.square();", "square()")]
    public void ListedOperatorsAndMethodsAreReported(string body, string call)
    {
        var code = Usings + "static class C { static void M(Tensor t, Tensor u) { " + body + " } }";

        var diagnostic = Assert.Single(StubDiagnostics(code));

        Assert.Equal("EXPT0003", diagnostic.Id);
        Assert.Equal(Span(code, call), diagnostic.Location.SourceSpan);
    }

    [Fact]
    public void TorchSharpModulesAreReportedButNotTheirSubclasses()
    {
        const string Code = Usings + """
            sealed class KeptAdam : TorchSharp.Modules.Adam { }
            static class C
            {
                static object[] M() => new object[] { nn.BatchNorm2d(6), new TorchSharp.Modules.Adam(), new KeptAdam() };
            }
            """;

        var reported = StubDiagnostics(Code);

        Assert.Equal(2, reported.Length);
        Assert.All(reported, d => Assert.Equal("EXPT0004", d.Id));
        Assert.Equal(Span(Code, "BatchNorm2d(6)"), reported[0].Location.SourceSpan);
        Assert.Contains("batch normalization", reported[0].GetMessage());
        Assert.Equal(Span(Code, "new TorchSharp.Modules.Adam()"), reported[1].Location.SourceSpan);
        Assert.Contains("optimizer", reported[1].GetMessage());
    }

    [Fact]
    public void GeneratedCodeIsAnalysedToo()
    {
        const string Code = "// <auto-generated>\n" + Usings + "static class C { static void M(Tensor t) => t.mul_(3); }";

        var diagnostic = Assert.Single(StubDiagnostics(Code));

        Assert.Equal("EXPT0001", diagnostic.Id);
    }

    [Fact]
    public void WithoutTorchSharpNothingIsReported()
    {
        const string Code = """
            namespace Other { public sealed class Scalar { public static implicit operator Scalar(double v) => new Scalar(); } }
            static class C { static void M() { Other.Scalar s = 0.5; System.GC.KeepAlive(s); } }
            """;

        Assert.Empty(Analyze(Compile(References(withTorchSharp: false), Code)));
    }

    [Fact]
    public void AgainstTheRealTorchSharpEachKindOfTemporaryIsReportedAndHeldScalarsPass()
    {
        const string Code = """
            using TorchSharp;
            using static TorchSharp.torch;

            static class C
            {
                static void Unsafe(Tensor t, Tensor u)
                {
                    t.mul_(0.9);
                    t.add_(u);
                    var v = t / 255;
                    var w = t + u;
                    var r = arange(10);
                    var q = t.square();
                    var d = t.ToDouble();
                    var e = (float)t;
                    var f = nn.functional.leaky_relu(t);
                    t.addcdiv_(u, u);
                }

                static void Safe(Tensor t, Tensor u)
                {
                    using var rate = 0.9.ToScalar();
                    using var one = 1.ToScalar();
                    using var ten = 10.ToScalar();
                    using var zero = 0.ToScalar();
                    t.mul_(rate).add_(u, alpha: one).sub_(u);
                    var v = t.div(rate) - u;
                    var r = arange(zero, ten, one);
                    var d = t.item<double>();
                    var s = nn.functional.relu(t);
                    var m = nn.functional.max_pool2d(s, 2, stride: 2);
                    var p = nn.functional.softmax(m, 1);
                    var l = nn.functional.cross_entropy(p, u);
                    t.addcdiv_(u, u, one);
                }
            }
            """;

        var diagnostics = Analyze(Compile(References(withTorchSharp: true), Code));

        var safeStart = Code.IndexOf("static void Safe", StringComparison.Ordinal);
        Assert.All(diagnostics, d => Assert.True(d.Location.SourceSpan.End < safeStart, $"reported in Safe: {d}"));
        Assert.Equal(
            new[]
            {
                ("EXPT0001", "0.9"),
                ("EXPT0003", "add_(u)"),
                ("EXPT0003", "t / 255"),
                ("EXPT0003", "t + u"),
                ("EXPT0003", "arange(10)"),
                ("EXPT0001", "10"),
                ("EXPT0003", "square()"),
                ("EXPT0003", "ToDouble()"),
                ("EXPT0003", "(float)t"),
                ("EXPT0003", "leaky_relu(t)"),
                ("EXPT0003", "addcdiv_(u, u)"),
            },
            diagnostics.Select(d => (d.Id, Code.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length))).ToArray());
    }

    [Fact]
    public void EveryListedMemberAndModuleExistsInTheRealTorchSharp()
    {
        var compilation = Compile(References(withTorchSharp: true), "static class C { }");
        var torchSharp = compilation.References.Select(compilation.GetAssemblyOrModuleSymbol).OfType<IAssemblySymbol>().Single(a => a.Name == "TorchSharp");
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        var types = new HashSet<string>(StringComparer.Ordinal);
        void Visit(INamespaceOrTypeSymbol container)
        {
            foreach (var member in container.GetMembers())
            {
                switch (member)
                {
                    case INamespaceOrTypeSymbol nested:
                        if (nested is INamedTypeSymbol type && type.DeclaredAccessibility == Accessibility.Public)
                        {
                            types.Add(type.ToDisplayString());
                        }

                        Visit(nested);
                        break;
                    case IMethodSymbol { DeclaredAccessibility: Accessibility.Public } method:
                        signatures.Add(TemporaryScalarCalls.Signature(method));
                        break;
                }
            }
        }

        Visit(torchSharp.GlobalNamespace);

        var missing = TemporaryScalarCalls.MemberSignatures.Where(s => !signatures.Contains(s))
            .Concat(TemporaryScalarCalls.ModuleTypes.Where(t => !types.Contains(t)))
            .ToList();
        Assert.True(missing.Count == 0, "listed but not in TorchSharp: " + string.Join("; ", missing));
        Assert.True(TemporaryScalarCalls.MemberSignatures.Count() > 100);
    }

    private static ImmutableArray<Diagnostic> StubDiagnostics(string code)
    {
        var compilation = Compile(References(withTorchSharp: false), Stub, code);
        var codeTree = compilation.SyntaxTrees.Last();
        return Analyze(compilation).Where(d => d.Location.SourceTree == codeTree).ToImmutableArray();
    }

    private static CSharpCompilation Compile(IEnumerable<MetadataReference> references, params string[] sources)
    {
        var compilation = CSharpCompilation.Create(
            "Snippet",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"Snippet{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the snippet does not compile: " + string.Join("; ", errors));
        return compilation;
    }

    private static ImmutableArray<Diagnostic> Analyze(CSharpCompilation compilation)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new ScalarLifetimeAnalyzer());
        return compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
    }

    private static IEnumerable<MetadataReference> References(bool withTorchSharp)
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Where(path => !Path.GetFileName(path).StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
        if (withTorchSharp)
        {
            paths = paths.Append(typeof(TorchSharp.Scalar).Assembly.Location);
        }

        return paths.Distinct(StringComparer.Ordinal).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToList();
    }

    /// <summary>The span of <paramref name="text"/>, which must occur exactly once in <paramref name="code"/>.</summary>
    private static TextSpan Span(string code, string text)
    {
        var at = code.IndexOf(text, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{text}' is not in the code");
        Assert.True(code.IndexOf(text, at + 1, StringComparison.Ordinal) < 0, $"'{text}' occurs more than once in the code");
        return new TextSpan(at, text.Length);
    }
}
