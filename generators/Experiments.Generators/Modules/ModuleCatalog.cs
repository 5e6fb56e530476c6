using System;
using System.Collections.Generic;
using System.Linq;
using Experiments.Generators.Model;

namespace Experiments.Generators.Modules;

/// <summary>
/// The classes an experiment file can name, sorted (by full name, then arity) so that two catalogs of the same code
/// are equal, plus the full names of the module classes among them, for "did you mean" and the list of modules.
/// </summary>
/// <param name="Types">The classes, each once (a partial class is one entry).</param>
/// <param name="ModuleNames">The full names of every module class of the compilation, sorted. In a catalog from
/// <see cref="Only"/> it is empty unless a referenced name matched no class.</param>
internal sealed record ModuleCatalog(EquatableArray<ModuleTypeSpec> Types, EquatableArray<string> ModuleNames)
{
    public static readonly ModuleCatalog Empty = new(EquatableArray<ModuleTypeSpec>.Empty, EquatableArray<string>.Empty);

    /// <summary>The catalog of <paramref name="types"/>: one entry per full name and arity, sorted.</summary>
    public static ModuleCatalog Create(IEnumerable<ModuleTypeSpec> types)
    {
        var sorted = types
            .GroupBy(t => (t.FullName, t.Arity))
            .Select(g => g.First())
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ThenBy(t => t.Arity)
            .ToEquatableArray();
        var modules = sorted.Where(t => t.IsModule).Select(t => t.FullName).Distinct(StringComparer.Ordinal).ToEquatableArray();
        return new ModuleCatalog(sorted, modules);
    }

    /// <summary>
    /// The part of the catalog that binding <paramref name="referencedNames"/> (the <c>class</c> values of every
    /// experiment file) reads: the classes each name matches and, when some name matches none, the module names to
    /// suggest from. An edit to C# code that declares none of those classes and adds or renames no module leaves
    /// the result equal, so a <c>Combine(referenced).Select(Only)</c> step stops the edit there.
    /// </summary>
    public ModuleCatalog Only(IEnumerable<string> referencedNames)
    {
        var matched = new List<ModuleTypeSpec>();
        var seen = new HashSet<ModuleTypeSpec>();
        var anyUnknown = false;
        foreach (var name in referencedNames.Select(Normalize).Distinct(StringComparer.Ordinal))
        {
            var matches = Match(name);
            if (matches.Count == 0)
            {
                anyUnknown = true;
            }

            foreach (var match in matches)
            {
                if (seen.Add(match))
                {
                    matched.Add(match);
                }
            }
        }

        return new ModuleCatalog(
            matched.OrderBy(t => t.FullName, StringComparer.Ordinal).ThenBy(t => t.Arity).ToEquatableArray(),
            anyUnknown ? ModuleNames : EquatableArray<string>.Empty);
    }

    /// <summary>
    /// The classes <paramref name="name"/> names: those of that full name if there are any, else those of that
    /// simple name (a name without '.' is both). A leading <c>global::</c> is ignored.
    /// </summary>
    public IReadOnlyList<ModuleTypeSpec> Match(string name)
    {
        name = Normalize(name);
        var byFullName = Types.Where(t => t.FullName == name).ToList();
        return byFullName.Count > 0 ? byFullName : Types.Where(t => t.SimpleName == name).ToList();
    }

    /// <summary>A name as the catalog compares it: trimmed, without a leading <c>global::</c>.</summary>
    public static string Normalize(string name)
    {
        name = name.Trim();
        return name.StartsWith("global::", StringComparison.Ordinal) ? name.Substring("global::".Length) : name;
    }
}
