using System;
using Experiments.Generators.Diagnostics;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Project;

/// <summary>
/// The namespace generated code goes into: <c>ExperimentsNamespace</c>, else the project's <c>RootNamespace</c>,
/// else <see cref="Default"/>. A value that C# cannot take as a namespace is <see cref="Diagnostic"/> (EXP0045, at
/// the project file) and <see cref="Name"/> is null: nothing is generated.
/// </summary>
/// <param name="Name">The namespace as C# source, or null when the value is not a valid namespace.</param>
/// <param name="Diagnostic">EXP0045 when the value is not valid, else null.</param>
internal sealed record GeneratedNamespace(string? Name, DiagnosticInfo? Diagnostic)
{
    /// <summary>The namespace of a project that sets neither property (the generator's tests, a bare compilation).</summary>
    public const string Default = "Experiments.Generated";

    public const string NamespaceProperty = "build_property.ExperimentsNamespace";

    public const string RootNamespaceProperty = "build_property.RootNamespace";

    /// <summary>The project file, where the diagnostic of a bad value points.</summary>
    public const string ProjectFileProperty = "build_property.MSBuildProjectFullPath";

    public static GeneratedNamespace From(AnalyzerConfigOptions options)
    {
        var (property, value) = ProjectSettings.Value(options, NamespaceProperty) is { } configured
            ? ("ExperimentsNamespace", configured)
            : ProjectSettings.Value(options, RootNamespaceProperty) is { } root
                ? ("RootNamespace", root)
                : (null, Default);
        var name = value.Trim();
        if (property is null || Problem(name) is not { } problem)
        {
            return new(name, null);
        }

        var file = ProjectSettings.Value(options, ProjectFileProperty) ?? string.Empty;
        var location = new SourceLocation(file, default, default);
        return new(null, DiagnosticInfo.Create(DiagnosticDescriptors.InvalidNamespace, location, property, value, problem));
    }

    /// <summary>What makes <paramref name="name"/> not a C# namespace name, or null when it is one.</summary>
    public static string? Problem(string name)
    {
        foreach (var segment in name.Split('.'))
        {
            if (segment.Length == 0)
            {
                return "it has an empty part (a '.' at the start or the end, or two in a row)";
            }

            var verbatim = segment[0] == '@';
            var identifier = verbatim ? segment.Substring(1) : segment;
            if (!SyntaxFacts.IsValidIdentifier(identifier) || identifier.IndexOf('\\') >= 0)
            {
                return $"the part '{identifier}' is not a C# identifier (letters, digits and '_', not starting with a digit)";
            }

            if (!verbatim && SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None)
            {
                return $"the part '{identifier}' is a C# keyword (write '@{identifier}' to use it as a name)";
            }
        }

        return null;
    }
}
