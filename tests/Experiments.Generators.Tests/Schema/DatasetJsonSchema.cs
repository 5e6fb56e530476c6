using System.Globalization;
using System.Text.Json.Nodes;
using Experiments.Generators.Model;

namespace Experiments.Generators.Tests.Schema;

/// <summary>
/// Builds the JSON Schema of dataset files from the generator's own key table (<see cref="DatasetSchema"/>), so the
/// checked-in <c>datasets/dataset.schema.json</c> can be compared with it (and regenerated from it).
/// </summary>
internal static class DatasetJsonSchema
{
    public const string FileName = "dataset.schema.json";

    public static JsonObject Build()
    {
        var properties = new JsonObject();
        foreach (var key in DatasetSchema.Keys)
        {
            var property = new JsonObject { ["description"] = key.Summary };
            if (key.Scalar?.Default is { Length: > 0 } value)
            {
                property["default"] = key.Scalar.Kind switch
                {
                    ValueKind.Integer => JsonValue.Create(long.Parse(value, CultureInfo.InvariantCulture)),
                    ValueKind.Boolean => JsonValue.Create(value == "true"),
                    _ => JsonValue.Create(value),
                };
            }

            foreach (var (name, node) in Value(key))
            {
                property[name] = node?.DeepClone();
            }

            properties[key.Name] = property;
        }

        // Per format: the keys that do not apply are refused, and train and test take the format's form.
        var formats = new JsonArray();
        foreach (var format in DatasetSchema.FormatNames)
        {
            var then = new JsonObject();
            foreach (var key in DatasetSchema.Keys.Where(k => !k.AppliesTo(format)))
            {
                then[key.Name] = false;
            }

            var source = format == DatasetSchema.Idx ? IdxSource() : Path();
            then[DatasetSchema.Train.Name] = source.DeepClone();
            then[DatasetSchema.Test.Name] = source.DeepClone();
            formats.Add(new JsonObject
            {
                ["if"] = new JsonObject
                {
                    ["required"] = new JsonArray(DatasetSchema.Format.Name),
                    ["properties"] = new JsonObject { [DatasetSchema.Format.Name] = new JsonObject { ["const"] = format } },
                },
                ["then"] = new JsonObject { ["properties"] = then },
            });
        }

        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://github.com/experiments-dotnet/experiments/blob/main/datasets/" + FileName,
            ["title"] = "Dataset",
            ["description"] =
                "One dataset of the Experiments framework: a YAML file datasets/<name>.yaml that the source generator checks and turns into Experiments.Generated.DatasetCatalog.<Name> at build time. "
                + "Experiments name it in their 'dataset' key.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
            ["required"] = new JsonArray(DatasetSchema.Keys.Where(k => k.Required).Select(k => (JsonNode)k.Name).ToArray()),
            ["oneOf"] = new JsonArray(
                new JsonObject { ["required"] = new JsonArray(DatasetSchema.Test.Name) },
                new JsonObject { ["required"] = new JsonArray(DatasetSchema.TestFraction.Name) }),
            ["dependentRequired"] = new JsonObject { [DatasetSchema.SplitSeed.Name] = new JsonArray(DatasetSchema.TestFraction.Name) },
            ["allOf"] = formats,
        };
    }

    private static JsonObject Value(DatasetKey key)
    {
        if (key == DatasetSchema.Train || key == DatasetSchema.Test)
        {
            return new JsonObject { ["oneOf"] = new JsonArray(Path(), IdxSource()) };
        }

        if (key == DatasetSchema.Shape)
        {
            return new JsonObject
            {
                ["type"] = "array",
                ["minItems"] = 1,
                ["maxItems"] = 3,
                ["items"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = DatasetSchema.MaxFeatures },
            };
        }

        if (key == DatasetSchema.Classes)
        {
            return new JsonObject
            {
                ["oneOf"] = new JsonArray(
                    new JsonObject { ["type"] = "integer", ["minimum"] = 2, ["maximum"] = DatasetSchema.MaxClasses },
                    new JsonObject
                    {
                        ["type"] = "array",
                        ["minItems"] = 2,
                        ["maxItems"] = DatasetSchema.MaxClasses,
                        ["uniqueItems"] = true,
                        ["items"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean"), ["pattern"] = "\\S" },
                    }),
            };
        }

        if (key == DatasetSchema.CsvOptions)
        {
            return new JsonObject
            {
                ["type"] = "object",
                ["additionalProperties"] = false,
                ["properties"] = new JsonObject
                {
                    ["headerLines"] = new JsonObject { ["description"] = DatasetSchema.HeaderLines.Summary, ["default"] = 0, ["type"] = "integer", ["minimum"] = 0, ["maximum"] = 1_000_000 },
                    ["label"] = new JsonObject
                    {
                        ["description"] = "The label column: a 0-based index, 'first', 'last' (the default), or a column name (needs headerLines >= 1).",
                        ["default"] = DatasetSchema.Last,
                        ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "integer", ["minimum"] = 0 }, new JsonObject { ["type"] = "string", ["pattern"] = "\\S" }),
                    },
                    ["separator"] = new JsonObject { ["description"] = "The cell separator: one character.", ["default"] = ",", ["type"] = "string", ["minLength"] = 1, ["maxLength"] = 1 },
                },
            };
        }

        if (key == DatasetSchema.Sha256)
        {
            return new JsonObject
            {
                ["type"] = "object",
                ["additionalProperties"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9a-f]{64}$" },
            };
        }

        if (key == DatasetSchema.Mirrors)
        {
            return new JsonObject
            {
                ["type"] = "array",
                ["items"] = new JsonObject { ["type"] = "string", ["pattern"] = "^https?://[^\\s]+$" },
            };
        }

        if (key == DatasetSchema.DebianPackage)
        {
            return new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z0-9][a-z0-9+.-]+$" };
        }

        var scalar = key.Scalar!;
        var schema = new JsonObject();
        switch (scalar.Kind)
        {
            case ValueKind.Choice:
                schema["enum"] = new JsonArray(scalar.Choices.Select(c => (JsonNode)c).ToArray());
                break;
            case ValueKind.Boolean:
                schema["type"] = "boolean";
                break;
            case ValueKind.Integer:
            case ValueKind.Number:
                schema["type"] = scalar.Kind == ValueKind.Integer ? "integer" : "number";
                if (scalar.Minimum is { } min)
                {
                    schema[scalar.MinimumExclusive ? "exclusiveMinimum" : "minimum"] = (long)min;
                }

                if (scalar.Maximum is { } max)
                {
                    schema[scalar.MaximumExclusive ? "exclusiveMaximum" : "maximum"] = (long)max;
                }

                break;
            default:
                schema["type"] = key == DatasetSchema.Root ? "string" : new JsonArray("string", "number", "boolean", "null");
                if (key == DatasetSchema.Root)
                {
                    schema["pattern"] = "\\S";
                }

                break;
        }

        return schema;
    }

    private static JsonObject Path() => new() { ["type"] = "string", ["pattern"] = "\\S" };

    private static JsonObject IdxSource() => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["required"] = new JsonArray(DatasetSchema.ImagesFile, DatasetSchema.LabelsFile),
        ["properties"] = new JsonObject
        {
            [DatasetSchema.ImagesFile] = new JsonObject { ["description"] = "The images file's name, without '.gz'.", ["type"] = "string", ["pattern"] = "\\S(?<!\\.gz)$" },
            [DatasetSchema.LabelsFile] = new JsonObject { ["description"] = "The labels file's name, without '.gz'.", ["type"] = "string", ["pattern"] = "\\S(?<!\\.gz)$" },
        },
    };
}
