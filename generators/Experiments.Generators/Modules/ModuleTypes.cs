using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Experiments.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Experiments.Generators.Modules;

/// <summary>
/// Reads the classes of the compilation that an experiment's <c>model: class:</c> can name into a
/// <see cref="ModuleCatalog"/>. The generator does not reference TorchSharp: a module is recognised by the display
/// string of its constructed base class.
/// </summary>
internal static class ModuleTypes
{
    /// <summary>The base class a model module derives from, as <see cref="SymbolDisplayFormat.FullyQualifiedFormat"/> shows it.</summary>
    public const string ModuleBaseType = "global::TorchSharp.torch.nn.Module<global::TorchSharp.torch.Tensor, global::TorchSharp.torch.Tensor>";

    /// <summary>Names of this provider's pipeline steps, for tests of what ran and what was cached.</summary>
    public static class TrackingNames
    {
        /// <summary>One <see cref="ModuleTypeSpec"/> per class declaration.</summary>
        public const string ModuleType = nameof(ModuleType);

        /// <summary>The collected <see cref="ModuleCatalog"/> of the whole compilation.</summary>
        public const string ModuleCatalog = nameof(ModuleCatalog);

        /// <summary>The catalog cut down to what the experiment files name (<see cref="Modules.ModuleCatalog.Only"/>).</summary>
        public const string ReferencedModules = nameof(ReferencedModules);
    }

    /// <summary>Every class declared in the compilation's source, as one equatable catalog.</summary>
    public static IncrementalValueProvider<ModuleCatalog> Create(IncrementalGeneratorInitializationContext context) =>
        context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => node is ClassDeclarationSyntax,
                static (syntax, cancellationToken) => syntax.SemanticModel.GetDeclaredSymbol(syntax.Node, cancellationToken) is INamedTypeSymbol type
                    ? Describe(type, cancellationToken)
                    : null)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.ModuleType)
            .Collect()
            .Select(static (specs, _) => ModuleCatalog.Create(specs))
            .WithTrackingName(TrackingNames.ModuleCatalog);

    /// <summary>
    /// <paramref name="catalog"/> cut down to the classes <paramref name="referencedNames"/> name (see
    /// <see cref="ModuleCatalog.Only"/>): the step to bind against, so that an unrelated C# edit stops here.
    /// </summary>
    public static IncrementalValueProvider<ModuleCatalog> Only(
        this IncrementalValueProvider<ModuleCatalog> catalog,
        IncrementalValueProvider<EquatableArray<string>> referencedNames) =>
        catalog
            .Combine(referencedNames)
            .Select(static (pair, _) => pair.Left.Only(pair.Right))
            .WithTrackingName(TrackingNames.ReferencedModules);

    /// <summary>The catalog of every class declared in <paramref name="compilation"/>'s syntax trees, without a pipeline.</summary>
    public static ModuleCatalog FromCompilation(Compilation compilation, CancellationToken cancellationToken = default)
    {
        var specs = new List<ModuleTypeSpec>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var declaration in tree.GetRoot(cancellationToken).DescendantNodes().OfType<ClassDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(declaration, cancellationToken) is { } type)
                {
                    specs.Add(Describe(type, cancellationToken));
                }
            }
        }

        return ModuleCatalog.Create(specs);
    }

    /// <summary>
    /// <paramref name="type"/> as plain values. Constructors and source files are read only for modules: the other
    /// classes are there to be named in messages, and an edit to them must not change the catalog.
    /// </summary>
    public static ModuleTypeSpec Describe(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var isModule = false;
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) == ModuleBaseType)
            {
                isModule = true;
                break;
            }
        }

        var baseType = type.BaseType is { SpecialType: not SpecialType.System_Object } b
            ? b.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)
            : null;

        var isGeneric = false;
        for (var current = type; current is not null; current = current.ContainingType)
        {
            isGeneric |= current.Arity > 0;
        }

        var constructors = isModule
            ? type.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Microsoft.CodeAnalysis.Accessibility.Public)
                .Select(c => new ModuleConstructorSpec(c.Parameters.Select(Describe).ToEquatableArray()))
                .ToEquatableArray()
            : EquatableArray<ModuleConstructorSpec>.Empty;

        var files = isModule
            ? type.DeclaringSyntaxReferences
                .Select(r => r.SyntaxTree)
                .Distinct()
                .Select(tree => new SourceFileSpec(tree.FilePath, ConfigurationHash.OfText(tree.GetText(cancellationToken).ToString())))
                .OrderBy(f => f.Path, StringComparer.Ordinal)
                .ToEquatableArray()
            : EquatableArray<SourceFileSpec>.Empty;

        return new ModuleTypeSpec(
            FullName(type),
            type.Name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None)),
            type.Arity,
            isModule,
            baseType,
            EffectiveAccessibility(type),
            type.IsAbstract && !type.IsStatic,
            isGeneric,
            type.IsStatic,
            constructors,
            files);
    }

    /// <summary>Namespace and containing types joined by '.', without type parameters: <c>Lab.Outer.Inner</c>.</summary>
    private static string FullName(INamedTypeSymbol type)
    {
        var parts = new List<string>();
        for (ISymbol? current = type; current is not null; current = current.ContainingSymbol)
        {
            if (current is INamespaceSymbol { IsGlobalNamespace: true })
            {
                break;
            }

            parts.Add(current.Name);
        }

        parts.Reverse();
        return string.Join(".", parts);
    }

    private static string EffectiveAccessibility(INamedTypeSymbol type)
    {
        var least = Microsoft.CodeAnalysis.Accessibility.Public;
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility < least)
            {
                least = current.DeclaredAccessibility;
            }
        }

        return least switch
        {
            Microsoft.CodeAnalysis.Accessibility.Public => "public",
            Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
            Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
            Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
            Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
            _ => "private",
        };
    }

    private static ModuleParameterSpec Describe(IParameterSymbol parameter)
    {
        var type = DescribeType(parameter.Type);
        var optional = parameter.HasExplicitDefaultValue || parameter.IsOptional || parameter.IsParams;
        string? literal = null;
        if (parameter.HasExplicitDefaultValue)
        {
            literal = DefaultLiteral(parameter.Type, parameter.ExplicitDefaultValue);
        }
        else if (parameter.IsParams)
        {
            literal = "[]";
        }
        else if (optional)
        {
            literal = "default";
        }

        return new ModuleParameterSpec(parameter.Name, type, optional, literal);
    }

    private static ParameterTypeSpec DescribeType(ITypeSymbol type)
    {
        var display = type.ToDisplayString(DisplayFormat);
        var fullyQualified = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var referenceMayBeNull = type.IsReferenceType && type.NullableAnnotation != NullableAnnotation.NotAnnotated;

        // int? and the like: the underlying kind, and null allowed.
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var underlying = DescribeType(nullable.TypeArguments[0]);
            return underlying.Kind is ParameterKind.Unsupported or ParameterKind.List
                ? Unsupported(display, fullyQualified)
                : underlying with { Display = display, FullyQualified = fullyQualified, AcceptsNull = true };
        }

        var scalar = ScalarKind(type);
        if (scalar != ParameterKind.Unsupported)
        {
            var members = scalar == ParameterKind.Enum
                ? type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name).ToEquatableArray()
                : EquatableArray<string>.Empty;
            return new ParameterTypeSpec(scalar, CollectionKind.None, ParameterKind.None, fullyQualified, string.Empty, display, scalar == ParameterKind.String && referenceMayBeNull, members);
        }

        ITypeSymbol? element = null;
        var collection = CollectionKind.None;
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            (element, collection) = (array.ElementType, CollectionKind.Array);
        }
        else if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic)
        {
            collection = generic.OriginalDefinition.SpecialType switch
            {
                SpecialType.System_Collections_Generic_IReadOnlyList_T => CollectionKind.IReadOnlyList,
                SpecialType.System_Collections_Generic_IList_T => CollectionKind.IList,
                _ => generic.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) == "global::System.Collections.Generic.List<T>"
                    ? CollectionKind.List
                    : CollectionKind.None,
            };
            element = collection == CollectionKind.None ? null : generic.TypeArguments[0];
        }

        if (element is not null && ScalarKind(element) is ParameterKind.Int or ParameterKind.Long or ParameterKind.Float or ParameterKind.Double)
        {
            return new ParameterTypeSpec(
                ParameterKind.List,
                collection,
                ScalarKind(element),
                fullyQualified,
                element.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                display,
                referenceMayBeNull,
                EquatableArray<string>.Empty);
        }

        return Unsupported(display, fullyQualified);
    }

    private static ParameterTypeSpec Unsupported(string display, string fullyQualified) =>
        new(ParameterKind.Unsupported, CollectionKind.None, ParameterKind.None, fullyQualified, string.Empty, display, false, EquatableArray<string>.Empty);

    private static ParameterKind ScalarKind(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Int32 => ParameterKind.Int,
        SpecialType.System_Int64 => ParameterKind.Long,
        SpecialType.System_Single => ParameterKind.Float,
        SpecialType.System_Double => ParameterKind.Double,
        SpecialType.System_Boolean => ParameterKind.Bool,
        SpecialType.System_String => ParameterKind.String,
        _ => type.TypeKind == TypeKind.Enum ? ParameterKind.Enum : ParameterKind.Unsupported,
    };

    /// <summary>A parameter's default value as C# writes it, for messages.</summary>
    private static string DefaultLiteral(ITypeSymbol type, object? value)
    {
        if (value is null)
        {
            return type.IsReferenceType || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T ? "null" : "default";
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            var member = type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
            return member is null
                ? "(" + type.Name + ")" + Convert.ToString(value, CultureInfo.InvariantCulture)
                : type.Name + "." + member.Name;
        }

        return value switch
        {
            string text => SymbolDisplay.FormatLiteral(text, quote: true),
            bool flag => flag ? "true" : "false",
            float single => single.ToString("R", CultureInfo.InvariantCulture) + "f",
            double number => ModuleBinder.DoubleLiteral(number),
            long integer => integer.ToString(CultureInfo.InvariantCulture) + "L",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "default",
        };
    }

    /// <summary>Types as declared, short: <c>int[]?</c>, <c>List&lt;float&gt;</c>, <c>Activation</c>.</summary>
    private static readonly SymbolDisplayFormat DisplayFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);
}
