using System.Globalization;
using System.Linq;
using Experiments.Generators.Model;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Emitting;

/// <summary>Writes the project's <c>DatasetCatalog</c> (in its namespace): one <c>DatasetDescription</c> per dataset file.</summary>
internal static class DatasetEmitter
{
    public const string HintName = "DatasetCatalog.g.cs";

    private const string Data = "global::Experiments.Data.";
    private const string Description = Data + "DatasetDescription";

    public static SourceText EmitCatalog(DatasetSet set, string ns)
    {
        var writer = new SourceWriter();
        ExperimentEmitter.WriteHeader(writer, "from every dataset file of the project");
        writer.WriteLine($"namespace {ns};");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Every dataset described under <c>datasets/</c>.</summary>");
        using (writer.Block("public static class DatasetCatalog"))
        {
            foreach (var dataset in set.Datasets)
            {
                WriteDataset(writer, dataset);
                writer.WriteLine();
            }

            writer.WriteLine("/// <summary>Every described dataset, in name order.</summary>");
            writer.WriteLine($"public static global::System.Collections.Generic.IReadOnlyList<{Description}> All {{ get; }} = {Array(Description, set.Datasets.Select(d => d.PropertyName))};");
        }

        return writer.ToSourceText();
    }

    private static void WriteDataset(SourceWriter writer, DatasetSpec dataset)
    {
        var summary = dataset.Description.Length == 0 ? "Dataset " + dataset.Name : dataset.Description;
        writer.WriteLine($"/// <summary>{ExperimentEmitter.Xml(summary)} ({ExperimentEmitter.Xml(dataset.SourceFile)}).</summary>");
        writer.WriteLine($"public static {Description} {dataset.PropertyName} {{ get; }} = new()");
        using (writer.Block(closing: "};"))
        {
            writer.WriteLine($"Name = {Literal(dataset.Name)},");
            writer.WriteLine($"Description = {Literal(dataset.Description)},");
            writer.WriteLine($"SourceFile = {Literal(dataset.SourceFile)},");
            writer.WriteLine($"Format = {Data}DatasetFormat.{Member(dataset.Format)},");
            writer.WriteLine($"Root = {Literal(dataset.Root)},");
            writer.WriteLine($"Shape = {Array("int", dataset.Shape.Select(s => s.ToString(CultureInfo.InvariantCulture)))},");
            writer.WriteLine($"ClassNames = {Array("string", dataset.ClassNames.Select(Literal))},");
            writer.WriteLine($"Train = {Source(dataset.Train)},");
            if (dataset.Test is { } test)
            {
                writer.WriteLine($"Test = {Source(test)},");
            }
            else
            {
                writer.WriteLine($"TestFraction = {dataset.TestFraction},");
                writer.WriteLine($"SplitSeed = {dataset.SplitSeed.ToString(CultureInfo.InvariantCulture)},");
            }

            writer.WriteLine($"InputDivisor = {dataset.InputDivisor},");
            if (dataset.Format == DatasetSchema.Csv)
            {
                var label = dataset.LabelColumn is { } column ? column.ToString(CultureInfo.InvariantCulture) : "null";
                var name = dataset.LabelColumnName is { } labelName ? $", LabelColumnName = {Literal(labelName)}" : string.Empty;
                writer.WriteLine($"Csv = new() {{ HeaderLines = {dataset.HeaderLines.ToString(CultureInfo.InvariantCulture)}, LabelColumn = {label}{name}, Separator = {CharLiteral(dataset.Separator)} }},");
            }

            if (dataset.Color is { } color)
            {
                writer.WriteLine($"Images = new() {{ Color = {Data}ImageColor.{Member(color)}, Resize = {(dataset.Resize ? "true" : "false")} }},");
            }

            writer.WriteLine($"Prepare = {Data}ImagePreparation.{string.Concat(dataset.Prepare.Split('-').Select(Member))},");
            if (dataset.Sha256.Count > 0)
            {
                writer.WriteLine("Sha256 = new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal)");
                using (writer.Block(closing: "},"))
                {
                    foreach (var entry in dataset.Sha256)
                    {
                        writer.WriteLine($"[{Literal(entry.Path)}] = {Literal(entry.Hex)},");
                    }
                }
            }

            if (dataset.Mirrors.Count > 0)
            {
                writer.WriteLine($"Mirrors = {Array("global::System.Uri", dataset.Mirrors.Select(m => $"new global::System.Uri({Literal(m)})"))},");
            }

            if (dataset.DebianPackage is { } package)
            {
                writer.WriteLine($"DebianPackage = {Literal(package)},");
            }

            writer.WriteLine($"DescriptionSha256 = {Literal(dataset.DescriptionSha256)},");
        }
    }

    /// <summary>An array creation: generated code compiles from C# 11 on, before collection expressions.</summary>
    private static string Array(string type, System.Collections.Generic.IEnumerable<string> items)
    {
        var list = string.Join(", ", items);
        return list.Length == 0 ? $"global::System.Array.Empty<{type}>()" : $"new {type}[] {{ {list} }}";
    }

    private static string Source(DatasetSourceSpec source) =>
        source.Labels is null ? $"new({Literal(source.Path)})" : $"new({Literal(source.Path)}, {Literal(source.Labels)})";

    private static string Member(string word) => char.ToUpperInvariant(word[0]) + word.Substring(1);

    private static string Literal(string value) => ExperimentEmitter.Literal(value);

    private static string CharLiteral(char value) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
}
