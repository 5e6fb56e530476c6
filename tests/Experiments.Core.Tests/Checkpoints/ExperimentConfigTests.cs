using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Models;

namespace Experiments.Core.Tests.Checkpoints;

/// <summary><c>config.json</c>: every field survives a round trip (the input statistics bit for bit), in any culture, and every bad file is an error naming it.</summary>
public sealed class ExperimentConfigTests : IDisposable
{
    /// <summary>Floats whose shortest text is long or unusual: a round trip that loses a bit shows on one of them.</summary>
    private static readonly float[] Awkward = [0.1f, 1f / 3, float.Epsilon, 1e-38f, float.MaxValue, -0f, 0.13066062f, 123456.79f, 1f - float.Epsilon * 1e38f];

    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    /// <summary>A config with every field set, and set to something other than its default.</summary>
    private static ExperimentConfig Full() => new()
    {
        Experiment = "cnn",
        Description = "LeNet-5 — \"quoted\", ünïcode",
        SourceFile = "experiments/cnn.yaml",
        ConfigurationSha256 = new string('a', 64),
        CodeFingerprint = "generator=1.0.0.0+f0babcfe",
        Dataset = Experiments.Generated.DatasetCatalog.Mnist with
        {
            TestFraction = 0.2,
            SplitSeed = 7,
            InputDivisor = 16,
            Csv = new CsvOptions { HeaderLines = 1, LabelColumnName = "label", Separator = ';' },
            Images = new ImageOptions { Color = ImageColor.Rgb, Resize = true },
            DebianPackage = "dataset-mnist",
        },
        Hyperparameters = new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 5, BatchSize = 128, LearningRate = 0.003, Optimizer = OptimizerKind.AdamW, WeightDecay = 1e-4, Deskew = true, Normalize = InputNormalization.Standardize }.ToNamedValues(),
        Architecture = new ModelSummary(
            ModelKind.Layers,
            "conv6-fc10",
            [1, 28, 28],
            [new LayerSummary("conv1", "conv2d 6 5x5", [6, 24, 24], 156), new LayerSummary("flatten1", "flatten", [3456], 0), new LayerSummary("fc1", "linear 10", [10], 34570)],
            34726),
        Inputs = new InputTransform([1, 28, 28], 255, Deskew: true, Awkward, [.. Awkward.Select(a => Math.Abs(a) + 1)]),
        Tensors = [new TensorEntry("conv1.weight", "F32", [6, 1, 5, 5]), new TensorEntry("bn1.num_batches_tracked", "I64", [])],
        TestAccuracy = 99.14,
        Epoch = 5,
    };

    [Fact]
    public void Every_field_survives_a_round_trip_and_the_statistics_keep_their_bits()
    {
        var config = Full();
        var read = ExperimentConfig.Parse(config.ToJson());

        AssertSame(config, read, "config");
        Assert.Equal(Awkward.Select(BitConverter.SingleToInt32Bits), read.Inputs.Mean!.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(config.Inputs.Std!.Select(BitConverter.SingleToInt32Bits), read.Inputs.Std!.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(config.ToJson(), read.ToJson());
    }

    [Fact]
    public void Without_standardization_the_statistics_are_null_and_read_back_as_null()
    {
        var config = Full() with { Inputs = new InputTransform([784], 1, Deskew: false, null, null), TestAccuracy = null, Epoch = null, ConfigurationSha256 = null };
        var read = ExperimentConfig.Parse(config.ToJson());
        AssertSame(config, read, "config");
        using var json = JsonDocument.Parse(config.ToJson());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("inputs").GetProperty("mean").ValueKind);
        Assert.False(json.RootElement.TryGetProperty("testAccuracy", out _));
    }

    [Fact]
    public void The_json_is_the_same_in_any_culture()
    {
        var invariant = Full().ToJson();
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal(invariant, Full().ToJson());
            Assert.Contains("\"learningRate\": 0.003", Encoding.UTF8.GetString(invariant), StringComparison.Ordinal);
            Assert.Contains("0.13066062", Encoding.UTF8.GetString(invariant), StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void A_statistic_json_cannot_hold_is_an_error_naming_it()
    {
        var config = Full() with { Inputs = new InputTransform([2], 1, false, [0, float.NaN], [1, 1]) };
        var error = Assert.Throws<ArgumentException>(() => config.ToJson());
        Assert.Contains("the input statistic 'mean' holds NaN", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "not JSON", "cannot be read: '<' is an invalid start of a value" },
        { "a JSON array", "cannot be read: it is a JSON Array, not an object" },
        { "a newer format", "cannot be read: its format is 'experiments-checkpoint/2', but this build reads 'experiments-checkpoint/1' (written by a newer build?)" },
        { "no format", "cannot be read: 'format' is missing" },
        { "no inputs", "cannot be read: 'inputs' is missing" },
        { "no divisor", "cannot be read: 'inputs': 'divideBy' is missing" },
        { "no dataset root", "cannot be read: 'dataset': 'root' is missing" },
        { "a mean that is text", "cannot be read: 'inputs': 'mean' is a String, not a list of numbers or null" },
        { "an unknown colour", "cannot be read: 'dataset': unknown image color 'purple' (rgb or grayscale)" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_config_is_an_invalid_data_error_naming_the_file_and_what_is_wrong(string damage, string message)
    {
        var json = JsonNode.Parse(Full().ToJson())!.AsObject();
        switch (damage)
        {
            case "a newer format": json["format"] = "experiments-checkpoint/2"; break;
            case "no format": json.Remove("format"); break;
            case "no inputs": json.Remove("inputs"); break;
            case "no divisor": json["inputs"]!.AsObject().Remove("divideBy"); break;
            case "no dataset root": json["dataset"]!.AsObject().Remove("root"); break;
            case "a mean that is text": json["inputs"]!["mean"] = JsonValue.Create("zero"); break;
            case "an unknown colour": json["dataset"]!["color"] = "purple"; break;
        }

        var text = damage switch
        {
            "not JSON" => "<html>",
            "a JSON array" => "[" + json.ToJsonString() + "]",
            _ => json.ToJsonString(),
        };
        var path = directory.Write("config.json", Encoding.UTF8.GetBytes(text));

        var error = Assert.Throws<InvalidDataException>(() => ExperimentConfig.Read(path));

        Assert.StartsWith($"The checkpoint's config '{path}' cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_is_an_error_naming_it()
    {
        var path = directory.Combine("nowhere", "config.json");
        var error = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.ReadConfig(directory.Combine("nowhere")));
        Assert.StartsWith($"Cannot read the checkpoint's config '{path}': ", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Compares two values property by property, element by element (floats by their bits); the message names the first difference.</summary>
    private static void AssertSame(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: wrote {expected ?? "null"}, read back {actual ?? "null"}");
            return;
        }

        if (path.EndsWith(".Hyperparameters", StringComparison.Ordinal))
        {
            // The run history's hyperparameter JSON: 0.0 reads back as the integer 0; what is shown is the same.
            var left = ((IEnumerable<KeyValuePair<string, object>>)expected).Select(p => (p.Key, ExperimentSettings.Format(p.Value)));
            var right = ((IEnumerable<KeyValuePair<string, object>>)actual).Select(p => (p.Key, ExperimentSettings.Format(p.Value)));
            Assert.Equal(left, right);
            return;
        }

        switch (expected)
        {
            case IReadOnlyDictionary<string, string> map:
                // A map is written in key order: compared by key.
                AssertSame(map.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(), ((IReadOnlyDictionary<string, string>)actual).OrderBy(p => p.Key, StringComparer.Ordinal).ToList(), path);
                return;
            case float f:
                Assert.True(BitConverter.SingleToInt32Bits(f) == BitConverter.SingleToInt32Bits((float)actual), $"{path}: wrote {f:R}, read back {actual}");
                return;
            case string or Uri or bool or int or long or double or char or Enum:
                Assert.True(Equals(expected, actual), $"{path}: wrote {expected}, read back {actual}");
                return;
            case IEnumerable items:
                var l = items.Cast<object?>().ToList();
                var r = ((IEnumerable)actual).Cast<object?>().ToList();
                Assert.True(l.Count == r.Count, $"{path}: wrote {l.Count} items, read back {r.Count}");
                for (var i = 0; i < l.Count; i++)
                {
                    AssertSame(l[i], r[i], $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]");
                }

                return;
        }

        var properties = expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();
        Assert.NotEmpty(properties);
        foreach (var property in properties)
        {
            AssertSame(property.GetValue(expected), property.GetValue(actual), path + "." + property.Name);
        }
    }
}
