using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Experiments.Generators.Diagnostics;

/// <summary>Every diagnostic the experiment generator reports. Ids are stable: never reuse or renumber one.</summary>
internal static class DiagnosticDescriptors
{
    /// <summary>Where <c>docs/diagnostics.md</c> is published; each id links to its section (<c>#exp0001</c>).</summary>
    public const string HelpLinkBase = "https://github.com/experiments-dotnet/experiments/blob/main/docs/diagnostics.md";

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
        "Experiment '{0}' gets the C# class prefix '{1}', as does '{2}'; rename one of the files");

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

    public static readonly DiagnosticDescriptor BaseNotFound = Error(
        "EXP0012",
        "The file named by 'extends' does not exist",
        "extends names '{0}', but there is no experiment file '{1}'{2}");

    public static readonly DiagnosticDescriptor ExtendsCycle = Error(
        "EXP0013",
        "Experiment files extend each other in a cycle",
        "extends forms a cycle: {0}; remove 'extends' from one of these files");

    public static readonly DiagnosticDescriptor BaseOutsideExperiments = Error(
        "EXP0014",
        "The file named by 'extends' is outside the experiments folder",
        "extends names '{0}', which is outside the experiments folder '{1}'; only experiment files can be extended");

    public static readonly DiagnosticDescriptor SweepTooLarge = Error(
        "EXP0015",
        "Sweep expands to too many experiments",
        "The lists in this file expand to {0} experiments ({1}), more than the limit of {2}; shorten a list or raise 'sweepLimit'");

    public static readonly DiagnosticDescriptor InvalidSweep = Error(
        "EXP0016",
        "Invalid list of values (sweep)",
        "{0} holds a list, but {1}");

    public static readonly DiagnosticDescriptor NotUtf8 = Error(
        "EXP0017",
        "Experiment file is not UTF-8",
        "The file is not valid UTF-8: {0}; save it as UTF-8");

    public static readonly DiagnosticDescriptor FileTooLarge = Error(
        "EXP0018",
        "Experiment file is too large",
        "The file holds {0} characters, more than the {1} an experiment file may have");

    public static readonly DiagnosticDescriptor TooManyDiagnostics = Error(
        "EXP0019",
        "Too many errors of one kind in an experiment file",
        "... and {0} more {1} errors in this file, not shown (only the first {2} of each id are reported)");

    public static readonly DiagnosticDescriptor FileNameNotCommandLineSafe = Error(
        "EXP0020",
        "Experiment file name cannot be used on the command line",
        "The file name '{0}' cannot name an experiment on the command line: a name must not start with '-' and may hold only letters, digits and . _ - + = , @; rename the file to '{1}'");

    public static readonly DiagnosticDescriptor ListNeedsSweep = Error(
        "EXP0021",
        "A list given to a key that takes one value",
        "'{0}' takes one value, not a list; to sweep it (one experiment per value), move the list under 'sweep:', as in 'sweep: {{ {0}: [...] }}'");

    public static readonly DiagnosticDescriptor InvalidModel = Error(
        "EXP0022",
        "Invalid model description",
        "{0}");

    public static readonly DiagnosticDescriptor UnknownLayer = Error(
        "EXP0023",
        "Unknown layer type",
        "Unknown layer type '{0}'{1}; layer types are: {2}");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error(
        "EXP0024",
        "Layer does not fit the shape of its input",
        "Layer {0} ({1}) {2}");

    public static readonly DiagnosticDescriptor WrongOutputShape = Error(
        "EXP0025",
        "Model output does not match numClasses",
        "The model outputs {0} per example, but must output [{1}] (numClasses: one logit per class); {2}");

    public static readonly DiagnosticDescriptor InvalidSweepKey = Error(
        "EXP0026",
        "Invalid key in the sweep block",
        "sweep key '{0}' {1}");

    // EXP0030-EXP0039: a user module named by model: class: (Modules/ModuleBinder.cs).

    public static readonly DiagnosticDescriptor ModuleNotFound = Error(
        "EXP0030",
        "Model class not found",
        "No class named '{0}' in the project's C# code{1}; {2}");

    public static readonly DiagnosticDescriptor AmbiguousModuleClass = Error(
        "EXP0031",
        "Model class name is ambiguous",
        "'{0}' names {1} classes: {2}; give the full name of one");

    public static readonly DiagnosticDescriptor NotAModule = Error(
        "EXP0032",
        "Model class is not a TorchSharp module",
        "'{0}' is not a model module: it derives from {1}, and a model must derive from torch.nn.Module<Tensor, Tensor>");

    public static readonly DiagnosticDescriptor ModuleNotConstructible = Error(
        "EXP0033",
        "Model class cannot be created",
        "'{0}' cannot be created from an experiment file: {1}");

    public static readonly DiagnosticDescriptor MissingModuleArgument = Error(
        "EXP0034",
        "Model argument missing",
        "The constructor {0} needs '{1}' ({2}), which has no default; add '{1}' under 'args'");

    public static readonly DiagnosticDescriptor UnknownModuleArgument = Error(
        "EXP0035",
        "Unknown model argument",
        "'{0}' is not a parameter of {1}{2}; {3}");

    public static readonly DiagnosticDescriptor InvalidModuleArgument = Error(
        "EXP0036",
        "Invalid model argument",
        "Argument '{0}' of {1} must be {2}, but is {3}");

    public static readonly DiagnosticDescriptor UnsupportedModuleParameter = Error(
        "EXP0037",
        "Model constructor parameter cannot be given in an experiment file",
        "Parameter '{0}' of {1} has type '{2}', which an experiment file cannot give (it can give int, long, float, double, bool, string, an enum, and an array, IReadOnlyList<T>, IList<T> or List<T> of int, long, float or double); {3}");

    public static readonly DiagnosticDescriptor AmbiguousModuleConstructor = Error(
        "EXP0038",
        "Model arguments do not pick one constructor",
        "The args fit {0} of the {1} public constructors of '{2}', which are: {3}; give args that fit exactly one");

    public static readonly DiagnosticDescriptor InvalidModuleSection = Error(
        "EXP0039",
        "Invalid model class or args",
        "{0}");

    // EXP0040-EXP0049: dataset files (datasets/*.yaml, Parsing/DatasetParser.cs) and experiments' datasets.

    public static readonly DiagnosticDescriptor InvalidDatasetValue = Error(
        "EXP0040",
        "Invalid value in dataset file",
        "{0} must be {1}, but is {2}");

    public static readonly DiagnosticDescriptor InvalidDatasetKey = Error(
        "EXP0041",
        "Unknown or misplaced key in dataset file",
        "Key '{0}' {1}");

    public static readonly DiagnosticDescriptor MissingDatasetKey = Error(
        "EXP0042",
        "Required key missing from dataset file",
        "{0}");

    public static readonly DiagnosticDescriptor UnknownDataset = Error(
        "EXP0043",
        "Unknown dataset",
        "dataset '{0}' is not described{1}; the datasets are: {2} (each is a file datasets/<name>.yaml)");

    public static readonly DiagnosticDescriptor DuplicateDatasetName = Error(
        "EXP0044",
        "Two dataset files give the same name",
        "Dataset '{0}' gets the C# property name '{1}', {2}; rename one of the files");

    public static readonly DiagnosticDescriptor InvalidNamespace = Error(
        "EXP0045",
        "The namespace for generated code is not a C# namespace",
        "{0} is '{1}', which cannot be the namespace of the generated code: {2}; set ExperimentsNamespace in the project file to a C# namespace such as MyLab.Experiments");

    public static readonly DiagnosticDescriptor RuntimeVersionMismatch = Error(
        "EXP0046",
        "Experiments.Generators and Experiments.Core are not of one version",
        "The project references {0}, but Experiments.Generators is {1}, and the code it generates calls the Experiments.Core of its own version; use the same version of the Experiments.Generators and Experiments.Core (or Experiments.Host) packages (nothing is generated until they agree)");

    /// <summary>Every descriptor, in id order.</summary>
    public static readonly ImmutableArray<DiagnosticDescriptor> All = ImmutableArray.Create(
        InvalidYaml, UnknownKey, InvalidValue, MissingKey, DuplicateKey, NotAMapping,
        DuplicateName, DatasetMismatch, UnsupportedYaml, InternalError, InvalidFileName,
        BaseNotFound, ExtendsCycle, BaseOutsideExperiments, SweepTooLarge, InvalidSweep, NotUtf8, FileTooLarge,
        TooManyDiagnostics, FileNameNotCommandLineSafe, ListNeedsSweep, InvalidModel, UnknownLayer, ShapeMismatch,
        WrongOutputShape, InvalidSweepKey,
        ModuleNotFound, AmbiguousModuleClass, NotAModule, ModuleNotConstructible, MissingModuleArgument,
        UnknownModuleArgument, InvalidModuleArgument, UnsupportedModuleParameter, AmbiguousModuleConstructor, InvalidModuleSection,
        InvalidDatasetValue, InvalidDatasetKey, MissingDatasetKey, UnknownDataset, DuplicateDatasetName,
        InvalidNamespace, RuntimeVersionMismatch);

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
        isEnabledByDefault: true,
        helpLinkUri: HelpLinkBase + "#" + id.ToLowerInvariant());
}
