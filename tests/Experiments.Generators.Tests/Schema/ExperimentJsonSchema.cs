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

        properties[ModelParser.ModelKey] = new JsonObject
        {
            ["description"] = "The model: 'mlp' (a multi-layer perceptron), 'layers' (a stack of layers, shapes inferred from the dataset's image) or 'class' (your own module). Without it, one linear layer from inputSize to numClasses.",
            ["$ref"] = "#/$defs/model",
        };
        properties[ExperimentSchema.SweepKey] = Sweep();

        // A required key may be set in the file, or swept.
        var required = ExperimentSchema.Keys.Where(k => k.Required).Select(k => (JsonNode)new JsonObject
        {
            ["anyOf"] = new JsonArray(
                new JsonObject { ["required"] = new JsonArray(k.Name) },
                new JsonObject
                {
                    ["required"] = new JsonArray(ExperimentSchema.SweepKey),
                    ["properties"] = new JsonObject { [ExperimentSchema.SweepKey] = new JsonObject { ["required"] = new JsonArray(k.Name) } },
                }),
        }).ToArray();
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "https://github.com/experiments-dotnet/experiments/blob/main/experiments/" + FileName,
            ["title"] = "Experiment",
            ["description"] =
                "One experiment of the Experiments framework: a YAML file under experiments/ that the source generator turns into C# at build time. "
                + "The 'sweep' block lists values to try (one experiment per combination). A file whose name starts with '_' is only a base for 'extends' and need not set the required keys.",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
            ["anyOf"] = new JsonArray(
                new JsonObject { ["allOf"] = new JsonArray(required) },
                new JsonObject { ["required"] = new JsonArray("extends") }),
            ["$defs"] = new JsonObject
            {
                ["model"] = Model(),
                ["layer"] = Layer(),
            },
        };
    }

    /// <summary>The <c>model</c> mapping: one of mlp, layers or class (with its args), from the generator's tables.</summary>
    private static JsonObject Model()
    {
        var mlp = Arguments(ModelParser.MlpArguments);
        mlp["description"] = "A multi-layer perceptron: flatten, then per hidden width a linear layer, [batch norm], the activation, [dropout]; then a linear layer to numClasses.";
        return new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = new JsonObject
            {
                [ModelParser.Mlp] = mlp,
                [ModelParser.Layers] = new JsonObject
                {
                    ["description"] = "The layers in forward order; each is a type ('- relu') or a type with its arguments ('- conv2d: { channels: 32, kernel: 3 }'). The last must output numClasses.",
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["maxItems"] = ModelParser.MaxLayers,
                    ["items"] = new JsonObject { ["$ref"] = "#/$defs/layer" },
                },
                [ModelParser.Class] = new JsonObject
                {
                    ["description"] = "Your own module's class, e.g. 'MyNet' or 'MyProject.Models.MyNet'.",
                    ["type"] = "string",
                    ["pattern"] = "\\S",
                },
                [ModelParser.Args] = new JsonObject
                {
                    ["description"] = "The arguments of the class's constructor, by name.",
                    ["type"] = "object",
                },
            },
            ["oneOf"] = new JsonArray(
                new JsonObject { ["required"] = new JsonArray(ModelParser.Mlp) },
                new JsonObject { ["required"] = new JsonArray(ModelParser.Layers) },
                new JsonObject { ["required"] = new JsonArray(ModelParser.Class) }),
            ["dependentRequired"] = new JsonObject { [ModelParser.Args] = new JsonArray(ModelParser.Class) },
        };
    }

    /// <summary>One item of <c>model.layers</c>: one alternative per layer type of <see cref="LayerTypes.All"/>.</summary>
    private static JsonObject Layer()
    {
        var alternatives = new JsonArray();
        foreach (var type in LayerTypes.All)
        {
            if (type.Arguments.IsEmpty)
            {
                // '- relu', or '- relu:' with nothing (or an empty mapping) under it.
                alternatives.Add(new JsonObject { ["description"] = type.Summary, ["const"] = type.Name });
                alternatives.Add(Keyed(type, new JsonObject { ["type"] = new JsonArray("null", "object"), ["additionalProperties"] = false }));
                continue;
            }

            var arguments = Arguments(type.Arguments);
            var value = type.Primary is { } primary
                ? new JsonObject { ["oneOf"] = new JsonArray(Argument(type.Arguments.Single(a => a.Name == primary)), arguments) }
                : arguments;
            alternatives.Add(Keyed(type, value));
        }

        return new JsonObject { ["oneOf"] = alternatives };
    }

    private static JsonObject Keyed(LayerType type, JsonObject value) => new()
    {
        ["description"] = type.Summary,
        ["type"] = "object",
        ["required"] = new JsonArray(type.Name),
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject { [type.Name] = value },
    };

    /// <summary>A mapping of arguments; those without a default are required (but a pooling stride defaults to its kernel).</summary>
    private static JsonObject Arguments(IEnumerable<ArgumentDefinition> definitions)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var definition in definitions)
        {
            properties[definition.Name] = Argument(definition);
            if (definition.Default is null && definition.Name != "stride")
            {
                required.Add(definition.Name);
            }
        }

        var schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = properties };
        if (required.Count > 0)
        {
            schema["required"] = required;
        }

        return schema;
    }

    /// <summary>One argument's values: the ranges of <c>ModelParser.ReadArgument</c> (the agreement samples check them).</summary>
    private static JsonObject Argument(ArgumentDefinition definition)
    {
        var schema = definition.Kind switch
        {
            ArgumentKind.Size => Integer(1, 1_000_000),
            ArgumentKind.Kernel => Integer(1, 1_000),
            ArgumentKind.Padding => Integer(0, 1_000),
            ArgumentKind.Probability => new JsonObject { ["type"] = "number", ["minimum"] = 0, ["exclusiveMaximum"] = 1 },
            ArgumentKind.Boolean => new JsonObject { ["type"] = "boolean" },
            ArgumentKind.Activation => new JsonObject { ["enum"] = new JsonArray(Enum.GetNames<ActivationFunction>().Select(n => (JsonNode)n.ToLowerInvariant()).ToArray()) },
            _ => new JsonObject { ["type"] = "array", ["minItems"] = 1, ["maxItems"] = ModelParser.MaxLayers, ["items"] = Integer(1, 1_000_000) },
        };
        var described = new JsonObject { ["description"] = definition.Summary };
        if (definition.Default is not null)
        {
            described["default"] = definition.Kind switch
            {
                ArgumentKind.Boolean => JsonValue.Create(definition.Default == "true"),
                ArgumentKind.Probability => Number(double.Parse(definition.Default, CultureInfo.InvariantCulture)),
                ArgumentKind.Activation => JsonValue.Create(definition.Default),
                _ => JsonValue.Create(long.Parse(definition.Default, CultureInfo.InvariantCulture)),
            };
        }

        foreach (var (name, node) in schema)
        {
            described[name] = node?.DeepClone();
        }

        return described;
    }

    private static JsonObject Integer(int minimum, int maximum) => new() { ["type"] = "integer", ["minimum"] = minimum, ["maximum"] = maximum };

    /// <summary>The <c>sweep</c> block: sweepable keys and paths into the model, each with a non-empty list of values.</summary>
    private static JsonObject Sweep()
    {
        var properties = new JsonObject();
        foreach (var key in ExperimentSchema.Keys.Where(k => k.Sweepable))
        {
            properties[key.Name] = List(Single(key), $"The values of '{key.Name}' to try.");
        }

        properties[ModelParser.ModelKey] = List(new JsonObject { ["$ref"] = "#/$defs/model" }, "Whole models to try.");
        return new JsonObject
        {
            ["description"] = "The values to try: one experiment per combination, named after the swept values (lr-sweep/learningRate=0.01). A key is a key of this file, or a path into the model such as 'model.mlp.hidden' or 'model.layers.0.conv2d.channels'; a key set in the file cannot also be swept.",
            ["type"] = "object",
            ["minProperties"] = 1,
            ["properties"] = properties,
            ["patternProperties"] = new JsonObject
            {
                ["^model(\\.[^.]+)+$"] = List(new JsonObject(), "Values to put at this path of the model (checked once put in)."),
            },
            ["additionalProperties"] = false,
        };
    }

    private static JsonObject List(JsonObject items, string description) => new()
    {
        ["description"] = description,
        ["type"] = "array",
        ["items"] = items,
        ["minItems"] = 1,
        ["maxItems"] = ExperimentSchema.MaxSweepValues,
        ["uniqueItems"] = true,
    };

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

        foreach (var (name, node) in single)
        {
            property[name] = node?.DeepClone();
        }

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
            case ValueKind.Text when key == ExperimentSchema.Dataset:
                // Any described dataset: the name of a file datasets/<name>.yaml, which the build checks.
                schema["type"] = "string";
                schema["minLength"] = 1;
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
