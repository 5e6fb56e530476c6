using System.Linq;
using Experiments.Generators.Model;

namespace Experiments.Generators.Modules;

/// <summary>One constructor argument an experiment file gives.</summary>
/// <param name="Name">The parameter's name, as C# declares it (without <c>@</c>).</param>
/// <param name="CSharpExpression">The value as a C# expression that compiles without a warning: <c>128</c>,
/// <c>0.25</c>, <c>0.5f</c>, <c>7L</c>, <c>true</c>, <c>"text"</c>, <c>global::Lab.Act.Relu</c>,
/// <c>new int[] { 16, 32 }</c>, <c>null</c>.</param>
/// <param name="Canonical">The value as invariant text, one spelling per value, for hashes and names: <c>128</c>,
/// <c>0.25</c>, <c>true</c>, the text of a string, the enum member as C# declares it (<c>Relu</c>), <c>[16, 32]</c>, <c>null</c>.</param>
internal sealed record BoundArgument(string Name, string CSharpExpression, string Canonical)
{
    /// <summary>As a named argument of a call: <c>hidden: 128</c> (<c>@class: 1</c> for a keyword).</summary>
    public string NamedArgument => ModuleBinder.Identifier(Name) + ": " + CSharpExpression;
}

/// <summary>A module class an experiment file names, checked against its constructors, ready to emit.</summary>
/// <param name="TypeName">The class as generated code names it: <c>global::Experiments.Runner.Models.MyNet</c>.</param>
/// <param name="Arguments">The arguments the file gives, in the constructor's parameter order; those it leaves out keep their defaults.</param>
/// <param name="SourceSha256">The model's code fingerprint (<see cref="ModuleTypeSpec.SourceSha256"/>).</param>
/// <param name="SourceFiles">The paths of the files that declare the class, in ordinal order.</param>
internal sealed record BoundModule(string TypeName, EquatableArray<BoundArgument> Arguments, string SourceSha256, EquatableArray<string> SourceFiles)
{
    /// <summary>The call that creates the module, with named arguments: <c>new global::Lab.MyNet(hidden: 128, dropout: 0.25)</c>.</summary>
    public string CreationExpression => "new " + TypeName + "(" + string.Join(", ", Arguments.Select(a => a.NamedArgument)) + ")";

    /// <summary>Invariant text of the class and arguments, for hashes: <c>Lab.MyNet(hidden=128, dropout=0.25)</c>.</summary>
    public string Canonical =>
        (TypeName.StartsWith("global::", System.StringComparison.Ordinal) ? TypeName.Substring("global::".Length) : TypeName)
        + "(" + string.Join(", ", Arguments.Select(a => a.Name + "=" + a.Canonical)) + ")";
}
