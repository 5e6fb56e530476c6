using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Bench;

/// <summary>An additional file (an <c>AdditionalFiles</c> item) held in memory.</summary>
internal sealed class InMemoryAdditionalText(string path, string content) : AdditionalText
{
    private readonly SourceText text = SourceText.From(content, Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => text;

    public override string ToString() => Path;
}
