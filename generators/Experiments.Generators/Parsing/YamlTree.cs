using System.Collections.Immutable;
using YamlDotNet.Core;

namespace Experiments.Generators.Parsing;

/// <summary>A node of a parsed YAML document, with where it starts and ends in the file.</summary>
internal abstract class YamlTreeNode
{
    protected YamlTreeNode(Mark start, Mark end)
    {
        Start = start;
        End = end;
    }

    public Mark Start { get; }

    public Mark End { get; }

    /// <summary>How the node is named in messages: "a list", "a mapping", or the quoted scalar.</summary>
    public abstract string Describe();
}

internal sealed class YamlScalarNode : YamlTreeNode
{
    public YamlScalarNode(string value, ScalarStyle style, string? tag, Mark start, Mark end)
        : base(start, end)
    {
        Value = value;
        Style = style;
        Tag = tag;
    }

    public string Value { get; }

    public ScalarStyle Style { get; }

    /// <summary>An explicit tag such as <c>!!str</c>, or null.</summary>
    public string? Tag { get; }

    public bool IsPlain => Style == ScalarStyle.Plain;

    /// <summary>True for a plain <c>~</c>, <c>null</c> or empty value: YAML's null.</summary>
    public bool IsNull => IsPlain && Tag is null && (Value.Length == 0 || Value == "~" || Value == "null" || Value == "Null" || Value == "NULL");

    public override string Describe() => IsNull ? "empty" : (IsPlain ? "'" + Value + "'" : "the quoted text '" + Value + "'");
}

internal sealed class YamlSequenceNode : YamlTreeNode
{
    public YamlSequenceNode(ImmutableArray<YamlTreeNode> items, Mark start, Mark end)
        : base(start, end)
    {
        Items = items;
    }

    public ImmutableArray<YamlTreeNode> Items { get; }

    public override string Describe() => "a list";
}

internal sealed class YamlMappingNode : YamlTreeNode
{
    public YamlMappingNode(ImmutableArray<(YamlTreeNode Key, YamlTreeNode Value)> entries, Mark start, Mark end)
        : base(start, end)
    {
        Entries = entries;
    }

    public ImmutableArray<(YamlTreeNode Key, YamlTreeNode Value)> Entries { get; }

    public override string Describe() => "a mapping";
}
