using System.Diagnostics;
using Experiments.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace Experiments.Bench;

/// <summary>ML.NET's multinomial logistic regression trainers on the same MNIST tensors as the TorchSharp recipes.</summary>
internal static class MlNet
{
    public const int Pixels = 784;

    /// <summary>One image as ML.NET reads it: pixels scaled to [0, 1] (as the TorchSharp recipes see them) and the label.</summary>
    public sealed class Image
    {
        [VectorType(Pixels)]
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    public sealed record Outcome(double Accuracy, double LogLoss, double FitSeconds);

    /// <summary>Copies a split out of its tensors into ML.NET rows (not timed: this is loading, as reading the IDX files is for TorchSharp).</summary>
    public static List<Image> Rows(DataSplit split)
    {
        var pixels = split.Inputs.reshape(split.Count, -1).data<byte>().ToArray();
        var labels = split.Labels.data<long>().ToArray();
        var rows = new List<Image>(split.Count);
        for (var i = 0; i < split.Count; i++)
        {
            var features = new float[Pixels];
            for (var j = 0; j < Pixels; j++)
            {
                features[j] = pixels[(i * Pixels) + j] / 255f;
            }

            rows.Add(new Image { Features = features, Label = (uint)labels[i] });
        }

        return rows;
    }

    /// <summary>Fits <paramref name="trainer"/> (default options) and evaluates on the test rows; the fit is timed.</summary>
    public static Outcome FitAndEvaluate(string trainer, List<Image> train, List<Image> test)
    {
        var ml = new MLContext(seed: 0);
        var trainView = ml.Data.LoadFromEnumerable(train);
        var testView = ml.Data.LoadFromEnumerable(test);
        var estimator = ml.Transforms.Conversion.MapValueToKey("Label")
            .AppendCacheCheckpoint(ml)
            .Append<ITransformer>(trainer switch
            {
                "LbfgsMaximumEntropy" => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(),
                "SdcaMaximumEntropy" => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
                _ => throw new ArgumentException($"unknown ML.NET trainer {trainer}", nameof(trainer)),
            });
        var clock = Stopwatch.StartNew();
        var model = estimator.Fit(trainView);
        var fitSeconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testView));
        return new Outcome(100 * metrics.MicroAccuracy, metrics.LogLoss, fitSeconds);
    }
}
