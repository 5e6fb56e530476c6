using System.Text.Json;
using Experiments.Data;

namespace Experiments.Checkpoints;

/// <summary>A <see cref="DatasetDescription"/> as JSON: the keys of its YAML file, for a checkpoint's <c>config.json</c>.</summary>
internal static class DatasetDescriptionJson
{
    public static void Write(Utf8JsonWriter writer, DatasetDescription d)
    {
        writer.WriteStartObject();
        writer.WriteString("name", d.Name);
        writer.WriteString("description", d.Description);
        writer.WriteString("sourceFile", d.SourceFile);
        writer.WriteString("format", d.Format.ToString().ToLowerInvariant());
        writer.WriteString("root", d.Root);
        writer.WriteStartArray("shape");
        foreach (var dimension in d.Shape)
        {
            writer.WriteNumberValue(dimension);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("classes");
        foreach (var name in d.ClassNames)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        WriteSource(writer, "train", d.Train);
        if (d.Test is { } test)
        {
            WriteSource(writer, "test", test);
        }

        writer.WriteNumber("testFraction", d.TestFraction);
        writer.WriteNumber("splitSeed", d.SplitSeed);

        writer.WriteNumber("divideBy", d.InputDivisor);
        if (d.Csv is { } csv)
        {
            writer.WriteStartObject("csv");
            writer.WriteNumber("headerLines", csv.HeaderLines);
            if (csv.LabelColumnName is { } labelName)
            {
                writer.WriteString("label", labelName);
            }
            else if (csv.LabelColumn is { } labelColumn)
            {
                writer.WriteNumber("label", labelColumn);
            }

            writer.WriteString("separator", csv.Separator.ToString());
            writer.WriteEndObject();
        }

        if (d.Images is { } images)
        {
            writer.WriteString("color", images.Color == ImageColor.Rgb ? "rgb" : "grayscale");
            writer.WriteBoolean("resize", images.Resize);
        }

        writer.WriteString("prepare", PrepareName(d.Prepare));
        writer.WriteStartObject("sha256");
        foreach (var (file, sha) in d.Sha256.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(file, sha);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("mirrors");
        foreach (var mirror in d.Mirrors)
        {
            writer.WriteStringValue(mirror.AbsoluteUri);
        }

        writer.WriteEndArray();
        writer.WriteString("debianPackage", d.DebianPackage);
        writer.WriteString("descriptionSha256", d.DescriptionSha256);
        writer.WriteEndObject();
    }

    public static DatasetDescription Read(JsonElement e)
    {
        var formatText = JsonKeys.Required(e, "format").GetString();
        var format = Enum.TryParse<DatasetFormat>(formatText, ignoreCase: true, out var known) && Enum.IsDefined(known)
            ? known
            : throw new FormatException($"unknown dataset format '{formatText}'");
        CsvOptions? csv = null;
        if (e.TryGetProperty("csv", out var c))
        {
            var label = c.TryGetProperty("label", out var l) ? l : default;
            csv = new CsvOptions
            {
                HeaderLines = JsonKeys.Required(c, "headerLines").GetInt32(),
                LabelColumn = label.ValueKind == JsonValueKind.Number ? label.GetInt32() : null,
                LabelColumnName = label.ValueKind == JsonValueKind.String ? label.GetString() : null,
                Separator = (JsonKeys.Required(c, "separator").GetString() is [var separator] ? separator : throw new FormatException("csv.separator is not one character")),
            };
        }

        ImageOptions? images = e.TryGetProperty("color", out var color)
            ? new ImageOptions
            {
                Color = color.GetString() switch
                {
                    "rgb" => ImageColor.Rgb,
                    "grayscale" => ImageColor.Grayscale,
                    var other => throw new FormatException($"unknown image color '{other}' (rgb or grayscale)"),
                },
                Resize = e.TryGetProperty("resize", out var resize) && resize.GetBoolean(),
            }
            : null;
        var read = new DatasetDescription
        {
            Name = JsonKeys.Required(e, "name").GetString() ?? throw new FormatException("the dataset's name is null"),
            Description = e.TryGetProperty("description", out var description) ? description.GetString() ?? "" : "",
            SourceFile = e.TryGetProperty("sourceFile", out var sourceFile) ? sourceFile.GetString() ?? "" : "",
            Format = format,
            Root = JsonKeys.Required(e, "root").GetString() ?? "",
            Shape = JsonKeys.Required(e, "shape").EnumerateArray().Select(s => s.GetInt32()).ToArray(),
            ClassNames = JsonKeys.Required(e, "classes").EnumerateArray().Select(n => n.GetString() ?? "").ToArray(),
            Train = ReadSource(JsonKeys.Required(e, "train")),
            Test = e.TryGetProperty("test", out var test) ? ReadSource(test) : null,
            TestFraction = e.TryGetProperty("testFraction", out var fraction) ? fraction.GetDouble() : 0,
            SplitSeed = e.TryGetProperty("splitSeed", out var seed) ? seed.GetInt32() : 0,
            InputDivisor = JsonKeys.Required(e, "divideBy").GetDouble(),
            Csv = csv,
            Images = images,
            Sha256 = e.TryGetProperty("sha256", out var sha)
                ? sha.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal),
            Mirrors = e.TryGetProperty("mirrors", out var mirrors) ? mirrors.EnumerateArray().Select(m => new Uri(m.GetString() ?? "")).ToArray() : [],
            DebianPackage = e.TryGetProperty("debianPackage", out var package) ? package.GetString() : null,
            DescriptionSha256 = e.TryGetProperty("descriptionSha256", out var descriptionSha) ? descriptionSha.GetString() : null,
        };

        // A config written before prepare existed keeps the format's default, as a dataset file without the key.
        return e.TryGetProperty("prepare", out var prepare) ? read with { Prepare = ReadPrepare(prepare.GetString()) } : read;
    }

    /// <summary>The <c>prepare</c> value of a dataset file: <c>mnist-digit</c> for <see cref="ImagePreparation.MnistDigit"/>.</summary>
    public static string PrepareName(ImagePreparation preparation) => preparation switch
    {
        ImagePreparation.MnistDigit => "mnist-digit",
        ImagePreparation.FashionMnist => "fashion-mnist",
        ImagePreparation.UciDigits => "uci-digits",
        _ => preparation.ToString().ToLowerInvariant(),
    };

    private static ImagePreparation ReadPrepare(string? name) =>
        Enum.GetValues<ImagePreparation>().FirstOrDefault(p => PrepareName(p) == name) is var known && PrepareName(known) == name
            ? known
            : throw new FormatException($"unknown dataset preparation '{name}'");

    private static void WriteSource(Utf8JsonWriter writer, string name, DatasetSource source)
    {
        writer.WriteStartObject(name);
        writer.WriteString("path", source.Path);
        if (source.Labels is { } labels)
        {
            writer.WriteString("labels", labels);
        }

        writer.WriteEndObject();
    }

    private static DatasetSource ReadSource(JsonElement e) =>
        new(JsonKeys.Required(e, "path").GetString() ?? throw new FormatException("a source's path is null"), e.TryGetProperty("labels", out var labels) ? labels.GetString() : null);
}
