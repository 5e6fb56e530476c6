using Experiments.Generators.Diagnostics;

namespace Experiments.Generators.Model;

/// <summary>
/// A YAML value as plain, value-equatable data with where it is written: how nested keys (<c>model</c>, the
/// <c>sweep</c> block) flow through the incremental pipeline. Scalars keep their text; meaning comes later, from the
/// model's parser or a user module's constructor.
/// </summary>
internal abstract record YamlValue(SourceLocation Location)
{
    /// <summary>How the value is named in messages: "a list", "a mapping", or the quoted scalar.</summary>
    public abstract string Describe();
}

/// <summary>A scalar: its text, and whether it was written plain (unquoted); a plain <c>~</c>, <c>null</c> or nothing is null.</summary>
internal sealed record YamlScalar(string Text, bool IsPlain, SourceLocation Location) : YamlValue(Location)
{
    /// <summary>True for a plain <c>~</c>, <c>null</c> or empty value: YAML's null.</summary>
    public bool IsNull => IsPlain && (Text.Length == 0 || Text is "~" or "null" or "Null" or "NULL");

    public override string Describe() => IsNull ? "empty" : (IsPlain ? "'" + Text + "'" : "the quoted text '" + Text + "'");
}

/// <summary>A list.</summary>
internal sealed record YamlList(EquatableArray<YamlValue> Items, SourceLocation Location) : YamlValue(Location)
{
    public override string Describe() => "a list";
}

/// <summary>A mapping, its keys in file order (keys are plain scalars, each once: the parser checks).</summary>
internal sealed record YamlMap(EquatableArray<YamlEntry> Entries, SourceLocation Location) : YamlValue(Location)
{
    public override string Describe() => "a mapping";

    /// <summary>The entry for <paramref name="key"/>, or null.</summary>
    public YamlEntry? Find(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key == key)
            {
                return entry;
            }
        }

        return null;
    }
}

/// <summary>One key of a mapping, where the key is written, and its value.</summary>
internal sealed record YamlEntry(string Key, SourceLocation KeyLocation, YamlValue Value);

/// <summary>The canonical text of a YAML value: the configuration hash and the names of sweep members use it.</summary>
internal static class YamlText
{
    /// <summary>
    /// A compact flow form: scalars as written (quoted, with <c>\</c> and <c>"</c> escaped, when they hold a
    /// character that flow syntax uses or were quoted), lists as <c>[a,b]</c>, mappings as <c>{k:v,...}</c> in file
    /// order. Equal for equal values, whatever the layout and comments.
    /// </summary>
    public static string Canonical(YamlValue value)
    {
        var builder = new System.Text.StringBuilder();
        Write(builder, value);
        return builder.ToString();
    }

    private static void Write(System.Text.StringBuilder builder, YamlValue value)
    {
        switch (value)
        {
            case YamlScalar scalar:
                if (scalar.IsNull)
                {
                    builder.Append('~');
                }
                else if (scalar.IsPlain && scalar.Text.IndexOfAny(new[] { ',', '[', ']', '{', '}', ':', '"', '\\', '\n', '\r' }) < 0)
                {
                    builder.Append(scalar.Text);
                }
                else
                {
                    builder.Append('"').Append(scalar.Text.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r")).Append('"');
                }

                break;

            case YamlList list:
                builder.Append('[');
                for (var i = 0; i < list.Items.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ",");
                    Write(builder, list.Items[i]);
                }

                builder.Append(']');
                break;

            case YamlMap map:
                builder.Append('{');
                for (var i = 0; i < map.Entries.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ",").Append(map.Entries[i].Key).Append(':');
                    Write(builder, map.Entries[i].Value);
                }

                builder.Append('}');
                break;
        }
    }
}
