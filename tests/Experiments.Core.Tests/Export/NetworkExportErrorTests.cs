using System.Text;
using System.Text.Json;
using Experiments.Checkpoints;
using Experiments.Export;
using Experiments.Models;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Export;

/// <summary>
/// A network in config.json reads back as written (every layer kind), a damaged one is refused naming the file and
/// what is wrong, and the exporter refuses weights that do not fit the network, naming the tensor.
/// </summary>
public sealed class NetworkExportErrorTests : IDisposable
{
    private static readonly Network EveryKind = new(
        [1, 28, 28],
        [
            new ReshapeLayer("reshape", [1, 28, 28]),
            new Conv2dLayer("conv1", 1, 4, 3, 2, 1, false),
            new BatchNormLayer("bn1", 4, true, 1e-5, 0.1),
            new ActivationLayer("gelu1", ActivationKind.Gelu),
            new Pool2dLayer("pool1", PoolKind.Average, 3, 2, 1),
            new DropoutLayer("dropout1", 0.25),
            new FlattenLayer("flatten1"),
            new LinearLayer("fc1", 196, 10, true),
        ],
        OutputSoftmax: true);

    private readonly TemporaryDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private static ExperimentConfig Config(Network? network) => new()
    {
        Experiment = "net",
        Dataset = Experiments.Generated.DatasetCatalog.Mnist,
        Hyperparameters = [],
        Architecture = ModelSummary.Linear(784, 10),
        Inputs = new InputTransform([1, 28, 28], 255, false, null, null),
        Network = network,
    };

    [Fact]
    public void Every_layer_kind_reads_back_as_written()
    {
        var read = ExperimentConfig.Parse(Config(EveryKind).ToJson()).Network!;
        Assert.Equal(EveryKind.InputShape, read.InputShape);
        Assert.True(read.OutputSoftmax);
        Assert.Equal(EveryKind.Layers.Count, read.Layers.Count);
        var reshape = Assert.IsType<ReshapeLayer>(read.Layers[0]);
        Assert.Equal("reshape", reshape.Name);
        Assert.Equal([1, 28, 28], reshape.Shape);
        Assert.Equal(EveryKind.Layers.Skip(1), read.Layers.Skip(1)); // value equality of the other records
        Assert.Null(ExperimentConfig.Parse(Config(null).ToJson()).Network);
    }

    [Theory]
    [InlineData("\"type\": \"conv2d\"", "\"type\": \"conv3d\"", "the layer types are reshape, linear, conv2d")]
    [InlineData("\"kernel\": 3,", "", "kernel")]
    [InlineData("\"function\": \"gelu\"", "\"function\": \"swish\"", "$.layers[3].function")]
    [InlineData("\"features\": 4,", "\"features\": 4, \"groups\": 2,", "groups")]
    public void A_damaged_network_is_refused_naming_the_file_and_what_is_wrong(string find, string replace, string named)
    {
        var json = Encoding.UTF8.GetString(Config(EveryKind).ToJson());
        Assert.Contains(find, json, StringComparison.Ordinal);
        var path = directory.Write(CheckpointFiles.Config, Encoding.UTF8.GetBytes(json.Replace(find, replace, StringComparison.Ordinal)));
        var exception = Assert.Throws<InvalidDataException>(() => ExperimentConfig.Read(path));
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("'network'", exception.Message, StringComparison.Ordinal);
        Assert.True(exception.Message.Contains(named, StringComparison.Ordinal), exception.Message);
    }

    [Fact]
    public void Weights_that_do_not_fit_the_network_are_refused_naming_the_tensor()
    {
        var network = new Network([1, 28, 28], [new LinearLayer("linear", 784, 10, true)], false);
        var inputs = new InputTransform([1, 28, 28], 255, false, null, null);
        var info = new OnnxModelInfo("net", [.. Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        using var scope = NewDisposeScope();

        var missing = Assert.Throws<ModelExportException>(() => OnnxExporter.Export(network, inputs, new Dictionary<string, Tensor> { ["linear.weight"] = zeros(10, 784) }, info));
        Assert.Contains("no tensor 'linear.bias'", missing.Message, StringComparison.Ordinal);

        var shape = Assert.Throws<ModelExportException>(() => OnnxExporter.Export(network, inputs, new Dictionary<string, Tensor> { ["linear.weight"] = zeros(784, 10), ["linear.bias"] = zeros(10) }, info));
        Assert.Contains("'linear.weight' has shape [784, 10], but its architecture needs [10, 784]", shape.Message, StringComparison.Ordinal);

        var extra = Assert.Throws<ModelExportException>(() => OnnxExporter.Export(network, inputs, new Dictionary<string, Tensor> { ["linear.weight"] = zeros(10, 784), ["linear.bias"] = zeros(10), ["fc9.bias"] = zeros(3) }, info));
        Assert.Contains("'fc9.bias' that no layer of its architecture uses", extra.Message, StringComparison.Ordinal);

        var features = Assert.Throws<ModelExportException>(() => OnnxExporter.Export(network, new InputTransform([1, 20, 20], 255, false, null, null), new Dictionary<string, Tensor>(), info));
        Assert.Contains("takes 784 values per example, but its inputs have 400 ([1, 20, 20])", features.Message, StringComparison.Ordinal);

        var user = Assert.Throws<ModelExportException>(() => OnnxExporter.Export(Config(null) with { Architecture = new ModelSummary(ModelKind.Module, "MyNet", [1, 28, 28], [], -1) }, new Dictionary<string, Tensor>()));
        Assert.Contains("its model is the user module MyNet", user.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_metadata_carries_the_class_names_and_the_input_contract()
    {
        var network = new Network([1, 28, 28], [new LinearLayer("linear", 784, 10, true)], false);
        var inputs = new InputTransform([1, 28, 28], 255, true, null, null);
        var metadata = OnnxExporter.Metadata(new OnnxModelInfo("net", ["zero", "one"]) { TestAccuracy = 91.5 }, inputs, network).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(["zero", "one"], JsonSerializer.Deserialize<string[]>(metadata["classes"])!);
        Assert.Equal("1,28,28", metadata["inputShape"]);
        Assert.Equal("255", metadata["inputDivisor"]);
        Assert.Equal("true", metadata["deskew"]);
        Assert.Equal("91.5", metadata["testAccuracy"]);
    }
}
