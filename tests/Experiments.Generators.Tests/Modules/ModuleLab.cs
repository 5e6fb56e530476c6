using System.Collections.Immutable;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;
using Experiments.Generators.Modules;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Experiments.Generators.Tests.Modules;

/// <summary>
/// Binds the <c>model:</c> mapping of YAML text against the module classes of C# sources, without the pipeline:
/// the YAML becomes the <see cref="YamlValue"/> tree the parser hands on (locations from YamlDotNet's marks), the C#
/// a compilation against the real TorchSharp.
/// </summary>
internal static class ModuleLab
{
    /// <summary>The module of the README and of <c>runner/Models/MyNet.cs</c>, as a test declares it.</summary>
    public const string MyNet = """
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Experiments.Runner.Models;

        public sealed class MyNet : nn.Module<Tensor, Tensor>
        {
            public MyNet(int hidden = 128, double dropout = 0.2, int[]? channels = null) : base(nameof(MyNet)) { }

            public override Tensor forward(Tensor input) => input;
        }
        """;

    public static CSharpCompilation Compilation(params (string Path, string Text)[] sources) =>
        GeneratorHarness.CreateCompilation([.. sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, GeneratorHarness.ParseOptions, s.Path))]);

    public static ModuleCatalog Catalog(params (string Path, string Text)[] sources)
    {
        var compilation = Compilation(sources);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The test's C# does not compile:\n" + string.Join("\n", errors));
        return ModuleTypes.FromCompilation(compilation);
    }

    /// <summary>Binds the <c>model</c> mapping of <paramref name="yaml"/> (a file at <paramref name="yamlPath"/>).</summary>
    public static (BoundModule? Module, List<DiagnosticInfo> Diagnostics) Bind(ModuleCatalog catalog, string yaml, string yamlPath = "/project/experiments/net.yaml")
    {
        var root = Parse(yamlPath, yaml);
        var model = Assert.IsType<YamlMap>(root.Find("model")!.Value);
        var diagnostics = new List<DiagnosticInfo>();
        var module = ModuleBinder.Bind(model, catalog, diagnostics);
        Assert.Equal(module is null, diagnostics.Count > 0);
        return (module, diagnostics);
    }

    /// <summary>The repository's <c>runner/Models/MyNet.cs</c>.</summary>
    public static string RepositoryMyNet => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "runner", "Models", "MyNet.cs"));

    /// <summary>
    /// Binds the <c>model</c> mapping of every YAML file against <paramref name="csharp"/> plus the repository's
    /// MyNet (as <c>Models/MyNet.cs</c> of the YAML files' project), as docs/diagnostics.md's examples are built.
    /// </summary>
    public static (List<BoundModule> Modules, List<DiagnosticInfo> Diagnostics) BindFiles((string Path, string Text)[] yaml, (string Path, string Text)[] csharp)
    {
        var catalog = Catalog(WithMyNet(csharp));
        var modules = new List<BoundModule>();
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var (path, text) in yaml)
        {
            var model = Assert.IsType<YamlMap>(Parse(path, text).Find("model")!.Value);
            if (ModuleBinder.Bind(model, catalog, diagnostics) is { } module)
            {
                modules.Add(module);
            }
        }

        return (modules, diagnostics);
    }

    /// <summary>Fails unless code creating each module compiles, with no diagnostic in that code.</summary>
    public static void AssertCreates(IEnumerable<BoundModule> modules, (string Path, string Text)[] csharp)
    {
        var probe = "namespace Probe;\n\ninternal static class Make\n{\n" + string.Concat(modules.Select((m, i) => $"    public static object Create{i}() => {m.CreationExpression};\n")) + "}\n";
        var compilation = Compilation([.. WithMyNet(csharp), ("/probe/Probe.cs", probe)]);
        var diagnostics = compilation.GetDiagnostics().Where(d => d.Location.SourceTree?.FilePath == "/probe/Probe.cs" || d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics) + "\n" + probe);
    }

    /// <summary>The SDK's implicit usings of a console project (ImplicitUsings=enable, as the runner has).</summary>
    private const string ImplicitUsings = "global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\nglobal using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n";

    private static (string Path, string Text)[] WithMyNet((string Path, string Text)[] csharp) =>
        [("/home/me/lab/obj/GlobalUsings.g.cs", ImplicitUsings), ("/home/me/lab/Models/MyNet.cs", RepositoryMyNet), .. csharp];

    /// <summary>The diagnostic as <c>dotnet build</c> prints it: <c>path(line,column): error ID: message</c>.</summary>
    public static string Line(DiagnosticInfo diagnostic)
    {
        var d = diagnostic.ToDiagnostic();
        var start = d.Location.GetLineSpan().StartLinePosition;
        return FormattableString.Invariant($"({start.Line + 1},{start.Character + 1}): {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary><paramref name="text"/> as a <see cref="YamlMap"/> with locations, as the parser builds it.</summary>
    public static YamlMap Parse(string path, string text)
    {
        var source = SourceText.From(text);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMap)Convert(stream.Documents.Single().RootNode, path, source);
    }

    private static YamlValue Convert(YamlNode node, string path, SourceText text) => node switch
    {
        YamlScalarNode scalar => new YamlScalar(scalar.Value ?? string.Empty, scalar.Style == ScalarStyle.Plain, Location(scalar.Start, scalar.End, path, text)),
        YamlSequenceNode list => new YamlList(list.Children.Select(c => Convert(c, path, text)).ToEquatableArray(), Location(list.Start, list.End, path, text)),
        YamlMappingNode map => new YamlMap(
            map.Children.Select(p => new YamlEntry(((YamlScalarNode)p.Key).Value!, Location(p.Key.Start, p.Key.End, path, text), Convert(p.Value, path, text))).ToEquatableArray(),
            Location(map.Start, map.End, path, text)),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private static SourceLocation Location(Mark start, Mark end, string path, SourceText text)
    {
        int Position(Mark mark)
        {
            var line = text.Lines[(int)Math.Min(mark.Line - 1, text.Lines.Count - 1)];
            return Math.Min(line.Start + (int)mark.Column - 1, line.End);
        }

        var from = Position(start);
        var to = Math.Max(from, Position(end));
        return new SourceLocation(path, TextSpan.FromBounds(from, to), text.Lines.GetLinePositionSpan(TextSpan.FromBounds(from, to)));
    }
}
