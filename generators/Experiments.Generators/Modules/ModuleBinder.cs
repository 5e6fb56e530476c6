using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;
using Experiments.Spelling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Experiments.Generators.Modules;

/// <summary>
/// Checks an experiment's <c>model: {class: ..., args: {...}}</c> against the module classes of the compilation
/// and turns it into a constructor call. Every mistake is a diagnostic at the YAML value it is about; keys of the
/// <c>model</c> mapping other than <c>class</c> and <c>args</c> are not read here.
/// </summary>
internal static class ModuleBinder
{
    private const string ModuleRule = "a public, non-abstract class deriving from torch.nn.Module<Tensor, Tensor>";

    /// <summary>
    /// The module <paramref name="model"/> names with its arguments, or null after adding to
    /// <paramref name="diagnostics"/> every reason it cannot be created as written.
    /// </summary>
    public static BoundModule? Bind(YamlMap model, ModuleCatalog catalog, ICollection<DiagnosticInfo> diagnostics)
    {
        var classEntry = model.Find("class");
        if (classEntry is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModuleSection, model.Location, $"model needs 'class': the name of {ModuleRule}, such as MyNet"));
            return null;
        }

        if (classEntry.Value is not YamlScalar { IsNull: false } classValue || classValue.Text.Trim().Length == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.InvalidModuleSection,
                classEntry.Value.Location,
                $"'class' must be the name of {ModuleRule}, such as MyNet or Experiments.Runner.Models.MyNet, but is {classEntry.Value.Describe()}"));
            return null;
        }

        var arguments = EquatableArray<YamlEntry>.Empty;
        var valid = true;
        if (model.Find("args") is { } argsEntry)
        {
            switch (argsEntry.Value)
            {
                case YamlMap map:
                    arguments = map.Entries;
                    break;
                case YamlScalar { IsNull: true }:
                    break;
                default:
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.InvalidModuleSection,
                        argsEntry.Value.Location,
                        $"'args' must be a mapping of constructor parameter names to values, such as 'hidden: 128' on the lines below it, but is {argsEntry.Value.Describe()}"));
                    valid = false;
                    break;
            }
        }

        var type = Resolve(ModuleCatalog.Normalize(classValue.Text), classValue.Location, catalog, diagnostics);
        if (type is null || !valid)
        {
            return null;
        }

        var chosen = Choose(type, arguments, classValue.Location, diagnostics);
        return chosen is null
            ? null
            : new BoundModule(type.FullyQualified, chosen.ToEquatableArray(), type.SourceSha256, type.SourceFiles.Select(f => f.Path).ToEquatableArray());
    }

    /// <summary>The one module class <paramref name="name"/> names, or null with the reason reported.</summary>
    private static ModuleTypeSpec? Resolve(string name, SourceLocation location, ModuleCatalog catalog, ICollection<DiagnosticInfo> diagnostics)
    {
        var matches = catalog.Match(name);
        if (matches.Count == 0)
        {
            var modules = catalog.ModuleNames;
            var simpleNames = modules.Select(SimpleName).ToList();
            var suggestion = EditDistance.Closest(name, name.IndexOf('.') >= 0 ? modules : modules.Concat(simpleNames.Where(s => simpleNames.Count(o => o == s) == 1)));
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ModuleNotFound,
                location,
                name,
                suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)",
                modules.Count == 0
                    ? $"the project has no model module ({ModuleRule})"
                    : "the model modules are: " + string.Join(", ", modules)));
            return null;
        }

        if (matches.Count > 1)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.AmbiguousModuleClass,
                location,
                name,
                Invariant(matches.Count),
                string.Join(", ", matches.Select(m => m.FullName))));
            return null;
        }

        var type = matches[0];
        if (!type.IsModule)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.NotAModule,
                location,
                type.FullName,
                type.BaseType is null ? "no class (only object)" : "'" + type.BaseType + "'"));
            return null;
        }

        var reasons = new List<string>();
        if (type.IsStatic)
        {
            reasons.Add("it is static");
        }

        if (type.IsAbstract)
        {
            reasons.Add("it is abstract");
        }

        if (type.IsGeneric)
        {
            reasons.Add(type.Arity > 0 ? "it is generic" : "it is nested in a generic class");
        }

        if (!type.IsPublic)
        {
            reasons.Add($"it is {type.Accessibility} (it must be public, and so must any class it is nested in)");
        }

        if (type.Constructors.Count == 0)
        {
            reasons.Add("it has no public constructor");
        }

        if (reasons.Count > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModuleNotConstructible, location, type.FullName, string.Join("; ", reasons)));
            return null;
        }

        return type;
    }

    /// <summary>The arguments for the one constructor <paramref name="arguments"/> fit, or null with the reasons reported.</summary>
    private static List<BoundArgument>? Choose(ModuleTypeSpec type, EquatableArray<YamlEntry> arguments, SourceLocation classLocation, ICollection<DiagnosticInfo> diagnostics)
    {
        var constructors = type.Constructors;
        if (constructors.Count == 1)
        {
            return BindConstructor(type, constructors[0], arguments, classLocation, diagnostics, "the constructor of " + type.SimpleName);
        }

        // Several constructors: an argument none of them takes is an unknown argument whichever is meant.
        var allNames = constructors.SelectMany(c => c.Parameters).Select(p => p.Name).Distinct(StringComparer.Ordinal).ToList();
        var unknown = arguments.Where(a => !allNames.Contains(a.Key)).ToList();
        if (unknown.Count > 0)
        {
            foreach (var entry in unknown)
            {
                ReportUnknown(entry, type, allNames, "any public constructor of " + type.SimpleName, diagnostics);
            }

            return null;
        }

        var byNames = constructors
            .Where(c => arguments.All(a => c.Find(a.Key) is not null)
                && c.Parameters.All(p => p.IsOptional || arguments.Any(a => a.Key == p.Name)))
            .ToList();
        if (byNames.Count == 1)
        {
            return BindConstructor(type, byNames[0], arguments, classLocation, diagnostics, type.SimpleName + "(" + string.Join(", ", byNames[0].Parameters.Select(p => p.Type.Display)) + ")");
        }

        if (byNames.Count > 1)
        {
            var attempts = byNames.Select(c => (Constructor: c, Errors: new List<DiagnosticInfo>())).ToList();
            var fits = new List<List<BoundArgument>>();
            foreach (var (constructor, errors) in attempts)
            {
                if (BindConstructor(type, constructor, arguments, classLocation, errors, "the constructor of " + type.SimpleName) is { } bound)
                {
                    fits.Add(bound);
                }
            }

            if (fits.Count == 1)
            {
                return fits[0];
            }

            // None fits, and they all take the given arguments as the same types: the values are wrong for each.
            if (fits.Count == 0 && byNames.All(c => arguments.All(a => c.Find(a.Key)!.Type == byNames[0].Find(a.Key)!.Type)))
            {
                foreach (var error in attempts[0].Errors)
                {
                    diagnostics.Add(error);
                }

                return null;
            }

            ReportAmbiguous(type, fits.Count == 0 ? "none" : Invariant(fits.Count), classLocation, diagnostics);
            return null;
        }

        ReportAmbiguous(type, "none", classLocation, diagnostics);
        return null;
    }

    private static void ReportAmbiguous(ModuleTypeSpec type, string fit, SourceLocation location, ICollection<DiagnosticInfo> diagnostics) =>
        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.AmbiguousModuleConstructor,
            location,
            fit,
            Invariant(type.Constructors.Count),
            type.SimpleName,
            string.Join("; ", type.Constructors.Select(c => c.Signature(type.SimpleName)))));

    private static void ReportUnknown(YamlEntry entry, ModuleTypeSpec type, IReadOnlyList<string> parameters, string of, ICollection<DiagnosticInfo> diagnostics)
    {
        var suggestion = EditDistance.Closest(entry.Key, parameters);
        diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.UnknownModuleArgument,
            entry.KeyLocation,
            entry.Key,
            of,
            suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)",
            parameters.Count == 0 ? $"{type.SimpleName} takes no arguments: remove 'args'" : "the parameters are: " + string.Join(", ", parameters)));
    }

    /// <summary>The arguments for <paramref name="constructor"/> in its parameter order, or null with every problem reported.</summary>
    private static List<BoundArgument>? BindConstructor(
        ModuleTypeSpec type,
        ModuleConstructorSpec constructor,
        EquatableArray<YamlEntry> arguments,
        SourceLocation classLocation,
        ICollection<DiagnosticInfo> diagnostics,
        string of)
    {
        var count = diagnostics.Count;
        var values = new Dictionary<string, BoundArgument>(StringComparer.Ordinal);
        foreach (var entry in arguments)
        {
            var parameter = constructor.Find(entry.Key);
            if (parameter is null)
            {
                ReportUnknown(entry, type, constructor.Parameters.Select(p => p.Name).ToList(), of, diagnostics);
            }
            else if (parameter.Type.Kind == ParameterKind.Unsupported)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedModuleParameter,
                    entry.KeyLocation,
                    parameter.Name,
                    type.SimpleName,
                    parameter.Type.Display,
                    parameter.IsOptional
                        ? $"remove '{parameter.Name}' from 'args' to use its default, {parameter.DefaultLiteral}"
                        : "change its type in C#, or give it a default value and leave it out of 'args'"));
            }
            else if (Convert(entry.Value, parameter.Name, parameter.Type, type.SimpleName, diagnostics) is { } value)
            {
                values[parameter.Name] = new BoundArgument(parameter.Name, value.Expression, value.Canonical);
            }
        }

        foreach (var parameter in constructor.Parameters)
        {
            if (parameter.IsOptional || arguments.Any(a => a.Key == parameter.Name))
            {
                continue;
            }

            diagnostics.Add(parameter.Type.Kind == ParameterKind.Unsupported
                ? DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedModuleParameter,
                    classLocation,
                    parameter.Name,
                    type.SimpleName,
                    parameter.Type.Display,
                    "it has no default, so the class cannot be created from an experiment file: change its type, or give it a default value in C#")
                : DiagnosticInfo.Create(
                    DiagnosticDescriptors.MissingModuleArgument,
                    classLocation,
                    constructor.Signature(type.SimpleName),
                    parameter.Name,
                    parameter.Type.Display));
        }

        return diagnostics.Count > count
            ? null
            : constructor.Parameters.Where(p => values.ContainsKey(p.Name)).Select(p => values[p.Name]).ToList();
    }

    /// <summary>A YAML value as a C# expression and canonical text for a parameter of <paramref name="type"/>, or null with the reason reported.</summary>
    private static (string Expression, string Canonical)? Convert(YamlValue value, string name, ParameterTypeSpec type, string typeName, ICollection<DiagnosticInfo> diagnostics)
    {
        if (value is YamlScalar { IsNull: true } && type.AcceptsNull)
        {
            return ("null", "null");
        }

        if (type.Kind == ParameterKind.List)
        {
            if (value is not YamlList list)
            {
                return Invalid(value, name, type, typeName, diagnostics);
            }

            var expressions = new List<string>();
            var canonicals = new List<string>();
            var element = type with { Kind = type.ElementKind, Collection = CollectionKind.None, ElementKind = ParameterKind.None, FullyQualified = type.ElementFullyQualified, AcceptsNull = false };
            for (var i = 0; i < list.Items.Count; i++)
            {
                if (ConvertScalar(list.Items[i], name + "[" + Invariant(i) + "]", element, typeName, diagnostics) is { } item)
                {
                    expressions.Add(item.Expression);
                    canonicals.Add(item.Canonical);
                }
            }

            if (expressions.Count != list.Items.Count)
            {
                return null;
            }

            var elementType = type.ElementFullyQualified;
            var expression = type.Collection == CollectionKind.List
                ? (expressions.Count == 0
                    ? $"new global::System.Collections.Generic.List<{elementType}>()"
                    : $"new global::System.Collections.Generic.List<{elementType}> {{ {string.Join(", ", expressions)} }}")
                : (expressions.Count == 0
                    ? $"global::System.Array.Empty<{elementType}>()"
                    : $"new {elementType}[] {{ {string.Join(", ", expressions)} }}");
            return (expression, "[" + string.Join(", ", canonicals) + "]");
        }

        return ConvertScalar(value, name, type, typeName, diagnostics);
    }

    private static (string Expression, string Canonical)? ConvertScalar(YamlValue value, string name, ParameterTypeSpec type, string typeName, ICollection<DiagnosticInfo> diagnostics)
    {
        if (value is not YamlScalar scalar || scalar.IsNull)
        {
            return Invalid(value, name, type, typeName, diagnostics);
        }

        if (type.Kind == ParameterKind.String)
        {
            return (SymbolDisplay.FormatLiteral(scalar.Text, quote: true), scalar.Text);
        }

        if (!scalar.IsPlain)
        {
            return Invalid(value, name, type, typeName, diagnostics);
        }

        var text = scalar.Text;
        switch (type.Kind)
        {
            case ParameterKind.Int:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var small) && small is >= int.MinValue and <= int.MaxValue)
                {
                    return (Invariant(small), Invariant(small));
                }

                break;

            case ParameterKind.Long:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var large))
                {
                    return (Invariant(large) + "L", Invariant(large));
                }

                break;

            case ParameterKind.Float:
                if (ParseNumber(text) is { } wide && Math.Abs(wide) <= float.MaxValue && (wide == 0 || (float)wide != 0))
                {
                    var single = (float)wide;
                    var literal = SingleText(single == 0 ? 0f : single);
                    return (literal + "f", literal);
                }

                break;

            case ParameterKind.Double:
                if (ParseNumber(text) is { } number)
                {
                    number = number == 0 ? 0 : number;
                    return (DoubleLiteral(number), DoubleText(number));
                }

                break;

            case ParameterKind.Bool:
                switch (text)
                {
                    case "true" or "True" or "TRUE":
                        return ("true", "true");
                    case "false" or "False" or "FALSE":
                        return ("false", "false");
                }

                break;

            case ParameterKind.Enum:
                var member = type.EnumMembers.FirstOrDefault(m => m == text)
                    ?? type.EnumMembers.FirstOrDefault(m => string.Equals(m, text, StringComparison.OrdinalIgnoreCase));
                if (member is not null)
                {
                    return (type.FullyQualified + "." + Identifier(member), member);
                }

                var suggestion = EditDistance.Closest(text, type.EnumMembers);
                return Invalid(value, name, type, typeName, diagnostics, suggestion is null ? null : $" (did you mean '{suggestion}'?)");
        }

        return Invalid(value, name, type, typeName, diagnostics);
    }

    private static (string Expression, string Canonical)? Invalid(YamlValue value, string name, ParameterTypeSpec type, string typeName, ICollection<DiagnosticInfo> diagnostics, string? hint = null)
    {
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModuleArgument, value.Location, name, typeName, Expectation(type), value.Describe() + hint));
        return null;
    }

    /// <summary>What a value of <paramref name="type"/> must be, for messages: <c>an int, a whole number from ... to ...</c>.</summary>
    private static string Expectation(ParameterTypeSpec type)
    {
        var expectation = type.Kind switch
        {
            ParameterKind.Int => "an int, a whole number from -2147483648 to 2147483647",
            ParameterKind.Long => "a long, a whole number from -9223372036854775808 to 9223372036854775807",
            ParameterKind.Float => "a float, a number from -3.4028235E+38 to 3.4028235E+38",
            ParameterKind.Double => "a double, a number",
            ParameterKind.Bool => "a bool, true or false",
            ParameterKind.String => "a string",
            ParameterKind.Enum => type.EnumMembers.Count == 0
                ? $"a member of {type.Display}, which has none"
                : $"one of the members of {type.Display.TrimEnd('?')}: {string.Join(", ", type.EnumMembers)}",
            ParameterKind.List => $"a list of {ElementName(type.ElementKind)} values ({type.Display}), such as {(type.ElementKind is ParameterKind.Int or ParameterKind.Long ? "[16, 32]" : "[0.5, 0.25]")}",
            _ => type.Display,
        };
        return type.AcceptsNull ? expectation + ", or empty for null" : expectation;
    }

    private static string ElementName(ParameterKind kind) => kind switch
    {
        ParameterKind.Int => "int",
        ParameterKind.Long => "long",
        ParameterKind.Float => "float",
        _ => "double",
    };

    private static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number) && !double.IsInfinity(number)
            ? number
            : null;

    /// <summary>A double as a C# literal that reads back as the same value: <c>0.25</c>, <c>128.0</c>, <c>1E-05</c>.</summary>
    public static string DoubleLiteral(double value)
    {
        var text = DoubleText(value);
        return text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0";
    }

    /// <summary>The shortest invariant text that reads back as <paramref name="value"/> ("R"; G17 where "R" does not round-trip, as on .NET Framework).</summary>
    private static string DoubleText(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).Equals(value) ? text : value.ToString("G17", CultureInfo.InvariantCulture);
    }

    private static string SingleText(float value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).Equals(value) ? text : value.ToString("G9", CultureInfo.InvariantCulture);
    }

    /// <summary><paramref name="name"/> as a C# identifier: <c>@</c> before a keyword.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string SimpleName(string fullName) => fullName.Substring(fullName.LastIndexOf('.') + 1);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
