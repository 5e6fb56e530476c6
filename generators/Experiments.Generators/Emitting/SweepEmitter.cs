using System.Linq;
using Experiments.Generators.Model;

namespace Experiments.Generators.Emitting;

/// <summary>
/// Writes a sweep compactly: what its members share once (<c>{File}Hyperparameters</c> and the base class
/// <c>{File}Member</c>), and per member only the values it sets itself. A 1,000-member sweep then compiles about
/// thirty lines per member instead of a full experiment each.
/// </summary>
internal static class SweepEmitter
{
    private const string Settings = "global::Experiments.ExperimentSettings";
    private const string Module = "global::TorchSharp.torch.nn.Module<global::TorchSharp.torch.Tensor, global::TorchSharp.torch.Tensor>";
    private const string Summary = "global::Experiments.Models.ModelSummary";
    private const string Network = "global::Experiments.Models.Network";

    public static string HintName(SweepSpec sweep) => sweep.TypePrefix + ".Sweep.g.cs";

    public static Microsoft.CodeAnalysis.Text.SourceText EmitSweep(SweepSpec sweep, string ns)
    {
        var writer = new SourceWriter();
        ExperimentEmitter.WriteHeader(writer, $"from {sweep.SourceFile}");
        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();
        var hyperparameters = sweep.TypePrefix + "Hyperparameters";
        var memberKeys = sweep.MemberKeys.Select(i => ExperimentSchema.EmittedKeys[i]).ToList();
        writer.WriteLine($"/// <summary>");
        writer.WriteLine($"/// The hyperparameters every member of sweep <c>{ExperimentEmitter.Xml(sweep.Name)}</c> shares, from <c>{ExperimentEmitter.Xml(sweep.SourceFile)}</c>{ExperimentEmitter.Inheritance(sweep.BaseFiles)}.");
        writer.WriteLine($"/// Each member's own class holds the values it sets: {ExperimentEmitter.Xml(string.Join(", ", memberKeys.Select(k => k.Name)))}.");
        writer.WriteLine($"/// </summary>");
        using (writer.Block($"public static class {hyperparameters}"))
        {
            foreach (var key in ExperimentSchema.EmittedKeys.Where(k => !sweep.IsMemberKey(k)))
            {
                writer.WriteLine($"/// <summary><c>{key.Name}</c>: {ExperimentEmitter.Xml(key.Summary)}</summary>");
                writer.WriteLine($"public const {key.CSharpType} {key.PropertyName} = {ExperimentEmitter.ValueLiteral(key, sweep.Values[ExperimentSchema.EmittedKeys.IndexOf(key)])};");
                writer.WriteLine();
            }

            var settingKeys = memberKeys.Where(k => k.Role == KeyRole.Setting).ToList();
            writer.WriteLine("/// <summary>The settings of one member: the values above with the member's own.</summary>");
            writer.WriteLine($"public static {Settings} Settings({string.Join(", ", settingKeys.Select(k => k.CSharpType + " " + k.Name))}) => new()");
            using (writer.Block(closing: "};"))
            {
                foreach (var key in ExperimentSchema.EmittedKeys.Where(k => k.Role == KeyRole.Setting))
                {
                    writer.WriteLine($"{key.PropertyName} = {(sweep.IsMemberKey(key) ? key.Name : key.PropertyName)},");
                }
            }
        }

        writer.WriteLine();
        var member = sweep.TypePrefix + "Member";
        var datasetOwn = sweep.IsMemberKey(ExperimentSchema.Dataset);
        writer.WriteLine($"/// <summary>What the {Invariant(sweep.Members)} experiments of sweep <c>{ExperimentEmitter.Xml(sweep.Name)}</c> have in common.</summary>");
        using (writer.Block($"public abstract class {member} : global::Experiments.IExperiment"))
        {
            var parameters = "string name, string configurationSha256, " + (datasetOwn ? "string dataset, string datasetFile, " : string.Empty) + Settings + " settings";
            writer.WriteLine("/// <summary>Creates a member of the sweep.</summary>");
            writer.WriteLine($"private protected {member}({parameters})");
            using (writer.Block())
            {
                writer.WriteLine("Name = name;");
                writer.WriteLine("ConfigurationSha256 = configurationSha256;");
                if (datasetOwn)
                {
                    writer.WriteLine("Dataset = dataset;");
                    writer.WriteLine("this.datasetFile = datasetFile;");
                }

                writer.WriteLine("Settings = settings;");
            }

            writer.WriteLine();
            if (datasetOwn)
            {
                writer.WriteLine("/// <summary>The description file of the member's dataset (each member names its own).</summary>");
                writer.WriteLine("private readonly string datasetFile;");
                writer.WriteLine();
            }

            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine("public string Name { get; }");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string Description => {hyperparameters}.Description;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string SourceFile => {ExperimentEmitter.Literal(sweep.SourceFile)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public string? Sweep => {ExperimentEmitter.Literal(sweep.Name)};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine("public string? ConfigurationSha256 { get; }");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public global::System.Collections.Generic.IReadOnlyList<global::Experiments.ExperimentFile> BuiltFiles => {ExperimentEmitter.BuiltFilesExpression(ns, sweep.BaseFiles, datasetOwn ? "datasetFile" : ExperimentEmitter.Literal(sweep.DatasetFile))};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine(datasetOwn ? "public string Dataset { get; }" : $"public string Dataset => {hyperparameters}.Dataset;");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public {Settings} Settings {{ get; }}");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            writer.WriteLine($"public virtual string? CodeFingerprint => {ModelEmitter.GeneratorFingerprint};");
            writer.WriteLine();
            writer.WriteLine("/// <inheritdoc/>");
            if (sweep.ModelType is { } model)
            {
                writer.WriteLine($"public {Summary} Architecture => {model}.Summary;");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public {Network}? Network => {model}.Network;");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public {Module} CreateModel() => new {model}();");
            }
            else
            {
                writer.WriteLine($"public abstract {Summary} Architecture {{ get; }}");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public abstract {Network}? Network {{ get; }}");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public abstract {Module} CreateModel();");
            }

            writer.WriteLine();
            writer.WriteLine("/// <summary>Trains a fresh model on the context's dataset and evaluates it on the test split.</summary>");
            writer.WriteLine("public global::Experiments.ExperimentResult Run(global::Experiments.ExperimentContext context) => global::Experiments.Training.Trainer.Run(this, context);");
        }

        return writer.ToSourceText();
    }

    /// <summary>One member of a sweep: its own values and, when the members' models differ, its model.</summary>
    public static Microsoft.CodeAnalysis.Text.SourceText EmitMember(ExperimentSpec spec, string ns)
    {
        var writer = new SourceWriter();
        ExperimentEmitter.WriteHeader(writer, $"from {spec.SourceFile}");
        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();
        var filePrefix = spec.FileTypePrefix;
        var own = spec.MemberKeys.Select(i => ExperimentSchema.EmittedKeys[i]).ToList();
        var hyperparameters = spec.TypePrefix + "Hyperparameters";
        writer.WriteLine($"/// <summary>The values experiment <c>{ExperimentEmitter.Xml(spec.Name)}</c> sets itself; it shares the others, in <see cref=\"{filePrefix}Hyperparameters\"/>.</summary>");
        using (writer.Block($"public static class {hyperparameters}"))
        {
            foreach (var key in own)
            {
                writer.WriteLine($"/// <summary><c>{key.Name}</c>: {ExperimentEmitter.Xml(key.Summary)}</summary>");
                writer.WriteLine($"public const {key.CSharpType} {key.PropertyName} = {ExperimentEmitter.ValueLiteral(key, spec.Get(key))};");
                writer.WriteLine();
            }

            writer.WriteLine("/// <summary>SHA-256 of the member's whole configuration in canonical form (the run history records it).</summary>");
            writer.WriteLine($"public const string ConfigurationSha256 = {ExperimentEmitter.Literal(spec.ConfigurationSha256)};");
            writer.WriteLine();
            writer.WriteLine("/// <summary>All of its settings, as the trainer reads them.</summary>");
            var arguments = string.Join(", ", own.Where(k => k.Role == KeyRole.Setting).Select(k => k.PropertyName));
            writer.WriteLine($"public static {Settings} Settings {{ get; }} = {filePrefix}Hyperparameters.Settings({arguments});");
        }

        writer.WriteLine();
        writer.WriteLine($"/// <summary>Experiment <c>{ExperimentEmitter.Xml(spec.Name)}</c> of sweep <c>{ExperimentEmitter.Xml(spec.Sweep!)}</c>.</summary>");
        using (writer.Block($"public sealed class {spec.TypePrefix}Experiment : {filePrefix}Member"))
        {
            var dataset = own.Contains(ExperimentSchema.Dataset) ? $"{hyperparameters}.Dataset, {ExperimentEmitter.Literal(spec.DatasetFile)}, " : string.Empty;
            writer.WriteLine("/// <summary>Creates the experiment.</summary>");
            writer.WriteLine($"public {spec.TypePrefix}Experiment()");
            writer.WriteLine($"    : base({ExperimentEmitter.Literal(spec.Name)}, {hyperparameters}.ConfigurationSha256, {dataset}{hyperparameters}.Settings)");
            using (writer.Block())
            {
            }

            if (spec.OwnModel)
            {
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public override {Summary} Architecture => {ModelEmitter.SummaryExpression(spec)};");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public override {Network}? Network => {ModelEmitter.NetworkExpression(spec)};");
                writer.WriteLine();
                writer.WriteLine("/// <inheritdoc/>");
                writer.WriteLine($"public override {Module} CreateModel() => {ModelEmitter.CreateExpression(spec)};");
                if (spec.Model is ModuleModelSpec)
                {
                    // The module's source is part of what its results depend on: a C# edit must miss the run cache.
                    writer.WriteLine();
                    writer.WriteLine("/// <inheritdoc/>");
                    writer.WriteLine($"public override string? CodeFingerprint => {ModelEmitter.FingerprintExpression(spec)};");
                }
            }
        }

        return writer.ToSourceText();
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
