using System;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Emitting;

/// <summary>Writes C# source line by line, keeping track of indentation (after System.Text.Json's generator).</summary>
internal sealed class SourceWriter
{
    private const int SpacesPerLevel = 4;
    private readonly StringBuilder builder = new();
    private int indentation;

    public void WriteLine() => builder.Append('\n');

    public void WriteLine(string line)
    {
        if (line.Length > 0)
        {
            builder.Append(' ', indentation * SpacesPerLevel);
        }

        builder.Append(line).Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any), an opening brace, and indents until disposed.</summary>
    public IDisposable Block(string? header = null, string closing = "}")
    {
        if (header is not null)
        {
            WriteLine(header);
        }

        WriteLine("{");
        indentation++;
        return new Closer(this, closing);
    }

    public SourceText ToSourceText() => SourceText.From(builder.ToString(), Encoding.UTF8);

    public override string ToString() => builder.ToString();

    private sealed class Closer : IDisposable
    {
        private readonly SourceWriter writer;
        private readonly string closing;

        public Closer(SourceWriter writer, string closing)
        {
            this.writer = writer;
            this.closing = closing;
        }

        public void Dispose()
        {
            writer.indentation--;
            writer.WriteLine(closing);
        }
    }
}
