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
            ExperimentSchema.Keys.Select(k => k.Name).Append(ModelParser.ModelKey).Append(ExperimentSchema.SweepKey).Order(StringComparer.Ordinal),
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

    [Fact]
    public void Every_layer_type_and_argument_of_the_generators_table_is_in_the_schema()
    {
        var layer = JsonNode.Parse(File.ReadAllText(SchemaPath))!["$defs"]!["layer"]!["oneOf"]!.AsArray();
        var named = layer.Select(l => l!["const"]?.GetValue<string>() ?? l!["required"]![0]!.GetValue<string>()).Distinct().ToList();
        Assert.Equal(LayerTypes.All.Select(t => t.Name), named);
        foreach (var type in LayerTypes.All.Where(t => !t.Arguments.IsEmpty))
        {
            var value = layer.Single(l => l!["required"]?[0]?.GetValue<string>() == type.Name)!["properties"]![type.Name]!;
            var mapping = value["oneOf"] is JsonArray forms ? forms[1]! : value;
            Assert.Equal(type.Arguments.Select(a => a.Name), mapping["properties"]!.AsObject().Select(p => p.Key));
        }
    }

    public static TheoryData<string, bool> Samples => new()
    {
        // Valid for both.
        { GeneratorHarness.ValidYaml, true },
        { GeneratorHarness.ValidYaml + "optimizer: momentum\nmomentum: 0.5\nseed: 3\noutputActivation: softmax\n", true },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: [0.001, 0.01]}", StringComparison.Ordinal) + "sweepLimit: 10\n", true },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [256, 128], activation: gelu, dropout: 0.2, batchNorm: true}}\nsweep:\n  model.mlp.hidden: [[128], [256, 128]]\n  seed: [1, 2]\n", true },
        { GeneratorHarness.ValidYaml + "model:\n  layers:\n    - conv2d: {channels: 8, kernel: 3, stride: 1, padding: 1, bias: false}\n    - batchnorm2d\n    - relu:\n    - maxpool2d: 2\n    - avgpool2d: {kernel: 2, stride: 2, padding: 1}\n    - flatten\n    - dropout: {p: 0.5}\n    - linear: {features: 32, bias: false}\n    - batchnorm1d\n    - tanh\n    - linear: 10\n", true },
        { GeneratorHarness.ValidYaml + "sweep: {model: [{mlp: {hidden: [64]}}, {layers: [flatten, {linear: 10}]}]}\n", true },
        { GeneratorHarness.ValidYaml + "model: {layers: [{conv2d: {channels: 4, kernel: 3}}, flatten, {linear: 10}]}\nsweep: {model.layers.0.conv2d.channels: [4, 8]}\n", true },
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
        { GeneratorHarness.ValidYaml.Replace("dataset: mnist", "dataset: 42", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("dataset: mnist", "dataset: digits-csv", StringComparison.Ordinal).Replace("inputSize: 784\n", string.Empty, StringComparison.Ordinal), true },
        { string.Join("\n", GeneratorHarness.ValidLines.Where(l => !l.StartsWith("inputSize", StringComparison.Ordinal) && !l.StartsWith("numClasses", StringComparison.Ordinal))) + "\n", true },
        { GeneratorHarness.ValidYaml + "momentum: 1\n", false },
        { GeneratorHarness.ValidYaml + "sweepLimit: [1, 2]\n", false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "learningRate: [0.001, 0.01]", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: []}", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: [0.1, 0.1]}", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRat: [0.1, 0.2]}", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml.Replace("learningRate: 0.001", "sweep: {learningRate: 0.1}", StringComparison.Ordinal), false },
        { GeneratorHarness.ValidYaml + "sweep: {description: [a, b]}\n", false },
        { GeneratorHarness.ValidYaml + "sweep: {}\n", false },
        { GeneratorHarness.ValidYaml + "model: {}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64]}, layers: [flatten, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64]}, args: {a: 1}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: []}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64], activation: rlu}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64], dropout: 1}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {hidden: [64], width: 3}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {mlp: {activation: relu}}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: []}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {lienar: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {linear: 0}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {linear: {features: 10, size: 3}}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [{conv2d: 4}, flatten, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [{conv2d: {channels: 4}}, flatten, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [{conv2d: {channels: 4, kernel: 0}}, flatten, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [{maxpool2d: {kernel: 2, padding: -1}}, flatten, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {dropout: 1}, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {relu: 3}, {linear: 10}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, {linear: 10, relu: null}]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {layers: [flatten, linear]}\n", false },
        { GeneratorHarness.ValidYaml + "model: {class: \"\"}\n", false },
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
