using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Generators.Model;

namespace Experiments.Generators.Tests.Schema;

/// <summary>
/// Builds the JSON Schema of experiment files from the generator's own key table, so the checked-in
/// <c>experiments/experiment.schema.json</c> can be compared with it (and regenerated from it).
/// </summary>
internal static class ExperimentJsonSchema
{
    public const string FileName = "experiment.schema.json";

    public static JsonObject Build()
    {
        var properties = new JsonObject();
        foreach (var key in ExperimentSchema.Keys)
        {
            properties[key.Name] = Property(key);
        }

        var required = ExperimentSchema.Keys.Where(k => k.Required).Select(k => (JsonNode)k.Name).ToArray();
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://github.com/experiments-dotnet/experiments/blob/main/experiments/" + FileName,
            ["title"] = "Experiment",
            ["description"] =
                "One experiment of the Experiments framework: a YAML file under experiments/ that the source generator turns into C# at build time. "
                + "A key holding a list sweeps it (one experiment per combination). A file whose name starts with '_' is only a base for 'extends' and need not set the required keys.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
            ["anyOf"] = new JsonArray(
                new JsonObject { ["required"] = new JsonArray(required) },
                new JsonObject { ["required"] = new JsonArray("extends") }),
        };
    }

    /// <summary>The schema text as checked in: two-space indents, a final newline.</summary>
    public static string ToText(JsonNode schema) =>
        schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

    private static JsonObject Property(KeyDefinition key)
    {
        var single = Single(key);
        var property = new JsonObject { ["description"] = key.Summary };
        if (key.Default is not null)
        {
            property["default"] = Default(key);
        }

        if (!key.Sweepable)
        {
            foreach (var (name, node) in single)
            {
                property[name] = node?.DeepClone();
            }

            return property;
        }

        property["anyOf"] = new JsonArray(
            single,
            new JsonObject
            {
                ["type"] = "array",
                ["description"] = "A sweep: one experiment per value.",
                ["items"] = single.DeepClone(),
                ["minItems"] = 1,
                ["uniqueItems"] = true,
            });
        return property;
    }

    private static JsonObject Single(KeyDefinition key)
    {
        var schema = new JsonObject();
        switch (key.Kind)
        {
            case ValueKind.Integer:
            case ValueKind.Number:
                schema["type"] = key.Kind == ValueKind.Integer ? "integer" : "number";
                if (key.Minimum is { } min)
                {
                    schema[key.MinimumExclusive ? "exclusiveMinimum" : "minimum"] = Number(min);
                }

                if (key.Maximum is { } max)
                {
                    schema[key.MaximumExclusive ? "exclusiveMaximum" : "maximum"] = Number(max);
                }

                break;
            case ValueKind.Boolean:
                schema["type"] = "boolean";
                break;
            case ValueKind.Choice:
                schema["enum"] = new JsonArray(key.Choices.Select(c => (JsonNode)c).ToArray());
                break;
            case ValueKind.Text when key == ExperimentSchema.Extends:
                schema["type"] = "string";
                schema["pattern"] = "\\.ya?ml$";
                break;
            default:
                // Free text: YAML reads an unquoted 42 or true as a number or boolean, which the generator takes as text.
                schema["type"] = new JsonArray("string", "number", "boolean", "null");
                break;
        }

        return schema;
    }

    private static JsonNode Default(KeyDefinition key) => key.Kind switch
    {
        ValueKind.Integer => JsonValue.Create(long.Parse(key.Default!, CultureInfo.InvariantCulture)),
        ValueKind.Number => JsonValue.Create(double.Parse(key.Default!, CultureInfo.InvariantCulture)),
        ValueKind.Boolean => JsonValue.Create(key.Default == "true"),
        _ => JsonValue.Create(key.Default!),
    };

    private static JsonNode Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? JsonValue.Create((long)value) : JsonValue.Create(value);
}
