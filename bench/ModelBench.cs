using System.Diagnostics;
using Experiments.Bench.Models;
using Experiments.Data;
using TorchSharp;
using static System.FormattableString;
using static TorchSharp.torch;

namespace Experiments.Bench;

/// <summary>
/// The framework's trainer against a hand-written TorchSharp loop (TorchSharpExamples' MNIST style: the module,
/// <c>NewDisposeScope()</c> per batch, <c>optim.Adam</c>) on the same model, the same tensors, the same batch size and
/// epochs, in one process: what the framework costs over the loop a user would write.
/// </summary>
internal static class ModelBench
{
    /// <summary>The shipped experiments beyond one linear layer on MNIST, as the generator built them from experiments/*.yaml.</summary>
    public static readonly string[] Models = ["mlp", "cnn"];

    public sealed record Row(string Model, double Framework, double Loop, double FrameworkSlowest, double LoopSlowest, int Runs);

    /// <summary>Alternates framework and loop epochs <paramref name="runs"/> times per model; reports the fastest epoch of each.</summary>
    public static IReadOnlyList<Row> Run(Dataset data, int runs, int epochs, TextWriter output)
    {
        using var features = data.Train.Inputs.reshape(data.Train.Count, -1).to_type(ScalarType.Float32).div_(255f);
        var labels = data.Train.Labels;
        var rows = new List<Row>();
        foreach (var name in Models)
        {
            var contestant = Experiments.Generated.ExperimentCatalog.All.Single(e => e.Name == name);
            var framework = new List<double>();
            var loop = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                framework.AddRange(Framework(contestant, data, epochs));
                loop.AddRange(HandWritten(contestant, features, labels, epochs, seed: run));
                output.WriteLine(Invariant($"{contestant.Name}, run {run + 1}: framework {string.Join(", ", framework.TakeLast(epochs).Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s/epoch; loop {string.Join(", ", loop.TakeLast(epochs).Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s/epoch (load {Machine.LoadAverage()})"));
                output.Flush();
            }

            rows.Add(new Row(contestant.Name + " (" + contestant.Architecture.Architecture + ")", framework.Min(), loop.Min(), framework.Max(), loop.Max(), runs * epochs));
        }

        return rows;
    }

    public static string ToMarkdown(IReadOnlyList<Row> rows)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("| model | framework (s/epoch) | hand-written loop (s/epoch) | framework / loop | framework epochs/s | loop epochs/s |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            text.AppendLine(Invariant($"| {row.Model} | {row.Framework:F2} | {row.Loop:F2} | {row.Framework / row.Loop:F3}x | {1 / row.Framework:F3} | {1 / row.Loop:F3} |"));
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Fastest epoch of {rows.FirstOrDefault()?.Runs} per contestant; slowest: {string.Join("; ", rows.Select(r => Invariant($"{r.Model}: framework {r.FrameworkSlowest:F2} s, loop {r.LoopSlowest:F2} s")))}."));
        return text.ToString();
    }

    /// <summary>The framework: <see cref="Experiments.Training.Trainer"/> on the shipped experiment, for <paramref name="epochs"/> epochs.</summary>
    private static IEnumerable<double> Framework(IExperiment shipped, Dataset data, int epochs)
    {
        var result = new ModelExperiment(shipped.Name, shipped.Settings with { Epochs = epochs }, shipped.CreateModel).Run(new ExperimentContext(data));
        if (result.Status != ExperimentStatus.Completed)
        {
            throw new InvalidOperationException($"{shipped.Name}: {result.Status} {result.Error}");
        }

        return result.Epochs.Select(e => e.Seconds);
    }

    /// <summary>
    /// The loop a user writes from TorchSharpExamples' MNIST sample, on the same generated model class, batch size,
    /// optimizer (AdamW at the recipe's rate and decay) and epochs: shuffled batches of a float tensor, cross-entropy.
    /// It keeps the rate constant where the recipe cycles it (one-cycle): a few scalar writes per step.
    /// </summary>
    private static List<double> HandWritten(IExperiment shipped, Tensor features, Tensor labels, int epochs, long seed)
    {
        random.manual_seed(seed);
        using var model = shipped.CreateModel();
        using var optimizer = optim.AdamW(model.parameters(), shipped.Settings.LearningRate, weight_decay: shipped.Settings.WeightDecay);
        var batchSize = shipped.Settings.BatchSize;
        using var generator = new Generator((ulong)seed);
        var count = features.shape[0];
        var seconds = new List<double>();
        model.train();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            using (var epochScope = NewDisposeScope())
            {
                var order = randperm(count, generator: generator);
                for (long start = 0; start < count; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    var indices = order.narrow(0, start, Math.Min(batchSize, count - start));
                    var data = features.index_select(0, indices);
                    var target = labels.index_select(0, indices);
                    optimizer.zero_grad();
                    var prediction = model.call(data);
                    var loss = nn.functional.cross_entropy(prediction, target);
                    loss.backward();
                    optimizer.step();
                }
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        return seconds;
    }
}
