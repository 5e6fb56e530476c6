using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Experiments.Generators.Diagnostics;
using Experiments.Generators.Model;
using Experiments.Spelling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Experiments.Generators.Parsing;

/// <summary>
/// Turns one dataset file (<c>datasets/&lt;name&gt;.yaml</c>) into a <see cref="DatasetDocument"/>: its description,
/// checked against <see cref="DatasetSchema"/> with every default filled in, or every problem, each located at the
/// key or value at fault. Never throws for bad input.
/// </summary>
internal sealed class DatasetParser
{
    private static readonly Regex Hex = new("^[0-9a-f]{64}$", RegexOptions.CultureInvariant);
    private static readonly Regex DebianName = new("^[a-z0-9][a-z0-9+.-]+$", RegexOptions.CultureInvariant);

    private readonly List<DiagnosticInfo> diagnostics = [];
    private readonly Dictionary<string, YamlEntry> keys = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> canonical = [];
    private readonly SourceLocation start;
    private bool valid = true;

    private DatasetParser(SourceLocation start)
    {
        this.start = start;
    }

    /// <summary>Parses <paramref name="text"/>, the content of <paramref name="filePath"/>.</summary>
    /// <param name="datasetsDirectory">The datasets folder, to name the file relative to its parent; may be null.</param>
    public static DatasetDocument Parse(string filePath, SourceText? text, string? datasetsDirectory, CancellationToken cancellationToken)
    {
        var file = ExperimentParser.ReadTree(filePath, text, datasetsDirectory, FileKind.Dataset, cancellationToken);
        var parser = new DatasetParser(file.Start);
        parser.diagnostics.AddRange(file.Diagnostics);
        DatasetSpec? spec = null;
        if (file.Root is { } root && file.TypePrefix is not null)
        {
            try
            {
                spec = parser.Read(file, root);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                parser.Report(DiagnosticDescriptors.InternalError, file.Start, exception.GetType().Name + ": " + exception.Message);
            }
        }

        var ordered = parser.diagnostics.OrderBy(d => d.Location.Span.Start).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();
        var all = DiagnosticCap.Apply(ordered).ToEquatableArray();
        return new DatasetDocument(filePath, file.Name, file.TypePrefix, file.SourceFile, all.Count == 0 ? spec : null, all);
    }

    private DatasetSpec? Read(ParsedFile file, YamlMap root)
    {
        foreach (var entry in root.Entries)
        {
            if (DatasetSchema.Find(entry.Key) is null)
            {
                var names = DatasetSchema.Keys.Select(k => k.Name).ToList();
                KeyProblem(entry.KeyLocation, entry.Key, $"is not a key of a dataset file{Hint(entry.Key, names)}; the keys are: {string.Join(", ", names)}");
                continue;
            }

            keys[entry.Key] = entry;
        }

        var format = Scalar(DatasetSchema.Format);
        if (!keys.ContainsKey(DatasetSchema.Format.Name))
        {
            Missing(DatasetSchema.Format, "one of 'idx', 'images', 'csv'");
        }

        if (format is not null)
        {
            foreach (var key in DatasetSchema.Keys.Where(k => !k.AppliesTo(format) && keys.ContainsKey(k.Name)))
            {
                var problem = format == DatasetSchema.Idx && (key == DatasetSchema.TestFraction || key == DatasetSchema.SplitSeed)
                    ? $"applies to {key.FormatsText} only: an idx dataset names its test files under 'test' (a test split is not drawn from idx files); remove it"
                    : $"applies to {key.FormatsText} only, and this dataset's format is '{format}'; remove it";
                KeyProblem(keys[key.Name].KeyLocation, key.Name, problem);
                keys.Remove(key.Name);
            }
        }

        var description = Scalar(DatasetSchema.Description) ?? string.Empty;
        var rootFolder = Scalar(DatasetSchema.Root);
        if (rootFolder is not null && rootFolder.Trim().Length == 0)
        {
            Invalid(keys[DatasetSchema.Root.Name].Value, "root", "a folder (relative to the data root, or absolute)");
        }

        var train = Source(DatasetSchema.Train, format);
        var test = Source(DatasetSchema.Test, format);
        var testFraction = Scalar(DatasetSchema.TestFraction);
        var splitSeed = Scalar(DatasetSchema.SplitSeed);
        keys.TryGetValue(DatasetSchema.Test.Name, out var testEntry);
        if (testEntry is null && format == DatasetSchema.Idx)
        {
            Missing(DatasetSchema.Test, "an idx dataset names its test files, {images: <file>, labels: <file>}: a test split is not drawn from idx files");
        }
        else if (testEntry is not null && keys.TryGetValue(DatasetSchema.TestFraction.Name, out var fractionEntry))
        {
            KeyProblem(fractionEntry.KeyLocation, "testFraction", $"cannot be set together with 'test' (line {testEntry.KeyLocation.Line.ToString(CultureInfo.InvariantCulture)}): the test split is the 'test' source, or a fraction drawn from 'train', not both; remove one");
        }
        else if (testEntry is not null && keys.TryGetValue(DatasetSchema.SplitSeed.Name, out var seedEntry))
        {
            KeyProblem(seedEntry.KeyLocation, "splitSeed", "seeds the draw of 'testFraction', and this dataset has a 'test' source instead; remove it");
        }
        else if (testEntry is null && !keys.ContainsKey(DatasetSchema.TestFraction.Name))
        {
            Report(DiagnosticDescriptors.MissingDatasetKey, start, "Neither 'test' nor 'testFraction' is set: give the test source under 'test' (in the form of 'train'), or hold out a fraction of 'train' with 'testFraction: 0.2'");
        }

        if (train is not null && test is not null)
        {
            Apart();
        }

        var shape = Shape(format);
        var classes = Classes(format);
        var color = Color(format, shape);
        var resize = format == DatasetSchema.Images ? (Scalar(DatasetSchema.Resize) ?? "false") : null;
        var divisor = Scalar(DatasetSchema.DivideBy) ?? (format is null ? null : Number(DatasetSchema.DefaultDivisor(format)));
        var normalize = Scalar(DatasetSchema.Normalize) ?? "none";
        var prepare = Prepare(format, shape);
        var csv = format == DatasetSchema.Csv ? CsvOptions(shape) : default;
        var sha256 = Sha256(train, test);
        var mirrors = Mirrors();
        var debianPackage = DebianPackage();

        if (!valid || format is null || train is null || shape is null || classes is null || divisor is null)
        {
            return null;
        }

        var name = file.Name;
        // The canonical form holds what changes the examples an experiment sees; not the description, where the
        // files come from (mirrors, debianPackage), their checksums (the run cache keys the data's content) or how
        // predict prepares new images (prepare: training never reads it).
        Line("name", name);
        Line("format", format);
        Line("root", rootFolder ?? name);
        Line("shape", "[" + string.Join(",", shape) + "]");
        Line("classes", "[" + string.Join(",", classes.Select(Quote)) + "]");
        Line("divideBy", divisor);
        Line("normalize", normalize);
        SourceLines("train", train);
        if (test is not null)
        {
            SourceLines("test", test);
        }
        else
        {
            Line("testFraction", testFraction!);
            Line("splitSeed", splitSeed ?? "0");
        }

        if (color is not null)
        {
            Line("color", color);
            Line("resize", resize!);
        }

        if (format == DatasetSchema.Csv)
        {
            Line("csv.headerLines", csv.HeaderLines.ToString(CultureInfo.InvariantCulture));
            Line("csv.label", csv.LabelName is not null ? "name:" + csv.LabelName : csv.LabelColumn?.ToString(CultureInfo.InvariantCulture) ?? DatasetSchema.Last);
            Line("csv.separator", csv.Separator.ToString());
        }

        return new DatasetSpec
        {
            Name = name,
            PropertyName = file.TypePrefix!,
            SourceFile = file.SourceFile,
            Description = description,
            Format = format,
            Root = rootFolder ?? name,
            Shape = shape.ToEquatableArray(),
            ClassNames = classes.ToEquatableArray(),
            Train = train,
            Test = test,
            TestFraction = test is null ? testFraction : null,
            SplitSeed = test is null && splitSeed is not null ? int.Parse(splitSeed, CultureInfo.InvariantCulture) : 0,
            InputDivisor = divisor,
            Normalize = normalize,
            Prepare = prepare ?? DatasetSchema.PrepareNone,
            HeaderLines = csv.HeaderLines,
            LabelColumn = csv.LabelColumn,
            LabelColumnName = csv.LabelName,
            Separator = csv.Separator == default ? ',' : csv.Separator,
            Color = color,
            Resize = resize == "true",
            Sha256 = sha256.ToEquatableArray(),
            Mirrors = mirrors.ToEquatableArray(),
            DebianPackage = debianPackage,
            DescriptionSha256 = ConfigurationHash.OfDataset(canonical),
        };
    }

    private void Line(string key, string value) => canonical.Add(new KeyValuePair<string, string>(key, value));

    private void SourceLines(string key, DatasetSourceSpec source)
    {
        if (source.Labels is null)
        {
            Line(key, source.Path);
        }
        else
        {
            Line(key + "." + DatasetSchema.ImagesFile, source.Path);
            Line(key + "." + DatasetSchema.LabelsFile, source.Labels);
        }
    }

    /// <summary>A list item or name in canonical form: always quoted, so that no text reads as a separator.</summary>
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>The canonical value of a scalar key the file sets, or null (absent, or reported).</summary>
    private string? Scalar(DatasetKey key) =>
        keys.TryGetValue(key.Name, out var entry) ? ReadScalar(key.Scalar!, entry.Value) : null;

    /// <summary>Reads <paramref name="value"/> as <paramref name="key"/> takes it, as the experiment parser reads values.</summary>
    private string? ReadScalar(KeyDefinition key, YamlValue value)
    {
        if (value is not YamlScalar scalar)
        {
            return Invalid(value, key.Name, key.Expectation);
        }

        if (key.Kind == ValueKind.Text)
        {
            return scalar.IsNull ? string.Empty : scalar.Text;
        }

        if (!scalar.IsPlain || scalar.IsNull)
        {
            return Invalid(value, key.Name, key.Expectation);
        }

        switch (key.Kind)
        {
            case ValueKind.Choice:
                return key.Choices.Contains(scalar.Text) ? scalar.Text : Invalid(value, key.Name, key.Expectation, Hint(scalar.Text, key.Choices));
            case ValueKind.Boolean:
                return scalar.Text switch
                {
                    "true" or "True" or "TRUE" => "true",
                    "false" or "False" or "FALSE" => "false",
                    _ => Invalid(value, key.Name, key.Expectation),
                };
            case ValueKind.Integer:
                return long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) && InRange(key, integer)
                    ? integer.ToString(CultureInfo.InvariantCulture)
                    : Invalid(value, key.Name, key.Expectation);
            default:
                return double.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && !double.IsNaN(number) && !double.IsInfinity(number) && InRange(key, number)
                    ? Number(number)
                    : Invalid(value, key.Name, key.Expectation);
        }
    }

    private static bool InRange(KeyDefinition key, double value) =>
        (key.Minimum is not { } min || (key.MinimumExclusive ? value > min : value >= min))
        && (key.Maximum is not { } max || (key.MaximumExclusive ? value < max : value <= max));

    private static string Number(double value) => (value == 0 ? 0 : value).ToString("R", CultureInfo.InvariantCulture);

    /// <summary><c>train</c> or <c>test</c>: a mapping of the two files for idx, one path for the others.</summary>
    private DatasetSourceSpec? Source(DatasetKey key, string? format)
    {
        if (!keys.TryGetValue(key.Name, out var entry))
        {
            if (key.Required)
            {
                Missing(key, format switch
                {
                    DatasetSchema.Idx => "a mapping {images: <file>, labels: <file>}",
                    DatasetSchema.Images => "a folder with one sub-folder per class",
                    DatasetSchema.Csv => "a CSV file",
                    _ => "the training source",
                });
            }

            return null;
        }

        if (format is null)
        {
            return null;
        }

        if (format != DatasetSchema.Idx)
        {
            var what = format == DatasetSchema.Images ? "a folder with one sub-folder per class, relative to root" : "a CSV file, relative to root";
            return Path(entry.Value, key.Name, what) is { } path ? new DatasetSourceSpec(path, null) : null;
        }

        if (entry.Value is not YamlMap map)
        {
            Invalid(entry.Value, key.Name, "a mapping of the idx files' names, {images: <file>, labels: <file>}");
            return null;
        }

        string? images = null, labels = null;
        foreach (var file in map.Entries)
        {
            if (file.Key is DatasetSchema.ImagesFile or DatasetSchema.LabelsFile)
            {
                var path = Path(file.Value, key.Name + "." + file.Key, $"the {file.Key} file's name without '.gz' (found as name.gz or name)");
                if (path is not null && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                {
                    Invalid(file.Value, key.Name + "." + file.Key, "the file's name without '.gz' (the store looks for name.gz, then name)");
                    path = null;
                }

                if (file.Key == DatasetSchema.ImagesFile)
                {
                    images = path;
                }
                else
                {
                    labels = path;
                }

                continue;
            }

            var names = new[] { DatasetSchema.ImagesFile, DatasetSchema.LabelsFile };
            KeyProblem(file.KeyLocation, key.Name + "." + file.Key, $"is not a file of an idx source{Hint(file.Key, names)}; an idx source names its 'images' and 'labels' files");
        }

        foreach (var needed in new[] { DatasetSchema.ImagesFile, DatasetSchema.LabelsFile }.Where(n => map.Find(n) is null))
        {
            Report(DiagnosticDescriptors.MissingDatasetKey, map.Location, $"Required key '{key.Name}.{needed}' is missing (the {needed} file's name, without '.gz')");
        }

        return images is not null && labels is not null ? new DatasetSourceSpec(images, labels) : null;
    }

    /// <summary>
    /// Reports a test source that is a train source, or lies inside one or holds one (after dropping <c>./</c>,
    /// repeated and trailing slashes; compared case-sensitively): its examples would also be trained on. For idx each
    /// file of <c>test</c> is compared with each of <c>train</c>.
    /// </summary>
    private void Apart()
    {
        var trainPaths = SourceValues(DatasetSchema.Train);
        var testPaths = SourceValues(DatasetSchema.Test);
        foreach (var test in testPaths)
        {
            var testSegments = Segments(test.Path);
            foreach (var train in trainPaths)
            {
                var trainSegments = Segments(train.Path);
                var shorter = Math.Min(testSegments.Length, trainSegments.Length);
                if (!testSegments.Take(shorter).SequenceEqual(trainSegments.Take(shorter), StringComparer.Ordinal))
                {
                    continue;
                }

                var relation = testSegments.Length == trainSegments.Length ? "the same as" : testSegments.Length > trainSegments.Length ? "inside" : "holding";
                var line = train.Value.Location.Line.ToString(CultureInfo.InvariantCulture);
                Invalid(test.Value, test.Name, $"a source apart from the training data, not {relation} {train.Name} '{train.Path}' (line {line}): the split would leak, its test examples being trained on");
                break;
            }
        }
    }

    /// <summary>Each path of source <paramref name="key"/> (one, or an idx source's two files), named as in messages, with its value.</summary>
    private List<(string Path, string Name, YamlValue Value)> SourceValues(DatasetKey key)
    {
        var value = keys[key.Name].Value;
        if (value is YamlMap map)
        {
            return map.Entries
                .Where(e => e.Key is DatasetSchema.ImagesFile or DatasetSchema.LabelsFile && e.Value is YamlScalar)
                .Select(e => (((YamlScalar)e.Value).Text, key.Name + "." + e.Key, e.Value))
                .ToList();
        }

        return value is YamlScalar scalar ? [(scalar.Text, key.Name, value)] : [];
    }

    /// <summary>
    /// A path's segments without <c>.</c> and empty ones (<c>./all//test/</c> is <c>all</c>, <c>test</c>), an
    /// absolute path's first segment <c>/</c>.
    /// </summary>
    private static string[] Segments(string path)
    {
        var segments = path.Split('/').Where(s => s.Length > 0 && s != ".");
        return (path.StartsWith("/", StringComparison.Ordinal) ? segments.Prepend("/") : segments).ToArray();
    }

    private string? Path(YamlValue value, string name, string what)
    {
        if (value is YamlScalar { IsNull: false } scalar && scalar.Text.Trim().Length > 0)
        {
            return scalar.Text;
        }

        return Invalid(value, name, what);
    }

    private List<int>? Shape(string? format)
    {
        if (!keys.TryGetValue(DatasetSchema.Shape.Name, out var entry))
        {
            Missing(DatasetSchema.Shape, "[channels, height, width] for idx and images, [features] for csv");
            return null;
        }

        var expected = format switch
        {
            DatasetSchema.Idx => "[1, height, width] (idx images have one channel)",
            DatasetSchema.Images => "[channels, height, width] with 1 channel (grayscale) or 3 (rgb)",
            DatasetSchema.Csv => "[features] (one number: the feature columns of a row)",
            _ => "a list of positive whole numbers",
        };
        if (entry.Value is not YamlList list || list.Items.Count == 0)
        {
            Invalid(entry.Value, "shape", expected);
            return null;
        }

        var sizes = new List<int>();
        foreach (var item in list.Items)
        {
            if (item is YamlScalar { IsPlain: true } scalar && int.TryParse(scalar.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= DatasetSchema.MaxFeatures)
            {
                sizes.Add(size);
            }
            else
            {
                Invalid(item, "Each size of shape", $"a whole number from 1 to {DatasetSchema.MaxFeatures.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        if (sizes.Count != list.Items.Count)
        {
            return null;
        }

        var fits = format switch
        {
            DatasetSchema.Idx => sizes.Count == 3 && sizes[0] == 1,
            DatasetSchema.Images => sizes.Count == 3 && sizes[0] is 1 or 3,
            DatasetSchema.Csv => sizes.Count == 1,
            _ => true,
        };
        var shown = "[" + string.Join(", ", sizes) + "]";
        if (!fits)
        {
            InvalidShown(list, "shape", expected + $" for a{(format == DatasetSchema.Idx ? "n" : string.Empty)} {format} dataset", shown);
            return null;
        }

        if (sizes.Aggregate(1L, (a, b) => a * b) > DatasetSchema.MaxFeatures)
        {
            InvalidShown(list, "shape", $"a shape of at most {DatasetSchema.MaxFeatures.ToString(CultureInfo.InvariantCulture)} values per example", shown);
            return null;
        }

        return sizes;
    }

    private List<string>? Classes(string? format)
    {
        if (!keys.TryGetValue(DatasetSchema.Classes.Name, out var entry))
        {
            Missing(DatasetSchema.Classes, "a list of class names, or their number");
            return null;
        }

        const string Expected = "a list of at least 2 distinct class names, or their number (at least 2)";
        if (entry.Value is YamlScalar { IsPlain: true, IsNull: false } count)
        {
            if (int.TryParse(count.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 2 and <= DatasetSchema.MaxClasses)
            {
                return Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            }

            Invalid(entry.Value, "classes", $"{Expected}, at most {DatasetSchema.MaxClasses.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        if (entry.Value is not YamlList list || list.Items.Count < 2 || list.Items.Count > DatasetSchema.MaxClasses)
        {
            Invalid(entry.Value, "classes", Expected);
            return null;
        }

        var names = new List<string>();
        var seen = new Dictionary<string, YamlValue>(StringComparer.Ordinal);
        var folders = new Dictionary<string, YamlValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in list.Items)
        {
            if (item is not YamlScalar { IsNull: false } scalar || scalar.Text.Trim().Length == 0)
            {
                Invalid(item, "Each class name", "non-empty text");
                continue;
            }

            if (seen.TryGetValue(scalar.Text, out var first))
            {
                Invalid(item, "Each class name", $"different from the others ('{scalar.Text}' is also at line {first.Location.Line.ToString(CultureInfo.InvariantCulture)})");
                continue;
            }

            if (format == DatasetSchema.Images && !FolderName(scalar, folders))
            {
                continue;
            }

            seen.Add(scalar.Text, item);
            names.Add(scalar.Text);
        }

        return names.Count == list.Items.Count ? names : null;
    }

    /// <summary>
    /// Whether a class name of an images dataset can be its folder's name, one the loader reads; reports why not.
    /// <paramref name="folders"/> holds the names so far, case-insensitively (they clash on such file systems).
    /// </summary>
    private bool FolderName(YamlScalar item, Dictionary<string, YamlValue> folders)
    {
        const string Name = "Each class name of an images dataset";
        var text = item.Text;
        string? problem = null;
        if (text.IndexOfAny(['/', '\\']) >= 0 || text.Any(char.IsControl))
        {
            problem = "a folder's name (no '/', '\\', NUL or other control character)";
        }
        else if (text is "." or "..")
        {
            problem = "a folder's name (not '.' or '..')";
        }
        else if (text.StartsWith(".", StringComparison.Ordinal))
        {
            problem = "a folder's name not starting with '.' (the loader skips hidden entries)";
        }
        else if (DatasetSchema.SkippedFolderNames.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) is { } skipped)
        {
            problem = $"a folder's name other than '{skipped}' (the loader skips it)";
        }
        else if (folders.TryGetValue(text, out var clash))
        {
            problem = $"different from the others in more than case ('{((YamlScalar)clash).Text}' is at line {clash.Location.Line.ToString(CultureInfo.InvariantCulture)}: their folders clash on case-insensitive file systems)";
        }

        if (problem is not null)
        {
            Invalid(item, Name, problem);
            return false;
        }

        folders.Add(text, item);
        return true;
    }

    private string? Color(string? format, List<int>? shape)
    {
        if (format != DatasetSchema.Images)
        {
            return null;
        }

        var color = Scalar(DatasetSchema.Color);
        if (shape is null || shape.Count != 3)
        {
            return color;
        }

        var fromShape = shape[0] == 3 ? "rgb" : "grayscale";
        if (color is not null && color != fromShape)
        {
            return Invalid(keys[DatasetSchema.Color.Name].Value, "color", $"'{fromShape}' for shape [{string.Join(", ", shape)}] ({shape[0].ToString(CultureInfo.InvariantCulture)} channel{(shape[0] == 1 ? string.Empty : "s")}; or change the shape)");
        }

        return fromShape;
    }

    /// <summary>
    /// The canonical <c>prepare</c>: the file's, or the format's default (<c>decode</c> for images, else <c>none</c>).
    /// A preparation that cannot make this dataset's examples is reported at the value: each makes one shape.
    /// </summary>
    private string? Prepare(string? format, List<int>? shape)
    {
        var prepare = Scalar(DatasetSchema.Prepare);
        if (prepare is null || format is null || shape is null)
        {
            return prepare ?? (format == DatasetSchema.Images ? DatasetSchema.PrepareDecode : DatasetSchema.PrepareNone);
        }

        var shown = "[" + string.Join(", ", shape) + "]";
        var problem = prepare switch
        {
            DatasetSchema.PrepareDecode when format != DatasetSchema.Images =>
                $"a preparation for a{(format == DatasetSchema.Idx ? "n" : string.Empty)} {format} dataset ('decode' decodes files as the images loader does, so it is for images datasets only; 'mnist-digit', 'fashion-mnist', 'uci-digits' or 'none')",
            DatasetSchema.PrepareMnistDigit or DatasetSchema.PrepareFashionMnist when !(format == DatasetSchema.Csv ? shape.Count == 1 && shape[0] == 784 : shape.Count == 3 && shape[0] == 1 && shape[1] == 28 && shape[2] == 28) =>
                $"a preparation that makes this dataset's examples, shape {shown} of {format} ('{prepare}' makes 28x28 grey images: idx or images of shape [1, 28, 28], or csv of shape [784] with the pixels row-major)",
            DatasetSchema.PrepareUciDigits when !(format == DatasetSchema.Csv ? shape.Count == 1 && shape[0] == 64 : format == DatasetSchema.Images && shape.Count == 3 && shape[0] == 1 && shape[1] == 8 && shape[2] == 8) =>
                $"a preparation that makes this dataset's examples, shape {shown} of {format} ('uci-digits' makes 8x8 counts of 0-16: csv of shape [64] or images of shape [1, 8, 8])",
            _ => null,
        };
        return problem is null ? prepare : Invalid(keys[DatasetSchema.Prepare.Name].Value, "prepare", problem);
    }

    private (int HeaderLines, int? LabelColumn, string? LabelName, char Separator) CsvOptions(List<int>? shape)
    {
        var result = (HeaderLines: 0, LabelColumn: (int?)null, LabelName: (string?)null, Separator: ',');
        if (!keys.TryGetValue(DatasetSchema.CsvOptions.Name, out var entry))
        {
            return result;
        }

        if (entry.Value is not YamlMap map)
        {
            Invalid(entry.Value, "csv", "a mapping of headerLines, label and separator, e.g. '{headerLines: 1, label: last}'");
            return result;
        }

        foreach (var option in map.Entries.Where(e => !DatasetSchema.CsvKeys.Contains(e.Key)))
        {
            KeyProblem(option.KeyLocation, "csv." + option.Key, $"is not a CSV option{Hint(option.Key, DatasetSchema.CsvKeys)}; the options are: {string.Join(", ", DatasetSchema.CsvKeys)}");
        }

        if (map.Find("headerLines") is { } header && ReadScalar(DatasetSchema.HeaderLines, header.Value) is { } lines)
        {
            result.HeaderLines = int.Parse(lines, CultureInfo.InvariantCulture);
        }

        if (map.Find("separator") is { } separator)
        {
            if (separator.Value is YamlScalar { IsNull: false } scalar && scalar.Text.Length == 1 && scalar.Text[0] is not ('"' or '\r' or '\n'))
            {
                if (DatasetSchema.NumberCharacters.IndexOf(scalar.Text[0]) >= 0)
                {
                    Invalid(separator.Value, "csv.separator", "a character that is not part of a number (not a digit, '.', '-', '+', 'e' or 'E')");
                }
                else
                {
                    result.Separator = scalar.Text[0];
                }
            }
            else
            {
                Invalid(separator.Value, "csv.separator", "one character (quoted: ',' as \",\", a tab as \"\\t\"), not a quote or a line break");
            }
        }

        if (map.Find("label") is { } label)
        {
            if (label.Value is not YamlScalar { IsNull: false } scalar || scalar.Text.Trim().Length == 0)
            {
                Invalid(label.Value, "csv.label", "a 0-based column index, 'first', 'last', or a column name");
            }
            else if (scalar.Text == DatasetSchema.Last)
            {
                result.LabelColumn = null;
            }
            else if (scalar.Text == DatasetSchema.First)
            {
                result.LabelColumn = 0;
            }
            else if (scalar.IsPlain && int.TryParse(scalar.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                var columns = shape is { Count: 1 } ? shape[0] + 1 : (int?)null;
                if (columns is { } count && index >= count)
                {
                    var features = shape![0].ToString(CultureInfo.InvariantCulture);
                    Invalid(label.Value, "csv.label", $"a column of the {count.ToString(CultureInfo.InvariantCulture)} of a row (shape [{features}]: {features} feature{(shape[0] == 1 ? string.Empty : "s")} and the label), a 0-based index from 0 to {(count - 1).ToString(CultureInfo.InvariantCulture)}, 'first', 'last' or a column name");
                }
                else
                {
                    result.LabelColumn = index;
                }
            }
            else if (result.HeaderLines < 1)
            {
                Invalid(label.Value, "csv.label", "a 0-based column index, 'first' or 'last' when headerLines is 0 (a column name needs a header line: set 'headerLines: 1')");
            }
            else
            {
                result.LabelName = scalar.Text;
            }
        }

        return result;
    }

    private List<Sha256Entry> Sha256(DatasetSourceSpec? train, DatasetSourceSpec? test)
    {
        var result = new List<Sha256Entry>();
        if (!keys.TryGetValue(DatasetSchema.Sha256.Name, out var entry))
        {
            return result;
        }

        if (entry.Value is not YamlMap map)
        {
            Invalid(entry.Value, "sha256", "a mapping from each source (as written under train and test) to its SHA-256");
            return result;
        }

        var sources = new[] { train, test }.Where(s => s is not null).SelectMany(s => s!.Paths).Distinct().ToList();
        var sourcesKnown = train is not null && (test is not null || !keys.ContainsKey(DatasetSchema.Test.Name));
        foreach (var hash in map.Entries)
        {
            if (sourcesKnown && !sources.Contains(hash.Key))
            {
                KeyProblem(hash.KeyLocation, "sha256." + hash.Key, $"names no source of this dataset{Hint(hash.Key, sources)}; the sources are: {string.Join(", ", sources)}");
                continue;
            }

            if (hash.Value is YamlScalar { IsNull: false } scalar && Hex.IsMatch(scalar.Text))
            {
                result.Add(new Sha256Entry(hash.Key, scalar.Text));
            }
            else
            {
                Invalid(hash.Value, "sha256." + hash.Key, "64 lower-case hex digits (what sha256sum prints)");
            }
        }

        return result;
    }

    private List<string> Mirrors()
    {
        var result = new List<string>();
        if (!keys.TryGetValue(DatasetSchema.Mirrors.Name, out var entry))
        {
            return result;
        }

        if (entry.Value is not YamlList list)
        {
            Invalid(entry.Value, "mirrors", "a list of absolute http(s) URLs, e.g. '[https://example.org/mnist/]'");
            return result;
        }

        foreach (var item in list.Items)
        {
            if (item is YamlScalar { IsNull: false } scalar
                && Uri.TryCreate(scalar.Text, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                result.Add(scalar.Text);
            }
            else
            {
                Invalid(item, "Each mirror", "an absolute http or https URL");
            }
        }

        return result;
    }

    private string? DebianPackage()
    {
        var package = Scalar(DatasetSchema.DebianPackage);
        if (package is not null && !DebianName.IsMatch(package))
        {
            return Invalid(keys[DatasetSchema.DebianPackage.Name].Value, "debianPackage", "a Debian package name (lower-case letters, digits and + - ., e.g. 'dataset-fashion-mnist')");
        }

        return package;
    }

    private static string Hint(string word, IEnumerable<string> candidates) =>
        EditDistance.Closest(word, candidates) is { } suggestion ? $" (did you mean '{suggestion}'?)" : string.Empty;

    private void Missing(DatasetKey key, string what) =>
        Report(DiagnosticDescriptors.MissingDatasetKey, start, $"Required key '{key.Name}' is missing ({what})");

    private void KeyProblem(SourceLocation location, string key, string problem) =>
        Report(DiagnosticDescriptors.InvalidDatasetKey, location, key, problem);

    /// <summary>Reports an EXP0040 at <paramref name="value"/>: "{name} must be {expectation}, but is {the value}{hint}"; returns null.</summary>
    private string? Invalid(YamlValue value, string name, string expectation, string? hint = null)
    {
        InvalidShown(value, name, expectation, value.Describe() + hint);
        return null;
    }

    private void InvalidShown(YamlValue value, string name, string expectation, string shown) =>
        Report(DiagnosticDescriptors.InvalidDatasetValue, value.Location, name, expectation, shown);

    private void Report(DiagnosticDescriptor descriptor, SourceLocation location, params string[] arguments)
    {
        valid = false;
        diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
    }
}
