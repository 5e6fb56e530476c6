using System.Linq;
using Experiments.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Diagnostics;

/// <summary>Where in a file a diagnostic points, as plain values (a <see cref="Location"/> is not equatable).</summary>
internal readonly record struct SourceLocation(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>The location in the file, or <see cref="Location.None"/> when there is no file (a project-wide problem in a project without one).</summary>
    public Location ToLocation() => FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);

    /// <summary>1-based line, as shown to users.</summary>
    public int Line => LineSpan.Start.Line + 1;
}

/// <summary>A diagnostic as a value, so that it can flow through the incremental pipeline and be cached.</summary>
internal sealed record DiagnosticInfo(string Id, SourceLocation Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SourceLocation location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var descriptor = DiagnosticDescriptors.ById(Id);
        return Diagnostic.Create(descriptor, Location.ToLocation(), Arguments.Cast<object>().ToArray());
    }
}
