using System.Linq;
using System.Text;
using Experiments.Generators.Model;

namespace Experiments.Generators.Modules;

/// <summary>What a constructor parameter (or a list parameter's element) holds, as far as an experiment file can give it.</summary>
internal enum ParameterKind
{
    /// <summary>No kind: the element kind of a parameter that is not a list.</summary>
    None,

    Int,
    Long,
    Float,
    Double,
    Bool,
    String,

    /// <summary>An enum: the YAML value is a member name (case-insensitive).</summary>
    Enum,

    /// <summary>An array or list of <see cref="ParameterTypeSpec.ElementKind"/>: the YAML value is a list.</summary>
    List,

    /// <summary>A type an experiment file cannot give (a class, a struct, a list of strings, ...).</summary>
    Unsupported,
}

/// <summary>Which collection type a <see cref="ParameterKind.List"/> parameter is declared as.</summary>
internal enum CollectionKind
{
    None,

    /// <summary><c>T[]</c>.</summary>
    Array,

    /// <summary><c>IReadOnlyList&lt;T&gt;</c>.</summary>
    IReadOnlyList,

    /// <summary><c>IList&lt;T&gt;</c>.</summary>
    IList,

    /// <summary><c>List&lt;T&gt;</c>.</summary>
    List,
}

/// <summary>A constructor parameter's type as plain values.</summary>
/// <param name="Kind">What the parameter holds.</param>
/// <param name="Collection">For <see cref="ParameterKind.List"/>, the declared collection type.</param>
/// <param name="ElementKind">For <see cref="ParameterKind.List"/>, the element's kind (int, long, float or double); otherwise <see cref="ParameterKind.None"/>.</param>
/// <param name="FullyQualified">The type as generated code writes it, <c>global::</c>-qualified, without a nullable annotation (for an enum: the enum's name).</param>
/// <param name="ElementFullyQualified">For a list, the element type as generated code writes it (<c>int</c>); otherwise empty.</param>
/// <param name="Display">The type as messages show it, as the C# declares it (<c>int[]?</c>, <c>List&lt;float&gt;</c>, <c>Activation</c>).</param>
/// <param name="AcceptsNull">Whether <c>null</c> is a valid value: a nullable-annotated (or oblivious) reference type, or <c>T?</c> of a value type.</param>
/// <param name="EnumMembers">For an enum, its member names in declaration order.</param>
internal sealed record ParameterTypeSpec(
    ParameterKind Kind,
    CollectionKind Collection,
    ParameterKind ElementKind,
    string FullyQualified,
    string ElementFullyQualified,
    string Display,
    bool AcceptsNull,
    EquatableArray<string> EnumMembers);

/// <summary>One parameter of a public constructor.</summary>
/// <param name="Name">The parameter's name as written in C#, without a leading <c>@</c>: the key under <c>args</c>.</param>
/// <param name="Type">Its type.</param>
/// <param name="IsOptional">Whether a call may leave it out (it has a default value, or is <c>params</c>).</param>
/// <param name="DefaultLiteral">The default as C# writes it (<c>128</c>, <c>0.2</c>, <c>null</c>, <c>Activation.Relu</c>), for messages; null when required.</param>
internal sealed record ModuleParameterSpec(string Name, ParameterTypeSpec Type, bool IsOptional, string? DefaultLiteral)
{
    /// <summary>As in a C# signature: <c>double dropout = 0.2</c>.</summary>
    public string Signature => Type.Display + " " + ModuleBinder.Identifier(Name) + (DefaultLiteral is null ? string.Empty : " = " + DefaultLiteral);
}

/// <summary>One public constructor, its parameters in declaration order.</summary>
internal sealed record ModuleConstructorSpec(EquatableArray<ModuleParameterSpec> Parameters)
{
    /// <summary>The constructor as messages show it: <c>MyNet(int hidden = 128, double dropout = 0.2)</c>.</summary>
    public string Signature(string typeName) => typeName + "(" + string.Join(", ", Parameters.Select(p => p.Signature)) + ")";

    public ModuleParameterSpec? Find(string name) => Parameters.FirstOrDefault(p => p.Name == name);
}

/// <summary>A file that declares (part of) a module class, and the SHA-256 of its text.</summary>
/// <param name="Path">The file's path as the compilation has it.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's text as the compiler decoded it, UTF-8 without a byte-order mark (<see cref="ConfigurationHash.OfText"/>).</param>
internal sealed record SourceFileSpec(string Path, string Sha256);

/// <summary>
/// A class of the compilation's source code, as an experiment file's <c>model: class:</c> could name it: plain,
/// value-equatable data (no symbol, syntax or location), so it caches in the incremental pipeline.
/// </summary>
/// <param name="FullName">Namespace and type names joined by '.', nested types too (<c>Experiments.Runner.Models.MyNet</c>, <c>Lab.Outer.Inner</c>); no type parameters.</param>
/// <param name="SimpleName">The type's own name (<c>MyNet</c>).</param>
/// <param name="FullyQualified">As generated code names it: <c>global::Experiments.Runner.Models.MyNet</c>.</param>
/// <param name="Arity">Its own number of type parameters.</param>
/// <param name="IsModule">Whether it derives, anywhere up its chain of base classes, from <c>TorchSharp.torch.nn.Module&lt;Tensor, Tensor&gt;</c>.</param>
/// <param name="BaseType">Its first base class other than <c>object</c>, as messages show it (<c>System.Exception</c>); null when it derives from <c>object</c> only.</param>
/// <param name="Accessibility">Its effective accessibility, as C# spells it (<c>public</c>, <c>internal</c>, ...): the least accessible of it and its containing types.</param>
/// <param name="IsAbstract">Declared <c>abstract</c>.</param>
/// <param name="IsGeneric">It, or a type containing it, has type parameters.</param>
/// <param name="IsStatic">Declared <c>static</c>.</param>
/// <param name="Constructors">For a module: its public instance constructors, in declaration order; empty for other classes.</param>
/// <param name="SourceFiles">For a module: every file that declares part of it, by path; empty for other classes.</param>
internal sealed record ModuleTypeSpec(
    string FullName,
    string SimpleName,
    string FullyQualified,
    int Arity,
    bool IsModule,
    string? BaseType,
    string Accessibility,
    bool IsAbstract,
    bool IsGeneric,
    bool IsStatic,
    EquatableArray<ModuleConstructorSpec> Constructors,
    EquatableArray<SourceFileSpec> SourceFiles)
{
    public bool IsPublic => Accessibility == "public";

    /// <summary>
    /// The model's code fingerprint: for one file the SHA-256 of its text (what <c>sha256sum</c> prints for a UTF-8
    /// file without a byte-order mark); for a partial class in several files the SHA-256 of their hashes, one a
    /// line in path order. Empty for a class that is not a module.
    /// </summary>
    public string SourceSha256 => SourceFiles.Count switch
    {
        0 => string.Empty,
        1 => SourceFiles[0].Sha256,
        _ => ConfigurationHash.OfText(SourceFiles.Aggregate(new StringBuilder(), (b, f) => b.Append(f.Sha256).Append('\n')).ToString()),
    };
}
