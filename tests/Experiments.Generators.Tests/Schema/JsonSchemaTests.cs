using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Generators.Model;
using Experiments.Generators.Tests.Infrastructure;
using Json.Schema;

namespace Experiments.Generators.Tests.Schema;

/// <summary>
/// <c>experiments/experiment.schema.json</c> lets editors complete and check experiment files as they are typed.
/// It must say exactly what the generator accepts: these tests hold the two together.
/// </summary>
public sealed class JsonSchemaTests
{
    private const string UpdateVariable = "EXPERIMENTS_UPDATE_SCHEMA";

    private static readonly string SchemaPath = Path.Combine(RepositoryPaths.ExperimentsDirectory, ExperimentJsonSchema.FileName);

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(File.ReadAllText(SchemaPath)));

    [Fact]
    public void The_checked_in_schema_is_the_one_the_generators_key_table_describes()
    {
        var expected = ExperimentJsonSchema.Build();
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(SchemaPath, ExperimentJsonSchema.ToText(expected));
        }

        Assert.True(File.Exists(SchemaPath), $"{SchemaPath} is missing; run the tests with {UpdateVariable}=1 to write it");
        var actual = JsonNode.Parse(File.ReadAllText(SchemaPath));
        Assert.True(
            JsonNode.DeepEquals(expected, actual),
            $"{SchemaPath} differs from the generator's key table; run `{UpdateVariable}=1 dotnet test tests/Experiments.Generators.Tests --filter JsonSchemaTests` and commit the file.\nExpected:\n{ExperimentJsonSchema.ToText(expected)}");
    }

    [Fact]
    public void Every_key_the_generator_accepts_is_in_the_schema_and_no_other()
    {
        var properties = JsonNode.Parse(File.ReadAllText(SchemaPath))!["properties"]!.AsObject();
        Assert.Equal(
            ExperimentSchema.Keys.Select(k => k.Name).Order(StringComparer.Ordinal),
            properties.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.All(properties, p => Assert.False(string.IsNullOrWhiteSpace(p.Value!["description"]?.GetValue<string>()), p.Key + " has no description"));
    }

    [Fact]
    public void Every_shipped_experiment_validates_and_points_editors_at_the_schema()
    {
        var files = RepositoryPaths.ShippedExperimentFiles();
        Assert.NotEmpty(files);
        foreach (var path in files)
        {
            var text = File.ReadAllText(path);
            Assert.StartsWith("# yaml-language-server: $schema=experiment.schema.json\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
            var result = Validate(text);
            Assert.True(result.IsValid, $"{path} does not validate: {Errors(result)}");
        }
    }

    public static TheoryData<string, bool> Samples => new()
    {
        // Valid for both.
        { GeneratorHarness.ValidYaml, true },
        { GeneratorHarness.ValidYaml + "optimizer: momentum\nmomentum: 0.5\nseed: 3\noutputActivation: softmax\n", true },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: [0.001, 0.01]", StringComparison.Ordinal) + "sweepLimit: 10\n", true },
        { GeneratorHarness.ValidYaml + "seed: 42\n", true },
        { GeneratorHarness.ValidYaml.Replace("description: test experiment", "description: 42", StringComparison.Ordinal), true },
        { "extends: base.yaml\nepochs: 3\n", true },

        // Invalid for both.
        { GeneratorHarness.ValidYaml + "learingRate: 0.1\n", false },
        { GeneratorHarness.ValidYaml.Replace("epochs: 5", "epochs: 0", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("epochs: 5", "epochs: 2.5", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: fast", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: 0", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: []", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: [0.1, 0.1]", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("dataset: mnist", "dataset: cifar", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml + "momentum: 1\n", false },
        { GeneratorHarness.ValidYaml + "sweepLimit: [1, 2]\n", false },
        { string.Join("\n", GeneratorHarness.ValidLines.Where(l => !l.StartsWith("epochs", StringComparison.Ordinal))) + "\n", false },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_schema_and_the_generator_agree_on_samples(string yaml, bool valid)
    {
        var schemaResult = Validate(yaml);
        Assert.True(valid == schemaResult.IsValid, $"The schema says {(schemaResult.IsValid ? "valid" : "invalid: " + Errors(schemaResult))}");

        var files = new List<InMemoryAdditionalText> { GeneratorHarness.File("sample.yaml", yaml) };
        if (yaml.StartsWith("extends: base.yaml", StringComparison.Ordinal))
        {
            files.Add(GeneratorHarness.File("base.yaml", GeneratorHarness.ValidYaml));
        }

        var diagnostics = GeneratorHarness.Run([.. files]).AssertGeneratorDidNotThrow();
        Assert.True(valid == diagnostics.IsEmpty, "The generator says: " + string.Join("; ", diagnostics));
    }

    private static EvaluationResults Validate(string yaml)
    {
        var json = YamlToJson.Convert(yaml);
        return Schema.Value.Evaluate(JsonSerializer.SerializeToElement(json), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}
