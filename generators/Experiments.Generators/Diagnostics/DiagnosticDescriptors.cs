using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Diagnostics;

/// <summary>Every diagnostic the experiment generator reports. Ids are stable: never reuse or renumber one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Experiments";

    public static readonly DiagnosticDescriptor InvalidYaml = Error(
        "EXP0001",
        "Experiment file is not valid YAML",
        "{0}");

    public static readonly DiagnosticDescriptor UnknownKey = Error(
        "EXP0002",
        "Unknown key in experiment file",
        "Unknown key '{0}'{1}; valid keys are: {2}");

    public static readonly DiagnosticDescriptor InvalidValue = Error(
        "EXP0003",
        "Invalid value in experiment file",
        "{0} must be {1}, but is {2}");

    public static readonly DiagnosticDescriptor MissingKey = Error(
        "EXP0004",
        "Required key missing from experiment file",
        "Required key '{0}' is missing ({1})");

    public static readonly DiagnosticDescriptor DuplicateKey = Error(
        "EXP0005",
        "Key set twice in experiment file",
        "Key '{0}' is set twice; it was first set at line {1}");

    public static readonly DiagnosticDescriptor NotAMapping = Error(
        "EXP0006",
        "Experiment file must hold one mapping of keys",
        "{0}");

    public static readonly DiagnosticDescriptor DuplicateName = Error(
        "EXP0007",
        "Two experiment files give the same name",
        "Experiment name '{0}' (C# class prefix '{1}') is also produced by '{2}'; rename one of the files");

    public static readonly DiagnosticDescriptor DatasetMismatch = Error(
        "EXP0008",
        "Model does not fit the dataset",
        "{0} is {1}, but dataset '{2}' has {3}");

    public static readonly DiagnosticDescriptor UnsupportedYaml = Error(
        "EXP0009",
        "Unsupported YAML feature in experiment file",
        "{0}");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "EXP0010",
        "The experiment generator failed on a file",
        "The experiment generator failed while processing this file; please report it: {0}");

    public static readonly DiagnosticDescriptor InvalidFileName = Error(
        "EXP0011",
        "Experiment file name cannot be used as a name",
        "The file name '{0}' cannot be used as an experiment name: {1}");

    private static readonly DiagnosticDescriptor[] All =
    [
        InvalidYaml, UnknownKey, InvalidValue, MissingKey, DuplicateKey, NotAMapping,
        DuplicateName, DatasetMismatch, UnsupportedYaml, InternalError, InvalidFileName,
    ];

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (var descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        return InternalError;
    }

    private static DiagnosticDescriptor Error(string id, string title, string message) => new(
        id,
        title,
        message,
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
