using Experiments.Generators.Modules;
using Experiments.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Tests.Modules;

/// <summary><see cref="ModuleBinder"/>: the constructor call a valid <c>model:</c> becomes, and every mistake at its line and column.</summary>
public sealed class ModuleBinderTests
{
    private const string Kinds = """
        using System.Collections.Generic;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Lab.Models;

        public enum Act { Relu, Gelu, GELU2, @class }

        public sealed class Net : nn.Module<Tensor, Tensor>
        {
            public Net(int hidden, long seed = 7, float scale = 0.5f, double dropout = 0.2, bool bias = true, string? name = null,
                Act act = Act.Gelu, int[]? channels = null, IReadOnlyList<long>? sizes = null, IList<float>? weights = null,
                List<double>? rates = null, int? maybe = 3, object? other = null, int @checked = 0)
                : base(nameof(Net)) { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Needs : nn.Module<Tensor, Tensor>
        {
            public Needs(object thing, int size = 1) : base(nameof(Needs)) { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Overloads : nn.Module<Tensor, Tensor>
        {
            public Overloads(int width) : base(nameof(Overloads)) { }

            public Overloads(int width, double dropout = 0.1) : base(nameof(Overloads)) { }

            public Overloads(string label) : base(nameof(Overloads)) { }

            public Overloads(int depth, bool wide) : base(nameof(Overloads)) { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Empty : nn.Module<Tensor, Tensor>
        {
            public Empty() : base(nameof(Empty)) { }

            public override Tensor forward(Tensor input) => input;
        }

        public abstract class Abstract : nn.Module<Tensor, Tensor>
        {
            protected Abstract() : base("a") { }
        }

        internal sealed class Hidden : nn.Module<Tensor, Tensor>
        {
            public Hidden() : base("h") { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Generic<T> : nn.Module<Tensor, Tensor>
        {
            public Generic() : base("g") { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Private : nn.Module<Tensor, Tensor>
        {
            private Private() : base("p") { }

            public override Tensor forward(Tensor input) => input;
        }

        public class Plain { }

        public class Error : System.Exception { }
        """;

    private const string Other = """
        using static TorchSharp.torch;

        namespace Lab.Other;

        public sealed class Net : nn.Module<Tensor, Tensor>
        {
            public Net() : base(nameof(Net)) { }

            public override Tensor forward(Tensor input) => input;
        }
        """;

    private static readonly (string Path, string Text)[] Sources = [("/project/Models/Net.cs", Kinds), ("/project/Models/MyNet.cs", ModuleLab.MyNet)];

    private static readonly ModuleCatalog Catalog = ModuleLab.Catalog(Sources);

    [Fact]
    public void The_README_example_binds_to_named_arguments_in_parameter_order()
    {
        var module = Bound("model:\n  class: MyNet\n  args:\n    channels: [16, 32]\n    hidden: 128\n    dropout: 0.25\n");

        Assert.Equal("global::Experiments.Runner.Models.MyNet", module.TypeName);
        Assert.Equal(["hidden", "dropout", "channels"], module.Arguments.Select(a => a.Name));
        Assert.Equal("new global::Experiments.Runner.Models.MyNet(hidden: 128, dropout: 0.25, channels: new int[] { 16, 32 })", module.CreationExpression);
        Assert.Equal("Experiments.Runner.Models.MyNet(hidden=128, dropout=0.25, channels=[16, 32])", module.Canonical);
        Assert.Equal(Catalog.Types.Single(t => t.SimpleName == "MyNet").SourceSha256, module.SourceSha256);
        Assert.Equal(["/project/Models/MyNet.cs"], module.SourceFiles);

        // The full name, with or without global::, names the same class; no args keeps every default.
        Assert.Equal("new global::Experiments.Runner.Models.MyNet()", Bound("model:\n  class: Experiments.Runner.Models.MyNet\n").CreationExpression);
        Assert.Equal("new global::Experiments.Runner.Models.MyNet()", Bound("model:\n  class: global::Experiments.Runner.Models.MyNet\n  args:\n").CreationExpression);
        Assert.Equal("new global::Experiments.Runner.Models.MyNet()", Bound("model:\n  class: MyNet\n  args: {}\n  input: [1, 28, 28]\n").CreationExpression);
    }

    [Theory]
    [InlineData("hidden: 5", "hidden: 5", "5")]
    [InlineData("hidden: -2147483648", "hidden: -2147483648", "-2147483648")]
    [InlineData("hidden: +7", "hidden: 7", "7")]
    [InlineData("seed: 9223372036854775807", "seed: 9223372036854775807L", "9223372036854775807")]
    [InlineData("scale: 0.25", "scale: 0.25f", "0.25")]
    [InlineData("scale: 3", "scale: 3f", "3")]
    [InlineData("scale: 1e-5", "scale: 1E-05f", "1E-05")]
    [InlineData("scale: -0.0", "scale: 0f", "0")]
    [InlineData("dropout: 0.1", "dropout: 0.1", "0.1")]
    [InlineData("dropout: 2", "dropout: 2.0", "2")]
    [InlineData("dropout: 1e300", "dropout: 1E+300", "1E+300")]
    [InlineData("bias: False", "bias: false", "false")]
    [InlineData("name: \"say \\\"hi\\\"\\n\"", "name: \"say \\\"hi\\\"\\n\"", "say \"hi\"\n")]
    [InlineData("name: plain words", "name: \"plain words\"", "plain words")]
    [InlineData("name: ~", "name: null", "null")]
    [InlineData("act: relu", "act: global::Lab.Models.Act.Relu", "Relu")]
    [InlineData("act: GELU2", "act: global::Lab.Models.Act.GELU2", "GELU2")]
    [InlineData("act: class", "act: global::Lab.Models.Act.@class", "class")]
    [InlineData("channels: []", "channels: global::System.Array.Empty<int>()", "[]")]
    [InlineData("channels:", "channels: null", "null")]
    [InlineData("sizes: [1, -2]", "sizes: new long[] { 1L, -2L }", "[1, -2]")]
    [InlineData("weights: [0.5, 2]", "weights: new float[] { 0.5f, 2f }", "[0.5, 2]")]
    [InlineData("rates: [0.5, 2]", "rates: new global::System.Collections.Generic.List<double> { 0.5, 2.0 }", "[0.5, 2]")]
    [InlineData("rates: []", "rates: new global::System.Collections.Generic.List<double>()", "[]")]
    [InlineData("maybe: 4", "maybe: 4", "4")]
    [InlineData("maybe: null", "maybe: null", "null")]
    [InlineData("checked: 1", "@checked: 1", "1")]
    public void Each_supported_type_becomes_an_invariant_literal(string arg, string expected, string canonical)
    {
        var hidden = arg.StartsWith("hidden:", StringComparison.Ordinal) ? string.Empty : "    hidden: 1\n";
        var module = Bound($"model:\n  class: Net\n  args:\n{hidden}    {arg}\n");

        var argument = module.Arguments.Last();
        Assert.Equal(expected, argument.NamedArgument);
        Assert.Equal(canonical, argument.Canonical);
        AssertCompilesClean(module);
    }

    [Fact]
    public void Literals_do_not_depend_on_the_current_culture()
    {
        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var module = Bound("model:\n  class: Net\n  args:\n    hidden: 1\n    scale: 0.25\n    dropout: 1.5\n    weights: [0.5]\n");
            Assert.Equal("new global::Lab.Models.Net(hidden: 1, scale: 0.25f, dropout: 1.5, weights: new float[] { 0.5f })", module.CreationExpression);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void An_overload_is_picked_when_the_args_fit_exactly_one()
    {
        Assert.Equal("new global::Lab.Models.Overloads(label: \"x\")", Bound("model:\n  class: Overloads\n  args:\n    label: x\n").CreationExpression);
        Assert.Equal("new global::Lab.Models.Overloads(width: 3, dropout: 0.5)", Bound("model:\n  class: Overloads\n  args:\n    width: 3\n    dropout: 0.5\n").CreationExpression);
        Assert.Equal("new global::Lab.Models.Overloads(depth: 3, wide: true)", Bound("model:\n  class: Overloads\n  args:\n    depth: 3\n    wide: true\n").CreationExpression);
    }

    // Every error: the YAML, then the line and column of the diagnostic, its id and its message.
    [Theory]
    [InlineData("model:\n  class: MyNett\n", "(2,10): EXP0030: No class named 'MyNett' in the project's C# code (did you mean 'MyNet'?); the model modules are: Experiments.Runner.Models.MyNet, Lab.Models.Abstract, Lab.Models.Empty, Lab.Models.Generic, Lab.Models.Hidden, Lab.Models.Needs, Lab.Models.Net, Lab.Models.Overloads, Lab.Models.Private")]
    [InlineData("model:\n  class: Lab.Models.Nett\n", "(2,10): EXP0030: No class named 'Lab.Models.Nett' in the project's C# code (did you mean 'Lab.Models.Net'?); the model modules are: Experiments.Runner.Models.MyNet, Lab.Models.Abstract, Lab.Models.Empty, Lab.Models.Generic, Lab.Models.Hidden, Lab.Models.Needs, Lab.Models.Net, Lab.Models.Overloads, Lab.Models.Private")]
    [InlineData("model:\n  class: Wholly.Different\n", "(2,10): EXP0030: No class named 'Wholly.Different' in the project's C# code; the model modules are: Experiments.Runner.Models.MyNet, Lab.Models.Abstract, Lab.Models.Empty, Lab.Models.Generic, Lab.Models.Hidden, Lab.Models.Needs, Lab.Models.Net, Lab.Models.Overloads, Lab.Models.Private")]
    [InlineData("model:\n  class: Plain\n", "(2,10): EXP0032: 'Lab.Models.Plain' is not a model module: it derives from no class (only object), and a model must derive from torch.nn.Module<Tensor, Tensor>")]
    [InlineData("model:\n  class: Error\n", "(2,10): EXP0032: 'Lab.Models.Error' is not a model module: it derives from 'System.Exception', and a model must derive from torch.nn.Module<Tensor, Tensor>")]
    [InlineData("model:\n  class: Abstract\n", "(2,10): EXP0033: 'Lab.Models.Abstract' cannot be created from an experiment file: it is abstract; it has no public constructor")]
    [InlineData("model:\n  class: Hidden\n", "(2,10): EXP0033: 'Lab.Models.Hidden' cannot be created from an experiment file: it is internal (it must be public, and so must any class it is nested in)")]
    [InlineData("model:\n  class: Generic\n", "(2,10): EXP0033: 'Lab.Models.Generic' cannot be created from an experiment file: it is generic")]
    [InlineData("model:\n  class: Private\n", "(2,10): EXP0033: 'Lab.Models.Private' cannot be created from an experiment file: it has no public constructor")]
    [InlineData("model:\n  class: Net\n", "(2,10): EXP0034: The constructor Net(int hidden, long seed = 7L, float scale = 0.5f, double dropout = 0.2, bool bias = true, string? name = null, Act act = Act.Gelu, int[]? channels = null, IReadOnlyList<long>? sizes = null, IList<float>? weights = null, List<double>? rates = null, int? maybe = 3, object? other = null, int @checked = 0) needs 'hidden' (int), which has no default; add 'hidden' under 'args'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    hiden: 3\n", "(4,5): EXP0035: 'hiden' is not a parameter of the constructor of MyNet (did you mean 'hidden'?); the parameters are: hidden, dropout, channels")]
    [InlineData("model:\n  class: Empty\n  args:\n    size: 3\n", "(4,5): EXP0035: 'size' is not a parameter of the constructor of Empty; Empty takes no arguments: remove 'args'")]
    [InlineData("model:\n  class: Overloads\n  args:\n    widt: 3\n", "(4,5): EXP0035: 'widt' is not a parameter of any public constructor of Overloads (did you mean 'width'?); the parameters are: width, dropout, label, depth, wide")]
    [InlineData("model:\n  class: MyNet\n  args:\n    hidden: 3000000000\n", "(4,13): EXP0036: Argument 'hidden' of MyNet must be an int, a whole number from -2147483648 to 2147483647, but is '3000000000'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    hidden: 0.5\n", "(4,13): EXP0036: Argument 'hidden' of MyNet must be an int, a whole number from -2147483648 to 2147483647, but is '0.5'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    hidden: \"128\"\n", "(4,13): EXP0036: Argument 'hidden' of MyNet must be an int, a whole number from -2147483648 to 2147483647, but is the quoted text '128'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    hidden:\n", "(4,12): EXP0036: Argument 'hidden' of MyNet must be an int, a whole number from -2147483648 to 2147483647, but is empty")]
    [InlineData("model:\n  class: MyNet\n  args:\n    dropout: [0.1]\n", "(4,14): EXP0036: Argument 'dropout' of MyNet must be a double, a number, but is a list")]
    [InlineData("model:\n  class: MyNet\n  args:\n    dropout: .nan\n", "(4,14): EXP0036: Argument 'dropout' of MyNet must be a double, a number, but is '.nan'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    channels: 16\n", "(4,15): EXP0036: Argument 'channels' of MyNet must be a list of int values (int[]?), such as [16, 32], or empty for null, but is '16'")]
    [InlineData("model:\n  class: MyNet\n  args:\n    channels: [16, 1.5]\n", "(4,20): EXP0036: Argument 'channels[1]' of MyNet must be an int, a whole number from -2147483648 to 2147483647, but is '1.5'")]
    [InlineData("model:\n  class: Net\n  args:\n    hidden: 1\n    scale: 1e39\n", "(5,12): EXP0036: Argument 'scale' of Net must be a float, a number from -3.4028235E+38 to 3.4028235E+38, but is '1e39'")]
    [InlineData("model:\n  class: Net\n  args:\n    hidden: 1\n    bias: yes\n", "(5,11): EXP0036: Argument 'bias' of Net must be a bool, true or false, but is 'yes'")]
    [InlineData("model:\n  class: Net\n  args:\n    hidden: 1\n    act: gelo\n", "(5,10): EXP0036: Argument 'act' of Net must be one of the members of Act: Relu, Gelu, GELU2, class, but is 'gelo' (did you mean 'Gelu'?)")]
    [InlineData("model:\n  class: Net\n  args:\n    hidden: 1\n    seed: 1.5\n", "(5,11): EXP0036: Argument 'seed' of Net must be a long, a whole number from -9223372036854775808 to 9223372036854775807, but is '1.5'")]
    [InlineData("model:\n  class: Net\n  args:\n    hidden: 1\n    other: 3\n", "(5,5): EXP0037: Parameter 'other' of Net has type 'object?', which an experiment file cannot give (it can give int, long, float, double, bool, string, an enum, and an array, IReadOnlyList<T>, IList<T> or List<T> of int, long, float or double); remove 'other' from 'args' to use its default, null")]
    [InlineData("model:\n  class: Needs\n", "(2,10): EXP0037: Parameter 'thing' of Needs has type 'object', which an experiment file cannot give (it can give int, long, float, double, bool, string, an enum, and an array, IReadOnlyList<T>, IList<T> or List<T> of int, long, float or double); it has no default, so the class cannot be created from an experiment file: change its type, or give it a default value in C#")]
    [InlineData("model:\n  class: Overloads\n  args:\n    width: 3\n", "(2,10): EXP0038: The args fit 2 of the 4 public constructors of 'Overloads', which are: Overloads(int width); Overloads(int width, double dropout = 0.1); Overloads(string label); Overloads(int depth, bool wide); give args that fit exactly one")]
    [InlineData("model:\n  class: Overloads\n", "(2,10): EXP0038: The args fit none of the 4 public constructors of 'Overloads', which are: Overloads(int width); Overloads(int width, double dropout = 0.1); Overloads(string label); Overloads(int depth, bool wide); give args that fit exactly one")]
    [InlineData("model:\n  class: Overloads\n  args:\n    width: 1\n    label: x\n", "(2,10): EXP0038: The args fit none of the 4 public constructors of 'Overloads', which are: Overloads(int width); Overloads(int width, double dropout = 0.1); Overloads(string label); Overloads(int depth, bool wide); give args that fit exactly one")]
    [InlineData("model:\n  class: Overloads\n  args:\n    width: x\n", "(4,12): EXP0036: Argument 'width' of Overloads must be an int, a whole number from -2147483648 to 2147483647, but is 'x'")]
    [InlineData("model:\n  class: Overloads\n  args:\n    depth: 2\n    wide: 3\n", "(5,11): EXP0036: Argument 'wide' of Overloads must be a bool, true or false, but is '3'")]
    [InlineData("model:\n  input: 784\n", "(2,3): EXP0039: model needs 'class': the name of a public, non-abstract class deriving from torch.nn.Module<Tensor, Tensor>, such as MyNet")]
    [InlineData("model:\n  class: [MyNet]\n", "(2,10): EXP0039: 'class' must be the name of a public, non-abstract class deriving from torch.nn.Module<Tensor, Tensor>, such as MyNet or Experiments.Runner.Models.MyNet, but is a list")]
    [InlineData("model:\n  class:\n", "(2,9): EXP0039: 'class' must be the name of a public, non-abstract class deriving from torch.nn.Module<Tensor, Tensor>, such as MyNet or Experiments.Runner.Models.MyNet, but is empty")]
    [InlineData("model:\n  class: MyNet\n  args: [1, 2]\n", "(3,9): EXP0039: 'args' must be a mapping of constructor parameter names to values, such as 'hidden: 128' on the lines below it, but is a list")]
    public void Each_mistake_is_reported_at_its_value(string yaml, string expected)
    {
        var (module, diagnostics) = ModuleLab.Bind(Catalog, yaml);

        Assert.Null(module);
        Assert.Equal(expected, Assert.Single(diagnostics.Select(ModuleLab.Line)));
        Assert.All(diagnostics, d => Assert.Equal("/project/experiments/net.yaml", d.Location.FilePath));
    }

    [Fact]
    public void A_simple_name_of_two_classes_is_ambiguous()
    {
        var catalog = ModuleLab.Catalog([.. Sources, ("/project/Other/Net.cs", Other)]);

        var (_, diagnostics) = ModuleLab.Bind(catalog, "model:\n  class: Net\n");

        Assert.Equal(["(2,10): EXP0031: 'Net' names 2 classes: Lab.Models.Net, Lab.Other.Net; give the full name of one"], diagnostics.Select(ModuleLab.Line));
        Assert.Equal("new global::Lab.Other.Net()", ModuleLab.Bind(catalog, "model:\n  class: Lab.Other.Net\n").Module!.CreationExpression);
    }

    [Fact]
    public void Every_mistake_in_the_args_is_reported_at_once()
    {
        var (_, diagnostics) = ModuleLab.Bind(Catalog, "model:\n  class: Net\n  args:\n    hiddn: 1\n    bias: 2\n    channels: [a, 2, b]\n");

        Assert.Equal(
            [
                "(4,5): EXP0035: 'hiddn' is not a parameter of the constructor of Net (did you mean 'hidden'?); the parameters are: hidden, seed, scale, dropout, bias, name, act, channels, sizes, weights, rates, maybe, other, checked",
                "(5,11): EXP0036: Argument 'bias' of Net must be a bool, true or false, but is '2'",
                "(6,16): EXP0036: Argument 'channels[0]' of Net must be an int, a whole number from -2147483648 to 2147483647, but is 'a'",
                "(6,22): EXP0036: Argument 'channels[2]' of Net must be an int, a whole number from -2147483648 to 2147483647, but is 'b'",
                "(2,10): EXP0034: The constructor Net(int hidden, long seed = 7L, float scale = 0.5f, double dropout = 0.2, bool bias = true, string? name = null, Act act = Act.Gelu, int[]? channels = null, IReadOnlyList<long>? sizes = null, IList<float>? weights = null, List<double>? rates = null, int? maybe = 3, object? other = null, int @checked = 0) needs 'hidden' (int), which has no default; add 'hidden' under 'args'",
            ],
            diagnostics.Select(ModuleLab.Line),
            StringComparer.Ordinal);
    }

    [Fact]
    public void The_project_without_modules_says_what_a_module_is()
    {
        var catalog = ModuleLab.Catalog(("/project/Plain.cs", "namespace Lab; public class Plain { }"));

        var (_, diagnostics) = ModuleLab.Bind(catalog, "model:\n  class: MyNet\n");

        Assert.Equal(["(2,10): EXP0030: No class named 'MyNet' in the project's C# code; the project has no model module (a public, non-abstract class deriving from torch.nn.Module<Tensor, Tensor>)"], diagnostics.Select(ModuleLab.Line));
    }

    [Fact]
    public void Binding_against_Only_gives_the_same_result_as_against_the_whole_catalog()
    {
        foreach (var yaml in new[] { "model:\n  class: MyNet\n  args:\n    hidden: 3\n", "model:\n  class: MyNte\n", "model:\n  class: Plain\n" })
        {
            var name = ModuleLab.Parse("/x.yaml", yaml).Find("model")!.Value is Model.YamlMap map ? ((Model.YamlScalar)map.Find("class")!.Value).Text : throw new InvalidOperationException();
            var whole = ModuleLab.Bind(Catalog, yaml);
            var only = ModuleLab.Bind(Catalog.Only([name]), yaml);
            Assert.Equal(whole.Module, only.Module);
            Assert.Equal(whole.Diagnostics, only.Diagnostics);
        }
    }

    private static BoundModule Bound(string yaml)
    {
        var (module, diagnostics) = ModuleLab.Bind(Catalog, yaml);
        Assert.True(module is not null, string.Join("\n", diagnostics.Select(ModuleLab.Line)));
        return module;
    }

    /// <summary>The creation expression compiles with the module's source, without a diagnostic of any severity.</summary>
    private static void AssertCompilesClean(BoundModule module)
    {
        var probe = "namespace Probe;\n\ninternal static class Make\n{\n    public static object Create() => " + module.CreationExpression + ";\n}\n";
        var compilation = ModuleLab.Compilation([.. Sources, ("/project/Probe.cs", probe)]);
        var diagnostics = compilation.GetDiagnostics().Where(d => d.Location.SourceTree?.FilePath is "/project/Probe.cs" || d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics) + "\n" + probe);
    }
}
