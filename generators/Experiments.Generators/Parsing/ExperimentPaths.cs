using System;
using System.Collections.Generic;

namespace Experiments.Generators.Parsing;

/// <summary>
/// Path arithmetic on the paths Roslyn hands the generator, as strings only: the generator never touches the
/// file system (RS1035), so it behaves the same in the IDE and on the command line.
/// </summary>
internal static class ExperimentPaths
{
    /// <summary>'/' separators, with '.' and '..' segments folded away.</summary>
    public static string Normalize(string path)
    {
        var unified = path.Replace('\\', '/');
        var rooted = unified.StartsWith("/", StringComparison.Ordinal);
        var segments = new List<string>();
        foreach (var segment in unified.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == ".." && segments.Count > 0 && segments[segments.Count - 1] != "..")
            {
                segments.RemoveAt(segments.Count - 1);
            }
            else
            {
                segments.Add(segment);
            }
        }

        return (rooted ? "/" : string.Empty) + string.Join("/", segments);
    }

    /// <summary>The file <paramref name="reference"/> names, read relative to the folder of <paramref name="fromFile"/>.</summary>
    public static string Resolve(string fromFile, string reference)
    {
        var unified = reference.Replace('\\', '/');
        var absolute = unified.StartsWith("/", StringComparison.Ordinal) || (unified.Length > 1 && unified[1] == ':');
        return Normalize(absolute ? unified : Directory(Normalize(fromFile)) + "/" + unified);
    }

    /// <summary>The folder part of a normalized path.</summary>
    public static string Directory(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path.Substring(0, slash);
    }

    /// <summary>The file name part of a path.</summary>
    public static string FileName(string path)
    {
        var slash = path.Replace('\\', '/').LastIndexOf('/');
        return slash < 0 ? path : path.Substring(slash + 1);
    }

    /// <summary>
    /// <paramref name="path"/> as experiments name their <c>SourceFile</c>: from the folder that holds the experiments
    /// folder (<c>experiments/sub/a.yaml</c>); null when there is no such folder or the path is not inside it.
    /// </summary>
    public static string? InProject(string path, string? experimentsDirectory)
    {
        if (string.IsNullOrEmpty(experimentsDirectory))
        {
            return null;
        }

        var directory = Normalize(experimentsDirectory!);
        var normalized = Normalize(path);
        var parent = directory.LastIndexOf('/');
        return normalized.StartsWith(directory + "/", StringComparison.Ordinal) && parent >= 0
            ? normalized.Substring(parent + 1)
            : null;
    }
}
