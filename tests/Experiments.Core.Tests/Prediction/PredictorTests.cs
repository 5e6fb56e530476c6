using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.Models;
using Experiments.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Core.Tests.Prediction;

/// <summary>The predictor: the checkpoint's input transform, then softmax of the logits, or the model's own probabilities.</summary>
public sealed class PredictorTests
{
    /// <summary>A model whose forward returns its input's first three values: the logits (or probabilities) are chosen by the test.</summary>
    private sealed class FirstThree() : nn.Module<Tensor, Tensor>("first_three")
    {
        public override Tensor forward(Tensor input) => input.narrow(1, 0, 3);
    }

    private static ExperimentConfig Config(string outputActivation, DatasetFormat format = DatasetFormat.Csv, float[]? mean = null, float[]? std = null) => new()
    {
        Experiment = "test",
        Dataset = new DatasetDescription { Name = "test", Format = format, Root = "test", Shape = [4], ClassNames = ["cat", "dog", "eel"], Train = new DatasetSource("train.csv") },
        Hyperparameters = [new("outputActivation", outputActivation)],
        Architecture = ModelSummary.Linear(4, 3),
        Inputs = new InputTransform([4], 2, false, mean, std),
    };

    [Fact]
    public void Logits_become_softmax_probabilities_after_the_input_transform_most_probable_first()
    {
        using var model = new FirstThree();
        // Divided by 2, then standardized with mean 1 and std 0.5: logits (2 - 1) / 0.5 = 2, 0, 4.
        var predictor = new Predictor(model, Config("none", mean: [1, 1, 1, 1], std: [0.5f, 0.5f, 0.5f, 0.5f]));

        var prediction = Assert.Single(predictor.Predict([[4, 2, 6, 0]], top: 5));

        double sum = Math.Exp(2) + Math.Exp(0) + Math.Exp(4);
        Assert.Equal(["eel", "cat", "dog"], prediction.Top.Select(t => t.Label));
        Assert.Equal([2, 0, 1], prediction.Top.Select(t => t.Class));
        Assert.Equal(Math.Exp(4) / sum, prediction.Probability, 6);
        Assert.Equal(Math.Exp(2) / sum, prediction.Top[1].Probability, 6);
        Assert.Equal("eel", prediction.Label);
    }

    [Fact]
    public void A_model_that_returns_probabilities_is_not_given_a_second_softmax()
    {
        using var model = new FirstThree();
        var predictor = new Predictor(model, Config("softmax"));

        var prediction = Assert.Single(predictor.Predict([[0.2f, 1.4f, 0.4f, 0]], top: 2));

        Assert.True(predictor.OutputsProbabilities);
        Assert.Equal(["dog", "eel"], prediction.Top.Select(t => t.Label));
        Assert.Equal(0.7, prediction.Probability, 6);
        Assert.Equal(0.2, prediction.Top[1].Probability, 6);
    }

    [Fact]
    public void A_declared_networks_own_softmax_flag_decides_not_the_hyperparameter()
    {
        // The network says what the model's forward does; the hyperparameters only describe a user module's.
        var network = new Network([4], [new LinearLayer("linear", 4, 3, Bias: true)], OutputSoftmax: false);
        using var model = new FirstThree();

        var logits = new Predictor(model, Config("softmax") with { Network = network });
        var probabilities = new Predictor(model, Config("none") with { Network = network with { OutputSoftmax = true } });

        Assert.False(logits.OutputsProbabilities);
        Assert.True(probabilities.OutputsProbabilities);
        var prediction = Assert.Single(logits.Predict([[0.2f, 1.4f, 0.4f, 0]], top: 1));
        Assert.Equal(Math.Exp(0.7) / (Math.Exp(0.1) + Math.Exp(0.7) + Math.Exp(0.2)), prediction.Probability, 6);
    }

    [Fact]
    public void Image_examples_go_in_as_uint8_pixels_and_many_in_chunks_keep_their_order()
    {
        using var model = new FirstThree();
        var predictor = new Predictor(model, Config("none", DatasetFormat.Idx));
        var examples = Enumerable.Range(0, Predictor.ChunkSize + 3).Select(i => new float[] { i % 3 == 0 ? 255 : 0, i % 3 == 1 ? 255 : 0, i % 3 == 2 ? 255 : 0, 0 }).ToList();

        var predictions = predictor.Predict(examples, top: 1);

        Assert.Equal(examples.Count, predictions.Count);
        Assert.All(Enumerable.Range(0, examples.Count), i => Assert.Equal(i % 3, predictions[i].Top.Single().Class));
        Assert.Throws<ArgumentException>(() => predictor.Predict([[1, 2, 3]], 1));
    }

    [Fact]
    public void The_dataset_preparation_is_written_in_config_json_and_read_back()
    {
        var config = Config("none") with { Dataset = Config("none").Dataset with { Prepare = ImagePreparation.UciDigits } };

        var read = ExperimentConfig.Parse(config.ToJson());
        var json = System.Text.Encoding.UTF8.GetString(config.ToJson());

        Assert.Equal(ImagePreparation.UciDigits, read.Dataset.Prepare);
        Assert.Contains("\"prepare\": \"uci-digits\"", json, StringComparison.Ordinal);

        // A config written before prepare existed keeps the format's default.
        var older = ExperimentConfig.Parse(System.Text.Encoding.UTF8.GetBytes(json.Replace("\"prepare\": \"uci-digits\",", "", StringComparison.Ordinal)));
        Assert.Equal(ImagePreparation.None, older.Dataset.Prepare);
        Assert.Throws<FormatException>(() => ExperimentConfig.Parse(System.Text.Encoding.UTF8.GetBytes(json.Replace("uci-digits", "uci", StringComparison.Ordinal))));
    }
}
