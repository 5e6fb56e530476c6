using Experiments.Generators.Model;

namespace Experiments.Generators.Modules;

/// <summary>A user module's constructor call, checked against the compilation.</summary>
/// <param name="TypeName">The type, fully qualified with <c>global::</c>.</param>
/// <param name="Arguments">The arguments the file gives, in constructor parameter order.</param>
/// <param name="SourceSha256">SHA-256 of the source files that declare the type.</param>
/// <param name="SourceFiles">Those files.</param>
internal sealed record BoundModule(string TypeName, EquatableArray<BoundArgument> Arguments, string SourceSha256, EquatableArray<string> SourceFiles);

/// <summary>One constructor argument: its parameter name, its C# expression, and its canonical text.</summary>
internal sealed record BoundArgument(string Name, string CSharpExpression, string Canonical);
