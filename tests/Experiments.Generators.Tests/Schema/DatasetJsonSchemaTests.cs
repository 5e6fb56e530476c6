using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Generators.Model;
using Experiments.Generators.Tests.Infrastructure;
using Json.Schema;

namespace Experiments.Generators.Tests.Schema;

/// <summary><c>datasets/dataset.schema.json</c> says what the generator accepts in a dataset file: these tests hold the two together.</summary>
public sealed class DatasetJsonSchemaTests
{
    private const string UpdateVariable = "EXPERIMENTS_UPDATE_SCHEMA";

    private static readonly string SchemaPath = Path.Combine(RepositoryPaths.Root, "datasets", DatasetJsonSchema.FileName);

    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(JsonSerializer.Serialize(DatasetJsonSchema.Build())));

    [Fact]
    public void The_checked_in_schema_is_the_one_the_generators_key_table_describes()
    {
        var expected = DatasetJsonSchema.Build();
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(SchemaPath, ExperimentJsonSchema.ToText(expected));
        }

        Assert.True(File.Exists(SchemaPath), $"{SchemaPath} is missing; run the tests with {UpdateVariable}=1 to write it");
        Assert.True(
            JsonNode.DeepEquals(expected, JsonNode.Parse(File.ReadAllText(SchemaPath))),
            $"{SchemaPath} differs from the generator's key table; run `{UpdateVariable}=1 dotnet test tests/Experiments.Generators.Tests --filter DatasetJsonSchemaTests` and commit the file.\nExpected:\n{ExperimentJsonSchema.ToText(expected)}");
    }

    [Fact]
    public void Every_key_the_generator_accepts_is_in_the_schema_and_no_other()
    {
        var properties = DatasetJsonSchema.Build()["properties"]!.AsObject();
        Assert.Equal(DatasetSchema.Keys.Select(k => k.Name), properties.Select(p => p.Key));
        Assert.All(properties, p => Assert.False(string.IsNullOrWhiteSpace(p.Value!["description"]?.GetValue<string>()), p.Key + " has no description"));
    }

    [Fact]
    public void Every_shipped_dataset_validates()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "datasets"), "*.yaml");
        Assert.Equal(4, files.Length);
        foreach (var path in files)
        {
            var result = Validate(File.ReadAllText(path));
            Assert.True(result.IsValid, $"{path} does not validate: {Errors(result)}");
        }
    }

    public static TheoryData<string, bool> Samples => new()
    {
        { DatasetTests.Csv, true },
        { DatasetTests.Csv + "csv: {headerLines: 1, label: species, separator: \";\"}\n", true },
        { DatasetTests.Images, true },
        { DatasetTests.Images + "color: rgb\n", true },
        { DatasetTests.Idx, true },
        { DatasetTests.Csv.Replace("format: csv", "format: tsv", StringComparison.Ordinal), false },
        { DatasetTests.Csv + "color: rgb\n", false },
        { DatasetTests.Csv + "mirrors: [https://example.org/]\n", false },
        { DatasetTests.Csv + "test: test.csv\n", false },
        { DatasetTests.Csv.Replace("testFraction: 0.2\n", string.Empty, StringComparison.Ordinal), false },
        { DatasetTests.Csv.Replace("testFraction: 0.2", "testFraction: 1", StringComparison.Ordinal), false },
        { DatasetTests.Csv.Replace("classes: 3", "classes: 1", StringComparison.Ordinal), false },
        { DatasetTests.Csv.Replace("classes: 3", "classes: [a, a]", StringComparison.Ordinal), false },
        { DatasetTests.Csv + "sha256: {iris.csv: ABC}\n", false },
        { DatasetTests.Csv + "divideBy: 0\n", false },
        { DatasetTests.Csv + "shuffle: true\n", false },
        { DatasetTests.Idx.Replace("train-images", "train-images.gz", StringComparison.Ordinal), false },
        { DatasetTests.Idx + "splitSeed: 3\n", false },
        { DatasetTests.Idx + "testFraction: 0.2\n", false },
        { DatasetTests.Idx.Replace("test: {images: test-images, labels: test-labels}\n", string.Empty, StringComparison.Ordinal), false },
        { DatasetTests.Idx.Replace("test: {images: test-images, labels: test-labels}\n", "testFraction: 0.2\n", StringComparison.Ordinal), false },
        { DatasetTests.Images.Replace("train: train", "train: {images: a, labels: b}", StringComparison.Ordinal), false },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_schema_and_the_generator_agree_on_samples(string yaml, bool valid)
    {
        var schemaResult = Validate(yaml);
        Assert.True(valid == schemaResult.IsValid, $"The schema says {(schemaResult.IsValid ? "valid" : "invalid: " + Errors(schemaResult))}");

        var run = GeneratorHarness.RunWithDatasets([GeneratorHarness.Dataset("sample.yaml", yaml)]);
        var diagnostics = run.AssertGeneratorDidNotThrow();
        Assert.True(valid == diagnostics.IsEmpty, "The generator says: " + string.Join("; ", diagnostics));
    }

    private static EvaluationResults Validate(string yaml) =>
        Schema.Value.Evaluate(JsonSerializer.SerializeToElement(YamlToJson.Convert(yaml)), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}
