using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Spelling;

namespace Experiments.Generators.Model;

/// <summary>Paths into a YAML tree, as the <c>sweep</c> block writes them: <c>model.mlp.hidden</c>, <c>model.layers.0.conv2d.channels</c>.</summary>
internal static class YamlPaths
{
    /// <summary>
    /// <paramref name="tree"/> with the node at <paramref name="path"/> (from segment <paramref name="start"/> on)
    /// replaced by <paramref name="replacement"/>; a missing last key of a mapping is added, at
    /// <paramref name="keyLocation"/> (the sweep's key, so that a misspelt key is reported once, there). Null, with
    /// the reason in <paramref name="problem"/>, when the path does not lead into the tree.
    /// </summary>
    public static YamlValue? Replace(YamlValue tree, string[] path, int start, YamlValue replacement, SourceLocation keyLocation, out string? problem)
    {
        problem = null;
        if (start == path.Length)
        {
            return replacement;
        }

        var segment = path[start];
        var here = string.Join(".", path.Take(start));
        switch (tree)
        {
            case YamlMap map:
                var index = -1;
                for (var i = 0; i < map.Entries.Count; i++)
                {
                    if (map.Entries[i].Key == segment)
                    {
                        index = i;
                    }
                }

                if (index < 0)
                {
                    if (start == path.Length - 1)
                    {
                        var added = map.Entries.AsImmutableArray().Add(new YamlEntry(segment, keyLocation, replacement));
                        return map with { Entries = added.ToEquatableArray() };
                    }

                    var suggestion = EditDistance.Closest(segment, map.Entries.Select(e => e.Key));
                    problem = $"does not lead into the model: {here} has no key '{segment}'{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}";
                    return null;
                }

                var entry = map.Entries[index];
                if (Replace(entry.Value, path, start + 1, replacement, keyLocation, out problem) is not { } value)
                {
                    return null;
                }

                return map with { Entries = map.Entries.AsImmutableArray().SetItem(index, entry with { Value = value }).ToEquatableArray() };

            case YamlList list:
                if (!int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position >= list.Items.Count)
                {
                    problem = $"does not lead into the model: {here} is a list of {list.Items.Count.ToString(CultureInfo.InvariantCulture)}, so the step after it must be an index from 0 to {(list.Items.Count - 1).ToString(CultureInfo.InvariantCulture)}, not '{segment}'";
                    return null;
                }

                if (Replace(list.Items[position], path, start + 1, replacement, keyLocation, out problem) is not { } item)
                {
                    return null;
                }

                return list with { Items = list.Items.AsImmutableArray().SetItem(position, item).ToEquatableArray() };

            default:
                problem = $"does not lead into the model: {here} is {tree.Describe()}, which holds no '{segment}'";
                return null;
        }
    }
}
