using Experiments.Checkpoints;
using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Prediction;

/// <summary>One class and the probability the model gives it.</summary>
/// <param name="Class">The class index.</param>
/// <param name="Label">The class's name (<see cref="ExperimentConfig.ClassNames"/>).</param>
/// <param name="Probability">Its softmax probability, 0 to 1.</param>
internal sealed record LabelProbability(int Class, string Label, double Probability);

/// <summary>What the model says of one example: its most probable classes, most probable first.</summary>
internal sealed record ClassPrediction(IReadOnlyList<LabelProbability> Top)
{
    /// <summary>The predicted class's name.</summary>
    public string Label => Top[0].Label;

    /// <summary>The predicted class's probability.</summary>
    public double Probability => Top[0].Probability;
}

/// <summary>
/// Classifies examples with a trained model and its checkpoint's <see cref="ExperimentConfig"/>: each raw example
/// (<see cref="ImagePreparer.Prepare"/>) goes through the config's <see cref="InputTransform.Apply"/>, exactly as the
/// test split did, then the model in evaluation mode; the logits become probabilities by softmax, unless the model's
/// forward already returns them (<c>outputActivation: softmax</c>).
/// </summary>
internal sealed class Predictor
{
    /// <summary>Examples per forward pass: a CNN's activations for 500 images take tens of MB.</summary>
    public const int ChunkSize = 500;

    private readonly nn.Module<Tensor, Tensor> model;
    private readonly ExperimentConfig config;

    /// <param name="model">
    /// The model, its weights loaded (<see cref="ModelCheckpoint.LoadWeights"/>): a <see cref="Models.NetworkModel"/> of
    /// the config's network, or for a user module the experiment's own class.
    /// </param>
    /// <param name="config">The checkpoint's config: the input transform, the class names and the hyperparameters.</param>
    public Predictor(nn.Module<Tensor, Tensor> model, ExperimentConfig config)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        this.config = config ?? throw new ArgumentNullException(nameof(config));
    }

    /// <summary>
    /// Whether the model's forward returns probabilities already: the checkpoint's network ends with a softmax
    /// (<see cref="Models.Network.OutputSoftmax"/>); for a user module, which has no network, its
    /// <c>outputActivation</c> hyperparameter is <c>softmax</c>.
    /// </summary>
    public bool OutputsProbabilities => config.Network is { } network
        ? network.OutputSoftmax
        : config.Hyperparameters.Any(p => p.Key == "outputActivation" && p.Value is string value && value == "softmax");

    /// <summary>
    /// The <paramref name="top"/> most probable classes (at most every class) of each example, in order: raw values
    /// row-major over the dataset's shape, on its files' scale (uint8 pixels for idx and images, floats for CSV).
    /// </summary>
    public IReadOnlyList<ClassPrediction> Predict(IReadOnlyList<float[]> examples, int top)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var shape = config.Inputs.ExampleShape;
        var features = config.Inputs.Features;
        if (examples.FirstOrDefault(e => e.Length != features) is { } wrong)
        {
            throw new ArgumentException($"an example has {wrong.Length} values, but the model's examples have {features} ({ImagePreparer.ShapeText(shape)})", nameof(examples));
        }

        var names = config.ClassNames;
        var k = Math.Min(top, names.Count);
        var results = new List<ClassPrediction>(examples.Count);
        var wasTraining = model.training;
        model.eval();
        try
        {
            for (int start = 0; start < examples.Count; start += ChunkSize)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var chunk = examples.Skip(start).Take(ChunkSize).ToList();
                var values = chunk.SelectMany(e => e).ToArray();
                var dimensions = new long[] { chunk.Count }.Concat(shape.Select(d => (long)d)).ToArray();
                var raw = config.Dataset.Format == DatasetFormat.Csv
                    ? tensor(values, dimensions)
                    : tensor(Array.ConvertAll(values, v => (byte)Math.Clamp(MathF.Round(v), 0, 255)), dimensions);
                var output = model.call(config.Inputs.Apply(raw));
                var probabilities = (OutputsProbabilities ? output : nn.functional.softmax(output, 1)).to_type(ScalarType.Float64);
                var (best, indices) = probabilities.topk(k, dim: 1, largest: true, sorted: true);
                var p = best.data<double>().ToArray();
                var c = indices.data<long>().ToArray();
                for (int i = 0; i < chunk.Count; i++)
                {
                    results.Add(new ClassPrediction(Enumerable.Range(0, k).Select(j => new LabelProbability((int)c[(i * k) + j], ClassName(names, c[(i * k) + j]), p[(i * k) + j])).ToArray()));
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return results;
    }

    private static string ClassName(IReadOnlyList<string> names, long index) =>
        index >= 0 && index < names.Count ? names[(int)index] : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
