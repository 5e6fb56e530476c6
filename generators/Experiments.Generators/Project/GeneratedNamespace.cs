using System;
using System.Text;
using Experiments.Generators.Diagnostics;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Project;

/// <summary>
/// The namespace generated code goes into: <c>ExperimentsNamespace</c>, else the project's <c>RootNamespace</c> made
/// safe (<see cref="ToSafeNamespace"/>: the SDK defaults it to the project's file name, and <c>my-lab.csproj</c>
/// gives <c>my_lab</c>), else <see cref="Default"/>. An <c>ExperimentsNamespace</c> that C# cannot take as a
/// namespace is <see cref="Diagnostic"/> (EXP0045, at the project file) and <see cref="Name"/> is null: nothing is
/// generated.
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
        if (ProjectSettings.Value(options, NamespaceProperty) is not { } configured)
        {
            return new(ProjectSettings.Value(options, RootNamespaceProperty) is { } root ? ToSafeNamespace(root) : Default, null);
        }

        var name = configured.Trim();
        if (Problem(name) is not { } problem)
        {
            return new(name, null);
        }

        var file = ProjectSettings.Value(options, ProjectFileProperty) ?? string.Empty;
        var location = new SourceLocation(file, default, default);
        return new(null, DiagnosticInfo.Create(DiagnosticDescriptors.InvalidNamespace, location, "ExperimentsNamespace", configured, problem));
    }

    /// <summary>
    /// <paramref name="value"/> (a <c>RootNamespace</c>, which the SDK takes from the project's file name) as a C#
    /// namespace, the way <c>dotnet new</c>'s <c>safe_namespace</c> value form makes one of a project name, so that a
    /// project named <c>my-lab</c> builds with the namespace <c>my_lab</c>: the value is trimmed and split at
    /// <c>.</c>; in each part, every character C# does not allow in a name (anything but letters, digits, connecting,
    /// combining and formatting characters: <c>-</c>, a space, <c>\</c>, a symbol, a character outside the Basic
    /// Multilingual Plane) becomes <c>_</c>, one <c>_</c> for each; a part that starts with a digit (or another
    /// character a name cannot start with) gets a <c>_</c> in front; an empty part (<c>a..b</c>, a <c>.</c> at
    /// either end) is <c>_</c>; a part that is a C# keyword gets an <c>@</c> in front (<c>Lab.class</c> is the
    /// namespace <c>Lab.@class</c>, whose name is <c>Lab.class</c>). A part already written with <c>@</c> keeps it.
    /// The result always passes <see cref="Problem"/>.
    /// </summary>
    public static string ToSafeNamespace(string value)
    {
        var parts = value.Trim().Split('.');
        var safe = new StringBuilder(value.Length + 4);
        for (var p = 0; p < parts.Length; p++)
        {
            if (p > 0)
            {
                safe.Append('.');
            }

            var part = parts[p];
            var verbatim = part.Length > 1 && part[0] == '@';
            var identifier = new StringBuilder(part.Length + 1);
            for (var i = verbatim ? 1 : 0; i < part.Length; i++)
            {
                var character = part[i];
                if (char.IsHighSurrogate(character) && i + 1 < part.Length && char.IsLowSurrogate(part[i + 1]))
                {
                    // C# names hold UTF-16 code units of the Basic Multilingual Plane only: one '_' for the pair.
                    identifier.Append('_');
                    i++;
                }
                else if (identifier.Length == 0 && !SyntaxFacts.IsIdentifierStartCharacter(character) && SyntaxFacts.IsIdentifierPartCharacter(character))
                {
                    identifier.Append('_').Append(character);
                }
                else
                {
                    identifier.Append(SyntaxFacts.IsIdentifierPartCharacter(character) ? character : '_');
                }
            }

            if (identifier.Length == 0)
            {
                identifier.Append('_');
            }

            var name = identifier.ToString();
            if (verbatim || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
            {
                safe.Append('@');
            }

            safe.Append(name);
        }

        return safe.ToString();
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
