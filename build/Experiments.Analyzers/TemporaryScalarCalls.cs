using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Experiments.Analyzers;

/// <summary>
/// The public members of TorchSharp 0.107.0 that make a Scalar nothing keeps alive inside themselves, and the modules
/// and optimizers whose every forward or step does.
/// </summary>
/// <remarks>
/// Found in TorchSharp.dll's IL, not guessed: the methods that call a conversion to <c>Scalar</c> or
/// <c>ToScalar()</c> and do not return the result, and every public method that calls one of them (transitively)
/// without going through a virtual call or a delegate. Left out: <c>torch.distributions</c>, tensorboard and
/// TorchScript, which the library does not use. Members are keyed by their signature as <see cref="Signature"/>
/// writes it: types without <c>TorchSharp.</c> and <c>System.</c>, <c>torch.Tensor</c> as <c>Tensor</c>.
/// The tests check that every key names a member of the TorchSharp the repository builds with.
/// </remarks>
internal static class TemporaryScalarCalls
{
    /// <summary>The metadata name of TorchSharp's Scalar.</summary>
    public const string ScalarType = "TorchSharp.Scalar";

    private const string ImplicitAlpha = "its implicit alpha of 1";
    private const string PassAlpha = "pass the alpha yourself, Experiments.Torch.Scalars.One (t.add_(u, Scalars.One))";
    private const string NumberOperand = "the operator turns its number operand into a Scalar";
    private const string HoldOperand = "hold the number ('using var s = n.ToScalar();') and call add, sub, mul, div or remainder with it (add with alpha Scalars.One)";
    private const string InternalNumbers = "it turns numbers of its own into Scalars";
    private const string AvoidIt = "write it with tensor operations that take held Scalars";

    private static readonly Dictionary<string, (string Reason, string Advice)> Members = Table();

    private static readonly Dictionary<string, (string Kind, string Step)> Modules = ModuleTable();

    /// <summary>The keys of <see cref="Members"/>, for the tests.</summary>
    internal static IEnumerable<string> MemberSignatures => Members.Keys;

    /// <summary>The metadata names of the types of <see cref="Modules"/>, for the tests.</summary>
    internal static IEnumerable<string> ModuleTypes => Modules.Keys;

    /// <summary>Whether <paramref name="method"/> is one of the listed members, and why and what to do instead.</summary>
    public static bool TryFind(IMethodSymbol method, out string reason, out string advice)
    {
        reason = advice = string.Empty;
        if (!IsTorchSharp(method.ContainingType) || !Members.TryGetValue(Signature(method), out var entry))
        {
            return false;
        }

        (reason, advice) = entry;
        return true;
    }

    /// <summary>Whether <paramref name="type"/> is exactly one of the listed TorchSharp modules or optimizers (a subclass is not).</summary>
    public static bool TryFindModule(ITypeSymbol type, out string kind, out string step)
    {
        kind = step = string.Empty;
        if (type is not INamedTypeSymbol named || named.ContainingType is not null || named.ContainingNamespace?.ToDisplayString() != "TorchSharp.Modules"
            || !Modules.TryGetValue("TorchSharp.Modules." + named.MetadataName, out var entry))
        {
            return false;
        }

        (kind, step) = entry;
        return true;
    }

    /// <summary><c>Type.name(Parameter, ...)</c> with short type names (see the remarks).</summary>
    public static string Signature(IMethodSymbol method) =>
        Name(method.ContainingType) + "." + method.Name + "(" + string.Join(", ", method.Parameters.Select(p => Name(p.Type))) + ")";

    private static string Name(ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                return Name(array.ElementType) + "[]";
            case INamedTypeSymbol named:
                var name = named.ContainingType is { } outer ? Name(outer) + "." + named.Name : Qualified(named.ContainingNamespace, named.Name);
                if (named.IsGenericType)
                {
                    name += "<" + string.Join(", ", named.TypeArguments.Select(Name)) + ">";
                }

                return name == "torch.Tensor" ? "Tensor" : name;
            default:
                return type.Name;
        }
    }

    private static string Qualified(INamespaceSymbol? space, string name)
    {
        var full = space is null || space.IsGlobalNamespace ? name : space.ToDisplayString() + "." + name;
        foreach (var prefix in new[] { "TorchSharp.", "System." })
        {
            if (full.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                return full.Substring(prefix.Length);
            }
        }

        return full;
    }

    private static bool IsTorchSharp(INamedTypeSymbol? type)
    {
        while (type?.ContainingType is { } outer)
        {
            type = outer;
        }

        return type?.ContainingNamespace is { IsGlobalNamespace: false } space && space.ToDisplayString() == "TorchSharp";
    }

    private static Dictionary<string, (string Reason, string Advice)> Table()
    {
        var table = new Dictionary<string, (string Reason, string Advice)>();
        void Add(string reason, string advice, params string[] signatures)
        {
            foreach (var signature in signatures)
            {
                table.Add(signature, (reason, advice));
            }
        }

        Add(
            ImplicitAlpha,
            PassAlpha,
            "Tensor.add(Tensor)",
            "Tensor.add_(Tensor)",
            "Tensor.add(Scalar)",
            "Tensor.add_(Scalar)",
            "torch.add(Tensor, Tensor)",
            "torch.add(Tensor, Scalar)",
            "torch.add_(Tensor, Tensor)",
            "torch.add_(Tensor, Scalar)",
            "Tensor.op_Addition(Tensor, Tensor)",
            "Tensor.op_Addition(Tensor, Scalar)",
            "Tensor.op_Addition(Scalar, Tensor)",
            "Tensor.op_Subtraction(Scalar, Tensor)");
        Add(
            "its implicit value of 1",
            "pass the value yourself, Experiments.Torch.Scalars.One (t.addcdiv_(a, b, Scalars.One))",
            "Tensor.addcdiv(Tensor, Tensor)",
            "Tensor.addcdiv_(Tensor, Tensor)");
        var numbers = new[] { "Int32", "Int64", "Single", "Double" };
        foreach (var op in new[] { "op_Addition", "op_Subtraction", "op_Multiply", "op_Division" })
        {
            Add(NumberOperand, HoldOperand, numbers.SelectMany(n => new[] { $"Tensor.{op}(Tensor, {n})", $"Tensor.{op}({n}, Tensor)" }).ToArray());
        }

        Add(NumberOperand, HoldOperand, numbers.Select(n => $"Tensor.op_Modulus(Tensor, {n})").ToArray());
        Add(
            "its exponent 2 (square() is pow(2))",
            "hold the exponent ('using var two = 2.ToScalar();') and call pow(two)",
            "Tensor.square()",
            "torch.square(Tensor)");
        Add(
            "its implicit start 0 or step 1",
            "call arange(start, stop, step) with held Scalars (Experiments.Torch.Scalars.Zero and One)",
            "torch.arange(Scalar, Nullable<torch.ScalarType>, torch.Device, Boolean)",
            "torch.arange(Scalar, Scalar, Nullable<torch.ScalarType>, torch.Device, Boolean)");
        Add(
            "it reads the value through a temporary Tensor.ToScalar()",
            "read it with item<T>() of the tensor's element type",
            "TensorExtensionMethods.ToBoolean(Tensor)",
            "TensorExtensionMethods.ToByte(Tensor)",
            "TensorExtensionMethods.ToSByte(Tensor)",
            "TensorExtensionMethods.ToInt16(Tensor)",
            "TensorExtensionMethods.ToInt32(Tensor)",
            "TensorExtensionMethods.ToInt64(Tensor)",
            "TensorExtensionMethods.ToHalf(Tensor)",
            "TensorExtensionMethods.ToBFloat16(Tensor)",
            "TensorExtensionMethods.ToSingle(Tensor)",
            "TensorExtensionMethods.ToDouble(Tensor)",
            "TensorExtensionMethods.ToComplex32(Tensor)",
            "TensorExtensionMethods.ToComplex64(Tensor)",
            "TensorExtensionMethods.ToComplexFloat32(Tensor)",
            "TensorExtensionMethods.ToComplexFloat64(Tensor)",
            "Tensor.op_Explicit(Tensor)");
        Add(
            InternalNumbers,
            AvoidIt,
            "Tensor.celu()",
            "Tensor.celu_()",
            "Tensor.elu(Double)",
            "Tensor.elu_(Double)",
            "Tensor.softplus(Double, Double)",
            "Tensor.tolist()",
            "Tensor.ToString(Boolean, String, Nullable<Int32>, Globalization.CultureInfo, String)",
            "Tensor.ToString(TensorStringStyle, String, Nullable<Int32>, Globalization.CultureInfo, String)",
            "TensorExtensionMethods.str(Tensor, String, Nullable<Int32>, String, Globalization.CultureInfo, TensorStringStyle)",
            "TensorExtensionMethods.print(Tensor, String, Nullable<Int32>, String, Globalization.CultureInfo, TensorStringStyle)",
            "TensorExtensionMethods.cstr(Tensor, String, Nullable<Int32>, String, Globalization.CultureInfo)",
            "TensorExtensionMethods.jlstr(Tensor, String, Nullable<Int32>, String, Globalization.CultureInfo)",
            "TensorExtensionMethods.npstr(Tensor, String, Nullable<Int32>, String, Globalization.CultureInfo)",
            "TensorExtensionMethods.metastr(Tensor)",
            "torch.normal(Double, Double, ReadOnlySpan<Int64>, Nullable<torch.ScalarType>, torch.Device, Boolean, torch.Generator, String[])",
            "torch.normal(Tensor, Tensor, torch.Generator)",
            "torch.histogram(Tensor, HistogramBinSelector, Nullable<ValueTuple<Double, Double>>, Boolean)",
            "torch.linalg.matrix_norm(Tensor, Double, Int64[], Boolean)",
            "torch.linalg.vector_norm(Tensor, Double, Int64[], Boolean)",
            "torch.nn.PReLU(Int64, Double, torch.Device, Nullable<torch.ScalarType>)",
            "torch.nn.utils.fuse_conv_bn_weights(Tensor, Tensor, Tensor, Tensor, Double, Tensor, Tensor, Boolean)",
            "torch.nn.utils.fuse_linear_bn_weights(Tensor, Tensor, Tensor, Tensor, Double, Tensor, Tensor)",
            "torch.nn.utils.fuse_linear_bn_eval(Modules.Linear, Modules.BatchNorm)",
            "torch.nn.functional.celu(Tensor, Double, Boolean)",
            "torch.nn.functional.elu(Tensor, Double, Boolean)",
            "torch.nn.functional.hardshrink(Tensor, Double)",
            "torch.nn.functional.Hardshrink(Tensor, Double)",
            "torch.nn.functional.hardtanh(Tensor, Double, Double, Boolean)",
            "torch.nn.functional.Hardtanh(Tensor, Double, Double, Boolean)",
            "torch.nn.functional.leaky_relu(Tensor, Double, Boolean)",
            "torch.nn.functional.mish(Tensor, Boolean)",
            "torch.nn.functional.Mish(Tensor)",
            "torch.nn.functional.softplus(Tensor, Double, Double)",
            "torch.nn.functional.softshrink(Tensor, Double)",
            "torch.nn.functional.Softshrink(Tensor, Double)",
            "torch.nn.functional.softsign(Tensor, Boolean)",
            "torch.nn.functional.Softsign(Tensor)",
            "torch.nn.functional.threshold(Tensor, Double, Double, Boolean)",
            "torch.nn.functional.Threshold(Tensor, Double, Double, Boolean)");
        return table;
    }

    private static Dictionary<string, (string Kind, string Step)> ModuleTable()
    {
        var table = new Dictionary<string, (string Kind, string Step)>();
        foreach (var name in new[] { "BatchNorm1d", "BatchNorm2d", "BatchNorm3d" })
        {
            table.Add("TorchSharp.Modules." + name, ("batch normalization", "forward in training mode (the counter increment, the momentum)"));
        }

        foreach (var name in new[] { "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSProp", "Rprop", "ASGD", "Adagrad", "Adadelta" })
        {
            table.Add("TorchSharp.Modules." + name, ("optimizer", "step (learning rate, weight decay, 1 - beta)"));
        }

        foreach (var name in new[] { "CELU", "ELU", "Hardshrink", "Hardtanh", "LeakyReLU", "Mish", "Softplus", "Softshrink", "Softsign", "Threshold", "GaussianNLLLoss" })
        {
            table.Add("TorchSharp.Modules." + name, ("module", "forward"));
        }

        return table;
    }
}
