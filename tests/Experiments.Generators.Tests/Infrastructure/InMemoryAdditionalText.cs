using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Tests.Infrastructure;

/// <summary>An additional file (an <c>AdditionalFiles</c> item) held in memory.</summary>
internal sealed class InMemoryAdditionalText : AdditionalText
{
    private readonly SourceText? text;

    public InMemoryAdditionalText(string path, SourceText? text)
    {
        Path = path;
        this.text = text;
    }

    public InMemoryAdditionalText(string path, string content)
        : this(path, SourceText.From(content, Encoding.UTF8))
    {
    }

    public override string Path { get; }

    public override SourceText? GetText(CancellationToken cancellationToken = default) => text;

    public override string ToString() => Path;
}
