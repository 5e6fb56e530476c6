using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Analyzers;

/// <summary>
/// Reports every <c>TorchSharp.Scalar</c> that nothing keeps alive while libtorch reads it (see README.md and
/// <c>Experiments.Torch.Scalars</c>): a number converted to a Scalar where it is passed (EXPT0001), a Scalar made
/// explicitly but not held by a <c>using</c> (EXPT0002), a call of a TorchSharp member that makes such a Scalar
/// inside (EXPT0003), and a TorchSharp module or optimizer whose every step does (EXPT0004).
/// </summary>
/// <remarks>
/// TorchSharp is known only by metadata names, so this assembly does not reference it. Generated code is analysed
/// too: the experiment generator's models are the code that runs per batch.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarLifetimeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Where the rules are explained; each id links to its section (<c>#expt0001</c>).</summary>
    public const string HelpLinkBase = "https://github.com/experiments-dotnet/experiments/blob/main/build/Experiments.Analyzers/README.md";

    private const string Category = "TorchSharp";

    private const string Advice = "hold it for the call with 'using var s = value.ToScalar();' (disposed after the call returns) or use a constant from Experiments.Torch.Scalars";

    public static readonly DiagnosticDescriptor ImplicitScalar = new(
        "EXPT0001",
        "A number becomes a TorchSharp.Scalar that nothing keeps alive",
        "'{0}' becomes a temporary TorchSharp.Scalar here, which the garbage collector may free while libtorch reads it: " + Advice,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp converts numbers to Scalars that own a native value and are freed by their finalizer; once the call has read the handle, a garbage collection on another thread can free the value during the native call.",
        helpLinkUri: HelpLinkBase + "#expt0001");

    public static readonly DiagnosticDescriptor UnheldScalar = new(
        "EXPT0002",
        "A TorchSharp.Scalar is not held by a using declaration",
        "The Scalar made by '{0}' is not held by a 'using' declaration, so the garbage collector may free it while libtorch reads it: " + Advice,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "A Scalar passed straight to a call, or kept in a local without 'using', is garbage as soon as its handle has been read: the JIT does not keep a local alive past its last use.",
        helpLinkUri: HelpLinkBase + "#expt0002");

    public static readonly DiagnosticDescriptor InternalScalar = new(
        "EXPT0003",
        "A TorchSharp member makes a temporary Scalar inside",
        "'{0}' makes a temporary Scalar inside TorchSharp ({1}), which the garbage collector may free while libtorch reads it: {2}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "Some TorchSharp overloads call another with a number of their own (add_(t) is add_(t, 1)); that number becomes a Scalar nothing keeps alive.",
        helpLinkUri: HelpLinkBase + "#expt0003");

    public static readonly DiagnosticDescriptor TemporaryScalarModule = new(
        "EXPT0004",
        "A TorchSharp module or optimizer makes temporary Scalars on every step",
        "'{0}' creates a TorchSharp {1} whose {2} makes temporary Scalars that the garbage collector may free while libtorch reads them: use the library's own kept-Scalar version",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "TorchSharp's batch normalization, several activations and its managed optimizers pass numbers such as momentum or 1 - beta to libtorch as temporary Scalars on every forward or step.",
        helpLinkUri: HelpLinkBase + "#expt0004");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(ImplicitScalar, UnheldScalar, InternalScalar, TemporaryScalarModule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName(TemporaryScalarCalls.ScalarType);
            if (scalar is null)
            {
                return; // TorchSharp is not referenced: nothing can make a Scalar.
            }

            start.RegisterOperationAction(c => AnalyzeConversion(c, (IConversionOperation)c.Operation, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => AnalyzeInvocation(c, (IInvocationOperation)c.Operation, scalar), OperationKind.Invocation);
            start.RegisterOperationAction(c => AnalyzeOperator(c, ((IBinaryOperation)c.Operation).OperatorMethod), OperationKind.Binary);
            start.RegisterOperationAction(c => AnalyzeOperator(c, ((ICompoundAssignmentOperation)c.Operation).OperatorMethod), OperationKind.CompoundAssignment);
            start.RegisterOperationAction(c => AnalyzeCreation(c, (IObjectCreationOperation)c.Operation), OperationKind.ObjectCreation);
        });
    }

    private static void AnalyzeConversion(OperationAnalysisContext context, IConversionOperation conversion, INamedTypeSymbol scalar)
    {
        if (conversion.OperatorMethod is not { } method)
        {
            return;
        }

        if (SymbolEqualityComparer.Default.Equals(method.ReturnType, scalar))
        {
            if (!IsHeld(conversion))
            {
                var rule = conversion.IsImplicit ? ImplicitScalar : UnheldScalar;
                context.ReportDiagnostic(Diagnostic.Create(rule, conversion.Syntax.GetLocation(), (conversion.IsImplicit ? conversion.Operand : conversion).Syntax.ToString()));
            }

            return;
        }

        ReportInternal(context, method);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, IInvocationOperation invocation, INamedTypeSymbol scalar)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        if (SymbolEqualityComparer.Default.Equals(method.ReturnType, scalar))
        {
            if (!IsHeld(invocation))
            {
                context.ReportDiagnostic(Diagnostic.Create(UnheldScalar, invocation.Syntax.GetLocation(), invocation.Syntax.ToString()));
            }

            return;
        }

        if (!ReportInternal(context, method))
        {
            ReportModule(context, method.ReturnType);
        }
    }

    private static void AnalyzeOperator(OperationAnalysisContext context, IMethodSymbol? method)
    {
        if (method is not null)
        {
            ReportInternal(context, method);
        }
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, IObjectCreationOperation creation)
    {
        if (creation.Type is { } type)
        {
            ReportModule(context, type);
        }
    }

    private static bool ReportInternal(OperationAnalysisContext context, IMethodSymbol method)
    {
        if (!TemporaryScalarCalls.TryFind(method, out var reason, out var advice))
        {
            return false;
        }

        var (location, text) = CallSite(context.Operation.Syntax);
        context.ReportDiagnostic(Diagnostic.Create(InternalScalar, location, text, reason, advice));
        return true;
    }

    /// <summary>
    /// Where a call is reported: from the method's name to the end of its arguments (<c>add_(u)</c> in
    /// <c>t.mul_(s).add_(u)</c>), so that a diagnostic in a chain points at the call it is about.
    /// </summary>
    private static (Location Location, string Text) CallSite(SyntaxNode syntax)
    {
        if (syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation)
        {
            var span = TextSpan.FromBounds(access.Name.SpanStart, invocation.Span.End);
            return (Location.Create(syntax.SyntaxTree, span), syntax.SyntaxTree.GetText().ToString(span));
        }

        return (syntax.GetLocation(), syntax.ToString());
    }

    private static void ReportModule(OperationAnalysisContext context, ITypeSymbol type)
    {
        if (TemporaryScalarCalls.TryFindModule(type, out var kind, out var step))
        {
            var (location, text) = CallSite(context.Operation.Syntax);
            context.ReportDiagnostic(Diagnostic.Create(TemporaryScalarModule, location, text, kind, step));
        }
    }

    /// <summary>
    /// Whether the Scalar <paramref name="made"/> produces is kept alive past the call that reads it: it initializes a
    /// <c>using</c> local (disposed at the end of its scope), a field or a property (as long as their owner), or is
    /// returned (the caller's invocation is then checked in turn).
    /// </summary>
    private static bool IsHeld(IOperation made)
    {
        var value = made;
        var parent = value.Parent;
        while (parent is IParenthesizedOperation
            || parent is IConversionOperation { OperatorMethod: null }
            || (parent is IConditionalOperation conditional && (conditional.WhenTrue == value || conditional.WhenFalse == value))
            || parent is ICoalesceOperation)
        {
            value = parent;
            parent = parent.Parent;
        }

        return parent switch
        {
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => IsUsingDeclarator(declarator),
            IFieldInitializerOperation or IPropertyInitializerOperation or IReturnOperation => true,
            ISimpleAssignmentOperation assignment => assignment.Value == value && assignment.Target is IFieldReferenceOperation or IPropertyReferenceOperation,
            _ => false,
        };
    }

    private static bool IsUsingDeclarator(IVariableDeclaratorOperation declarator) =>
        declarator.Parent is IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation group }
        && (group.Parent is IUsingDeclarationOperation || (group.Parent is IUsingOperation @using && @using.Resources == group));
}
