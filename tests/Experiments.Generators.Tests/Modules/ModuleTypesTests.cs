using Experiments.Generators.Model;
using Experiments.Generators.Modules;

namespace Experiments.Generators.Tests.Modules;

/// <summary>What <see cref="ModuleTypes"/> reads of the compilation's classes.</summary>
public sealed class ModuleTypesTests
{
    private const string Source = """
        using System.Collections.Generic;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Lab.Models;

        public enum Act { Relu, Gelu, Tanh }

        public class Net : nn.Module<Tensor, Tensor>
        {
            public Net(int hidden = 128, long seed = 7L, float scale = 0.5f, double dropout = 0.2, bool bias = true, string name = "net",
                Act act = Act.Gelu, int[]? channels = null, IReadOnlyList<long> sizes = null!, IList<float>? weights = null,
                List<double>? rates = null, int? maybe = 3, object? other = null, List<string>? words = null)
                : base(nameof(Net)) { }

            public Net(int width) : base(nameof(Net)) { }

            protected Net(string hidden) : base(nameof(Net)) { }

            public override Tensor forward(Tensor input) => input;

            public sealed class Inner : Net
            {
                public Inner() : base(1) { }
            }
        }

        public abstract class Base : nn.Module<Tensor, Tensor>
        {
            protected Base() : base("base") { }
        }

        internal sealed class Hidden : Base
        {
            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Generic<T> : nn.Module<Tensor, Tensor>
        {
            public Generic() : base("g") { }

            public override Tensor forward(Tensor input) => input;
        }

        public sealed class Pair : nn.Module<Tensor, Tensor, Tensor>
        {
            public Pair() : base("pair") { }

            public override Tensor forward(Tensor a, Tensor b) => a;
        }

        public static class Helpers { }

        public class Plain { }

        public class Error : System.Exception { }
        """;

    private static readonly ModuleCatalog Catalog = ModuleLab.Catalog(("/project/Models/Net.cs", Source));

    private static ModuleTypeSpec Type(string fullName) => Catalog.Types.Single(t => t.FullName == fullName);

    [Fact]
    public void Every_class_is_in_the_catalog_sorted_by_full_name()
    {
        Assert.Equal(
            ["Lab.Models.Base", "Lab.Models.Error", "Lab.Models.Generic", "Lab.Models.Helpers", "Lab.Models.Hidden", "Lab.Models.Net", "Lab.Models.Net.Inner", "Lab.Models.Pair", "Lab.Models.Plain"],
            Catalog.Types.Select(t => t.FullName));
        Assert.Equal(["Lab.Models.Base", "Lab.Models.Generic", "Lab.Models.Hidden", "Lab.Models.Net", "Lab.Models.Net.Inner"], Catalog.ModuleNames);
    }

    [Fact]
    public void A_module_is_a_class_deriving_from_Module_of_Tensor_to_Tensor_anywhere_up_its_chain()
    {
        var net = Type("Lab.Models.Net");
        Assert.True(net.IsModule);
        Assert.Equal("Net", net.SimpleName);
        Assert.Equal("global::Lab.Models.Net", net.FullyQualified);
        Assert.Equal("TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>", net.BaseType);
        Assert.Equal(("public", false, false, false), (net.Accessibility, net.IsAbstract, net.IsGeneric, net.IsStatic));

        var inner = Type("Lab.Models.Net.Inner");
        Assert.True(inner.IsModule);
        Assert.Equal("Lab.Models.Net", inner.BaseType);
        Assert.Equal("global::Lab.Models.Net.Inner", inner.FullyQualified);

        Assert.True(Type("Lab.Models.Hidden").IsModule);
        Assert.Equal("internal", Type("Lab.Models.Hidden").Accessibility);
        Assert.True(Type("Lab.Models.Base").IsAbstract);
        Assert.Empty(Type("Lab.Models.Base").Constructors);
        Assert.True(Type("Lab.Models.Generic").IsGeneric);
        Assert.Equal(1, Type("Lab.Models.Generic").Arity);
    }

    [Fact]
    public void Other_classes_name_their_base_and_hold_no_constructors_or_files()
    {
        var pair = Type("Lab.Models.Pair");
        Assert.False(pair.IsModule);
        Assert.Equal("TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>", pair.BaseType);
        Assert.Empty(pair.Constructors);
        Assert.Empty(pair.SourceFiles);
        Assert.Equal(string.Empty, pair.SourceSha256);

        Assert.Null(Type("Lab.Models.Plain").BaseType);
        Assert.Equal("System.Exception", Type("Lab.Models.Error").BaseType);
        Assert.True(Type("Lab.Models.Helpers").IsStatic);
        Assert.False(Type("Lab.Models.Helpers").IsAbstract);
    }

    [Fact]
    public void Public_constructors_keep_their_parameters_kinds_and_defaults()
    {
        var constructors = Type("Lab.Models.Net").Constructors;
        Assert.Equal(2, constructors.Count);
        Assert.Equal("Net(int width)", constructors[1].Signature("Net"));
        Assert.Equal(
            "Net(int hidden = 128, long seed = 7L, float scale = 0.5f, double dropout = 0.2, bool bias = true, string name = \"net\", Act act = Act.Gelu, "
            + "int[]? channels = null, IReadOnlyList<long> sizes = null, IList<float>? weights = null, List<double>? rates = null, int? maybe = 3, object? other = null, List<string>? words = null)",
            constructors[0].Signature("Net"));

        var p = constructors[0].Parameters.ToDictionary(x => x.Name);
        Assert.Equal((ParameterKind.Int, true, "128"), (p["hidden"].Type.Kind, p["hidden"].IsOptional, p["hidden"].DefaultLiteral));
        Assert.Equal(ParameterKind.Long, p["seed"].Type.Kind);
        Assert.Equal(ParameterKind.Float, p["scale"].Type.Kind);
        Assert.Equal(ParameterKind.Double, p["dropout"].Type.Kind);
        Assert.Equal(ParameterKind.Bool, p["bias"].Type.Kind);
        Assert.Equal((ParameterKind.String, false), (p["name"].Type.Kind, p["name"].Type.AcceptsNull));
        Assert.Equal(new ParameterTypeSpec(ParameterKind.Enum, CollectionKind.None, ParameterKind.None, "global::Lab.Models.Act", string.Empty, "Act", false, new[] { "Relu", "Gelu", "Tanh" }.ToEquatableArray()), p["act"].Type);
        Assert.Equal(new ParameterTypeSpec(ParameterKind.List, CollectionKind.Array, ParameterKind.Int, "int[]", "int", "int[]?", true, EquatableArray<string>.Empty), p["channels"].Type);
        Assert.Equal((ParameterKind.List, CollectionKind.IReadOnlyList, ParameterKind.Long, false), (p["sizes"].Type.Kind, p["sizes"].Type.Collection, p["sizes"].Type.ElementKind, p["sizes"].Type.AcceptsNull));
        Assert.Equal("global::System.Collections.Generic.IReadOnlyList<long>", p["sizes"].Type.FullyQualified);
        Assert.Equal((CollectionKind.IList, ParameterKind.Float), (p["weights"].Type.Collection, p["weights"].Type.ElementKind));
        Assert.Equal((CollectionKind.List, ParameterKind.Double, "global::System.Collections.Generic.List<double>"), (p["rates"].Type.Collection, p["rates"].Type.ElementKind, p["rates"].Type.FullyQualified));
        Assert.Equal((ParameterKind.Int, true, "int?", "3"), (p["maybe"].Type.Kind, p["maybe"].Type.AcceptsNull, p["maybe"].Type.Display, p["maybe"].DefaultLiteral));
        Assert.Equal((ParameterKind.Unsupported, "object?"), (p["other"].Type.Kind, p["other"].Type.Display));
        Assert.Equal((ParameterKind.Unsupported, "List<string>?"), (p["words"].Type.Kind, p["words"].Type.Display));

        var width = constructors[1].Parameters.Single();
        Assert.Equal(("width", false, null), (width.Name, width.IsOptional, width.DefaultLiteral));
    }

    [Fact]
    public void A_module_keeps_the_hash_of_every_file_that_declares_it()
    {
        const string First = "using TorchSharp;\nusing static TorchSharp.torch;\nnamespace Lab;\npublic partial class Split : nn.Module<Tensor, Tensor>\n{\n    public Split() : base(\"split\") { }\n}\n";
        const string Second = "using static TorchSharp.torch;\nnamespace Lab;\npublic partial class Split\n{\n    public override Tensor forward(Tensor input) => input;\n}\n";
        var catalog = ModuleLab.Catalog(("/project/Models/Split.b.cs", Second), ("/project/Models/Split.a.cs", First));

        var split = Assert.Single(catalog.Types);
        Assert.Equal(
            [new SourceFileSpec("/project/Models/Split.a.cs", ConfigurationHash.OfText(First)), new SourceFileSpec("/project/Models/Split.b.cs", ConfigurationHash.OfText(Second))],
            split.SourceFiles);
        Assert.Equal(ConfigurationHash.OfText(ConfigurationHash.OfText(First) + "\n" + ConfigurationHash.OfText(Second) + "\n"), split.SourceSha256);

        var single = ModuleLab.Catalog(("/project/Models/Net.cs", ModuleLab.MyNet)).Types.Single();
        Assert.Equal(ConfigurationHash.OfText(ModuleLab.MyNet), single.SourceSha256);
        Assert.Matches("^[0-9a-f]{64}$", single.SourceSha256);
    }

    [Fact]
    public void Two_catalogs_of_the_same_code_are_equal_and_Only_keeps_what_names_match()
    {
        var again = ModuleLab.Catalog(("/project/Models/Net.cs", Source));
        Assert.Equal(Catalog, again);
        Assert.Equal(Catalog.GetHashCode(), again.GetHashCode());

        var only = Catalog.Only(["Net", "global::Lab.Models.Hidden"]);
        Assert.Equal(["Lab.Models.Hidden", "Lab.Models.Net"], only.Types.Select(t => t.FullName));
        Assert.Empty(only.ModuleNames);

        var unknown = Catalog.Only(["Nett"]);
        Assert.Empty(unknown.Types);
        Assert.Equal(Catalog.ModuleNames, unknown.ModuleNames);

        // A simple name matches every class of that name; a full name only its own.
        Assert.Equal(["Lab.Models.Net.Inner"], Catalog.Only(["Inner"]).Types.Select(t => t.FullName));
        Assert.Equal(["Lab.Models.Net.Inner"], Catalog.Only(["Lab.Models.Net.Inner"]).Types.Select(t => t.FullName));
    }
}
