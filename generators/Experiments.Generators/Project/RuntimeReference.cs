using System;
using System.Linq;
using System.Reflection;
using Experiments.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Project;

/// <summary>
/// The Experiments.Core the compilation references, as a plain value (its version, not its symbol), and whether the
/// generated code can call it: the code calls the runtime API of the generator's own release, so the two versions
/// must agree in Major.Minor.Build (both come from the repository's one <c>VersionPrefix</c>).
/// </summary>
/// <param name="CoreVersion">The referenced Experiments.Core's assembly version as Major.Minor.Build, or null when there is none.</param>
internal sealed record RuntimeReference(string? CoreVersion)
{
    public const string CoreAssemblyName = "Experiments.Core";

    /// <summary>This generator's assembly version, Major.Minor.Build.</summary>
    public static string GeneratorVersion { get; } = Release(typeof(RuntimeReference).Assembly.GetName().Version);

    /// <summary>This generator's informational version (with the commit, when the build knew it), as <c>ExperimentProject.GeneratorVersion</c> holds it.</summary>
    public static string GeneratorInformationalVersion { get; } =
        typeof(RuntimeReference).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? GeneratorVersion;

    public bool Matches => string.Equals(CoreVersion, GeneratorVersion, StringComparison.Ordinal);

    public static RuntimeReference From(Compilation compilation)
    {
        var core = compilation.ReferencedAssemblyNames.FirstOrDefault(a => string.Equals(a.Name, CoreAssemblyName, StringComparison.Ordinal));
        return new(core is null ? null : Release(core.Version));
    }

    /// <summary>EXP0046 at the first experiment file (line 1), or nowhere when the project has none; null when the versions agree.</summary>
    public DiagnosticInfo? Diagnostic(string? firstExperimentFile)
    {
        if (Matches)
        {
            return null;
        }

        var location = new SourceLocation(firstExperimentFile ?? string.Empty, default, default);
        var referenced = CoreVersion is null ? "no Experiments.Core" : "Experiments.Core " + CoreVersion;
        return DiagnosticInfo.Create(DiagnosticDescriptors.RuntimeVersionMismatch, location, referenced, GeneratorVersion);
    }

    private static string Release(Version? version) =>
        version is null ? "0.0.0" : new Version(version.Major, version.Minor, Math.Max(version.Build, 0)).ToString();
}
