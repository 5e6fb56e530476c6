using System.Globalization;
using System.Linq;
using System.Text;
using Experiments.Generators.Model;
using Experiments.Generators.Parsing;
using Experiments.Generators.Project;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Emitting;

/// <summary>Writes the C# source of experiments. Knows the shape of the runtime's API, but only as text.</summary>
internal static class ExperimentEmitter
{
    public static string ExperimentHintName(ExperimentSpec spec) => spec.TypePrefix + ".Experiment.g.cs";

    public const string CatalogHintName = "ExperimentCatalog.g.cs";

    /// <summary>The runtime types generated code names, aliased by their short name, sorted.</summary>
    private static readonly string[] Aliases = new[]
        {
            "global::Experiments.ExperimentContext",
            "global::Experiments.ExperimentResult",
            "global::Experiments.ExperimentSettings",
            "global::TorchSharp.torch.Tensor",
            "global::Experiments.Training.Trainer",
        }
        .Concat(ExperimentSchema.EmittedKeys.Select(k => k.EnumType).OfType<string>())
        .Distinct()
        .OrderBy(a => a.Substring(a.LastIndexOf('.') + 1), System.StringComparer.Ordinal)
        .ToArray();

    /// <summary>The runtime and TorchSharp types model classes name, aliased by their short name, sorted.</summary>
    private static readonly string[] ModelAliases =
    {
        "global::Experiments.Models.ActivationKind",
        "global::Experiments.Models.ActivationLayer",
        "global::Experiments.Models.BatchNorm1d",
        "global::Experiments.Models.BatchNorm2d",
        "global::Experiments.Models.BatchNormLayer",
        "global::TorchSharp.Modules.Conv2d",
        "global::Experiments.Models.Conv2dLayer",
        "global::Experiments.Models.Dropout",
        "global::Experiments.Models.DropoutLayer",
        "global::Experiments.Models.FlattenLayer",
        "global::Experiments.Models.LayerSummary",
        "global::TorchSharp.Modules.Linear",
        "global::Experiments.Models.LinearLayer",
        "global::Experiments.Models.ModelKind",
        "global::Experiments.Models.ModelSummary",
        "global::Experiments.Models.Network",
        "global::Experiments.Models.NetworkLayer",
        "global::Experiments.Models.Pool2dLayer",
        "global::Experiments.Models.PoolKind",
        "global::Experiments.Models.ReshapeLayer",
        "global::TorchSharp.torch.Tensor",
    };

    /// <summary>The hyperparameters and runner classes of one experiment (its model is a class of its own).</summary>
    public static SourceText EmitExperiment(ExperimentSpec spec, string ns)
    {
        if (spec.Sweep is not null)
        {
            return SweepEmitter.EmitMember(spec, ns);
        }

        var writer = new SourceWriter();
        WriteHeader(writer, $"from {spec.SourceFile}");

        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();

        // Inside the namespace, these aliases win over same-named types of the user's project (even in namespace
        // Experiments). Only types generated into this namespace could shadow them, and those always end in
        // Hyperparameters, Model or Experiment, so IExperiment alone is written out in full.
        foreach (var alias in Aliases)
        {
            writer.WriteLine($"using {alias.Substring(alias.LastIndexOf('.') + 1)} = {alias};");
        }

        writer.WriteLine("using static global::TorchSharp.torch;");
        writer.WriteLine();
        WriteHyperparameters(writer, spec);
        writer.WriteLine();
        WriteRunner(writer, spec, ns);
        return writer.ToSourceText();
    }

    public static string ModelHintName(ModelClassSpec model) => model.TypeName + ".g.cs";

    /// <summary>One model class, shared by every experiment of its file that has this model.</summary>
    public static SourceText EmitModel(ModelClassSpec model, string ns)
    {
        var writer = new SourceWriter();
        WriteHeader(writer, $"from {model.SourceFile}");
        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();
        var used = ModelEmitter.UsedTypes(model.Model);
        foreach (var alias in ModelAliases.Where(a => used.Contains(a.Substring(a.LastIndexOf('.') + 1))))
        {
            writer.WriteLine($"using {alias.Substring(alias.LastIndexOf('.') + 1)} = {alias};");
        }

        writer.WriteLine("using static global::TorchSharp.torch;");
        writer.WriteLine();
        ModelEmitter.Write(writer, model);
        return writer.ToSourceText();
    }

    /// <summary>
    /// The project's catalog: every experiment (the list the host uses instead of reflection), the project as the build
    /// knew it, and the files as the build read them; an <c>IExperimentCatalog</c> (<c>ExperimentCatalog.Instance</c>).
    /// </summary>
    public static SourceText EmitCatalog(CatalogSpec catalog, ProjectSettings project, string ns)
    {
        const string ListType = "global::System.Collections.Generic.IReadOnlyList";
        var writer = new SourceWriter();
        WriteHeader(writer, "from every experiment file of the project");
        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Every experiment generated from this project's YAML files, ordered by name, and what the build knew of the project.</summary>");
        using (writer.Block("public sealed partial class ExperimentCatalog : global::Experiments.IExperimentCatalog"))
        {
            writer.WriteLine("private ExperimentCatalog() { }");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The catalog, as the host takes it: <c>ExperimentHost.Run(args, ExperimentCatalog.Instance)</c>.</summary>");
            writer.WriteLine("public static ExperimentCatalog Instance { get; } = new();");
            writer.WriteLine();
            writer.WriteLine("/// <summary>One instance of each experiment.</summary>");
            writer.WriteLine($"public static {ListType}<global::Experiments.IExperiment> All {{ get; }} =");
            using (writer.Block("new global::Experiments.IExperiment[]", "};"))
            {
                foreach (var entry in catalog.Entries)
                {
                    writer.WriteLine($"new {entry.TypePrefix}Experiment(),");
                }
            }

            writer.WriteLine();
            WriteProject(writer, project);
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"{ListType}<global::Experiments.IExperiment> global::Experiments.IExperimentCatalog.Experiments => All;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"{ListType}<global::Experiments.Data.DatasetDescription> global::Experiments.IExperimentCatalog.Datasets => global::{ns}.DatasetCatalog.All;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine("global::Experiments.ExperimentProject global::Experiments.IExperimentCatalog.Project => Project;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The build of the generator that wrote this code: part of every experiment's code fingerprint (the run cache compares it).</summary>");
            writer.WriteLine($"public const string GeneratorBuild = {Literal(ModelEmitter.GeneratorBuild)};");
            WriteBuiltFiles(writer, catalog);
        }

        return writer.ToSourceText();
    }

    /// <summary>
    /// <c>ExperimentCatalog.Project</c>: the MSBuild properties of <see cref="ProjectSettings"/>, absolute paths of the
    /// building machine; a property the build did not set keeps the record's default.
    /// </summary>
    private static void WriteProject(SourceWriter writer, ProjectSettings project)
    {
        writer.WriteLine("/// <summary>What the build knew of the project: its name on a command line, its folder, where its data and results go.</summary>");
        writer.WriteLine("public static global::Experiments.ExperimentProject Project { get; } = new()");
        using (writer.Block(closing: "};"))
        {
            if (project.ApplicationName is { } application)
            {
                writer.WriteLine($"ApplicationName = {Literal(application)},");
            }

            writer.WriteLine($"ProjectDirectory = {NullableLiteral(project.ProjectDirectory)},");
            writer.WriteLine($"DataRoot = {NullableLiteral(project.DataRoot)},");
            writer.WriteLine($"ResultsDirectory = {NullableLiteral(project.ResultsDirectory)},");
            writer.WriteLine($"GeneratorVersion = {Literal(RuntimeReference.GeneratorInformationalVersion)},");
        }
    }

    /// <summary>
    /// The files as this build read them, so that a run can tell that one changed since (<c>run --no-build</c>
    /// after an edit). The experiments folder is an absolute path of the building machine: it is written once, here,
    /// so that each experiment's own source does not depend on where the checkout is.
    /// </summary>
    private static void WriteBuiltFiles(SourceWriter writer, CatalogSpec catalog)
    {
        const string FileType = "global::Experiments.ExperimentFile";
        const string ListType = "global::System.Collections.Generic.IReadOnlyList<" + FileType + ">";
        writer.WriteLine();
        if (catalog.ExperimentsDirectory is { } directory)
        {
            writer.WriteLine("/// <summary>The experiments folder this build read (the <c>ExperimentsDirectory</c> property), on the machine that built it.</summary>");
            writer.WriteLine($"public const string ExperimentsDirectory = {Literal(directory)};");
            writer.WriteLine();
        }

        if (catalog.DatasetsDirectory is { } datasets)
        {
            writer.WriteLine("/// <summary>The datasets folder this build read (the <c>DatasetsDirectory</c> property), on the machine that built it.</summary>");
            writer.WriteLine($"public const string DatasetsDirectory = {Literal(datasets)};");
            writer.WriteLine();
        }

        writer.WriteLine("/// <summary>Every experiment and dataset file this build read, by the name experiments give it, with the SHA-256 of its text.</summary>");
        writer.WriteLine($"private static readonly global::System.Collections.Generic.Dictionary<string, {FileType}> Files = new(global::System.StringComparer.Ordinal)");
        using (writer.Block(closing: "};"))
        {
            foreach (var file in catalog.Files)
            {
                var path = file.Folder switch
                {
                    BuiltFileFolder.Experiments => "ExperimentsDirectory + " + Literal(file.Path),
                    BuiltFileFolder.Datasets => "DatasetsDirectory + " + Literal(file.Path),
                    _ => Literal(file.Path),
                };
                writer.WriteLine($"[{Literal(file.SourceFile)}] = new({Literal(file.SourceFile)}, {path}, {Literal(file.Sha256!)}),");
            }
        }

        writer.WriteLine();
        writer.WriteLine("/// <summary>The files named (as <see cref=\"global::Experiments.IExperiment.SourceFile\"/> names them), as this build read them.</summary>");
        writer.WriteLine($"public static {ListType} FilesOf(params string[] sourceFiles)");
        using (writer.Block())
        {
            writer.WriteLine($"var files = new global::System.Collections.Generic.List<{FileType}>(sourceFiles.Length);");
            writer.WriteLine("foreach (var sourceFile in sourceFiles)");
            using (writer.Block())
            {
                writer.WriteLine("if (Files.TryGetValue(sourceFile, out var file))");
                using (writer.Block())
                {
                    writer.WriteLine("files.Add(file);");
                }
            }

            writer.WriteLine();
            writer.WriteLine("return files;");
        }
    }

    internal static void WriteHeader(SourceWriter writer, string origin)
    {
        writer.WriteLine("// <auto-generated>");
        writer.WriteLine($"//     Generated by Experiments.Generators {SingleLine(origin)}.");
        writer.WriteLine("//     Edit the YAML file instead: changes to this file are lost on the next build.");
        writer.WriteLine("// </auto-generated>");
        writer.WriteLine();
        writer.WriteLine("#nullable enable");
        writer.WriteLine();
    }

    private static void WriteHyperparameters(SourceWriter writer, ExperimentSpec spec)
    {
        writer.WriteLine($"/// <summary>The hyperparameters of experiment <c>{Xml(spec.Name)}</c>, from <c>{Xml(spec.SourceFile)}</c>{Inheritance(spec.BaseFiles)}.</summary>");
        using (writer.Block($"public static class {spec.TypePrefix}Hyperparameters"))
        {
            foreach (var key in ExperimentSchema.EmittedKeys)
            {
                writer.WriteLine($"/// <summary><c>{key.Name}</c>: {Xml(key.Summary)}</summary>");
                writer.WriteLine($"public const {TypeName(key)} {key.PropertyName} = {ValueLiteral(key, spec.Get(key))};");
                writer.WriteLine();
            }

            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// SHA-256 of every value above in canonical form (keys in this order, defaults filled in, bases merged):");
            writer.WriteLine("/// equal for equal settings, whatever the files' comments and layout. The run history records it.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public const string ConfigurationSha256 = {Literal(spec.ConfigurationSha256)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>All of the above, as the settings the trainer reads.</summary>");
            writer.WriteLine("public static ExperimentSettings Settings { get; } = new()");
            using (writer.Block(closing: "};"))
            {
                foreach (var key in ExperimentSchema.EmittedKeys)
                {
                    if (key.Role == KeyRole.Setting)
                    {
                        writer.WriteLine($"{key.PropertyName} = {key.PropertyName},");
                    }
                }
            }
        }
    }

    /// <summary>The type of a constant: enums by their alias (declared at the top of the file), others by keyword.</summary>
    private static string TypeName(KeyDefinition key) =>
        key.EnumType is { } enumType ? enumType.Substring(enumType.LastIndexOf('.') + 1) : key.CSharpType;

    /// <summary>The C# literal of a canonical value. Enum members are written in full: a constant named like its enum would hide the type (CS0110).</summary>
    internal static string ValueLiteral(KeyDefinition key, string value) => key.Kind switch
    {
        ValueKind.Integer => long.Parse(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + (key.IntegerType == "long" ? "L" : string.Empty),
        ValueKind.Number => Number(double.Parse(value, CultureInfo.InvariantCulture)),
        ValueKind.Boolean => value == "true" ? "true" : "false",
        ValueKind.Choice when key.EnumType is not null => key.EnumType + "." + Member(value),
        _ => Literal(value),
    };

    /// <summary>" extending <c>base.yaml</c>" for a doc comment, or nothing when there are no bases.</summary>
    internal static string Inheritance(EquatableArray<string> baseFiles) =>
        baseFiles.Count == 0 ? string.Empty : " extending <c>" + Xml(string.Join(", ", baseFiles)) + "</c>";

    /// <summary>
    /// What <c>IExperiment.BuiltFiles</c> returns: the experiment's file, then the files it extends, then its dataset's
    /// description (<paramref name="datasetFile"/>: a literal, or an expression such as a field's name).
    /// </summary>
    internal static string BuiltFilesExpression(string ns, EquatableArray<string> baseFiles, string datasetFile) =>
        $"global::{ns}.ExperimentCatalog.FilesOf({string.Join(", ", new[] { "SourceFile" }.Concat(baseFiles.Select(Literal)).Concat(new[] { datasetFile }))})";

    private static void WriteRunner(SourceWriter writer, ExperimentSpec spec, string ns)
    {
        var hyperparameters = spec.TypePrefix + "Hyperparameters";
        writer.WriteLine($"/// <summary>Experiment <c>{Xml(spec.Name)}</c>{Summary(spec.Get(ExperimentSchema.Description))}</summary>");
        using (writer.Block($"public sealed class {spec.TypePrefix}Experiment : global::Experiments.IExperiment"))
        {
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string Name => {Literal(spec.Name)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string Description => {hyperparameters}.Description;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string SourceFile => {Literal(spec.SourceFile)};");
            writer.WriteLine();
            if (spec.Sweep is { } sweep)
            {
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public string? Sweep => {Literal(sweep)};");
                writer.WriteLine();
            }

            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string? ConfigurationSha256 => {hyperparameters}.ConfigurationSha256;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public global::System.Collections.Generic.IReadOnlyList<global::Experiments.ExperimentFile> BuiltFiles => {BuiltFilesExpression(ns, spec.BaseFiles, Literal(spec.DatasetFile))};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string Dataset => {hyperparameters}.Dataset;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public ExperimentSettings Settings => {hyperparameters}.Settings;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public global::Experiments.Models.ModelSummary Architecture => {ModelEmitter.SummaryExpression(spec)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public global::Experiments.Models.Network? Network => {ModelEmitter.NetworkExpression(spec)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string? CodeFingerprint => {ModelEmitter.FingerprintExpression(spec)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public nn.Module<Tensor, Tensor> CreateModel() => {ModelEmitter.CreateExpression(spec)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Trains a fresh model on the context's dataset and evaluates it on the test split.</summary>");
            writer.WriteLine("public ExperimentResult Run(ExperimentContext context) => Trainer.Run(this, context);");
        }
    }

    /// <summary>A string literal, or <c>null</c>.</summary>
    public static string NullableLiteral(string? value) => value is null ? "null" : Literal(value);

    /// <summary>A C# string literal that reads back as exactly <paramref name="value"/>.</summary>
    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A double literal that round-trips: "R" format, with ".0" where it would read as an integer.</summary>
    public static string Number(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) >= 0 ? text : text + ".0";
    }

    private static string Member(string choice) => ExperimentSchema.EnumMember(choice);

    internal static string Summary(string description)
    {
        var line = SingleLine(description);
        return line.Length == 0 ? "." : ": " + Xml(line);
    }

    /// <summary>Folds free text onto one line (a newline would end a doc comment) and caps its length.</summary>
    private static string SingleLine(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var separator = char.IsControl(c) || char.IsWhiteSpace(c) || c is '\u2028' or '\u2029' or '\u0085';
            if (separator)
            {
                if (builder.Length > 0 && builder[builder.Length - 1] != ' ')
                {
                    builder.Append(' ');
                }
            }
            else if (!char.IsSurrogate(c) && c is not ('\uFFFE' or '\uFFFF'))
            {
                builder.Append(c);
            }
        }

        var line = builder.ToString().Trim();
        return line.Length <= 200 ? line : line.Substring(0, 197) + "...";
    }

    /// <summary>Text for a doc comment: on one line (a file name may hold a line break) and XML-escaped.</summary>
    internal static string Xml(string text) => SingleLine(text).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
