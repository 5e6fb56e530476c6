using System.Diagnostics;
using Experiments.Bench.Models;
using Experiments.Data;
using TorchSharp;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The validation search behind the <c>mlp</c>, <c>cnn</c> and <c>fashion-cnn</c> recipes: every candidate (a layer
/// list and the training keys a YAML file sets) trains on the training images minus a validation split of 10% and is
/// ranked by its validation accuracy; the test set is looked at only for the winner, retrained on all training images.
/// </summary>
internal static class ModelSearch
{
    public const double ValidationSplit = 0.1;

    /// <summary>One candidate: the YAML layer list and the keys.</summary>
    public sealed record Candidate(string Layers, ExperimentSettings Settings);

    /// <summary>A family: a dataset, its budget, its candidates.</summary>
    public sealed record Family(string Name, string Dataset, double TargetAccuracy, double BudgetSeconds, IReadOnlyList<Candidate> Candidates);

    private static ExperimentSettings Keys(int epochs, int batch, double rate, OptimizerKind optimizer = OptimizerKind.AdamW, double decay = 1e-4, LearningRateSchedule schedule = LearningRateSchedule.OneCycle) => new()
    {
        InputSize = 784,
        NumClasses = 10,
        Epochs = epochs,
        BatchSize = batch,
        LearningRate = rate,
        Optimizer = optimizer,
        WeightDecay = decay,
        LrSchedule = schedule,
        ValidationSplit = ValidationSplit,
    };

    public const string LeNetBn = "conv2d(6,5,1,2) batchnorm2d relu maxpool2d(2) conv2d(16,5) batchnorm2d relu maxpool2d(2) flatten linear(120) relu linear(84) relu linear(10)";
    public const string SmallCnn = "conv2d(16,5,1,2) relu maxpool2d(2) conv2d(32,5,1,2) relu maxpool2d(2) flatten linear(10)";

    public const string Strided = "conv2d(16,5,2,2) batchnorm2d relu conv2d(32,3,2,1) batchnorm2d relu flatten";

    public static IReadOnlyList<Family> Families() =>
    [
        new("mlp", "mnist", 98.0, 20,
        [
            new("linear(256) relu dropout(0.2) linear(10)", Keys(12, 128, 3e-3)),
            new("linear(256) relu linear(10)", Keys(10, 128, 3e-3)),
            new("linear(512) relu dropout(0.2) linear(10)", Keys(8, 256, 3e-3)),
            new("linear(256) relu dropout(0.2) linear(256) relu dropout(0.2) linear(10)", Keys(10, 128, 3e-3)),
            new("linear(256) relu dropout(0.2) linear(10)", Keys(12, 128, 1e-3, OptimizerKind.Adam, 0, LearningRateSchedule.Cosine)),
            new("linear(256) relu dropout(0.2) linear(256) relu dropout(0.2) linear(10)", Keys(8, 128, 3e-3)),
            new("linear(256) relu dropout(0.2) linear(256) relu dropout(0.2) linear(10)", Keys(10, 256, 5e-3)),
        ]),
        new("cnn", "mnist", 99.0, 60,
        [
            new(LeNetBn, Keys(5, 128, 3e-3)),
            new(LeNetBn, Keys(5, 128, 1e-2)),
            new(Strided + " dropout(0.2) linear(10)", Keys(8, 128, 5e-3)),
        ]),
        new("fashion-cnn", "fashion-mnist", 91.0, 90,
        [
            new(Strided + " linear(128) relu dropout(0.3) linear(10)", Keys(15, 128, 5e-3)),
            new(LeNetBn, Keys(8, 128, 5e-3)),
            new("conv2d(32,5,2,2) batchnorm2d relu conv2d(64,3,2,1) batchnorm2d relu flatten dropout(0.3) linear(128) relu linear(10)", Keys(8, 128, 3e-3)),
        ]),
    ];

    /// <summary>
    /// A candidate is eligible when its training time, scaled from the training images it saw to all of them, fits
    /// 80% of the family's budget: the winner must meet the time target with a margin on a machine that is not idle.
    /// </summary>
    public const double BudgetMargin = 0.8;

    /// <summary>
    /// Runs the family's candidates (or only those of <paramref name="only"/>, 1-based) and, unless
    /// <paramref name="noFinal"/>, retrains the winner on all training images and reports its test accuracy.
    /// </summary>
    public static void Run(Func<string, Dataset> load, string familyName, IReadOnlyList<int> only, bool noFinal, bool probe, TextWriter output)
    {
        var family = Families().FirstOrDefault(f => f.Name == familyName) ?? throw new ArgumentException($"no family '{familyName}'; families: {string.Join(", ", Families().Select(f => f.Name))}");
        var data = load(family.Dataset);
        using var probeData = probe ? Subset(data, 6_400) : null;
        output.WriteLine(Invariant($"## {family.Name} ({family.Dataset}): target {family.TargetAccuracy}% in {family.BudgetSeconds} s; validation split {ValidationSplit} (seed 0){(probe ? "; PROBE: 6,400 training images, 1 epoch" : "")}"));
        output.WriteLine();
        output.WriteLine("| # | layers | keys | val. accuracy (%) | val. loss | train (s) | s/epoch |");
        output.WriteLine("|---:|---|---|---:|---:|---:|---:|");
        output.Flush();
        var rows = new List<(Candidate Candidate, ExperimentResult Result)>();
        for (var i = 0; i < family.Candidates.Count; i++)
        {
            if (only.Count > 0 && !only.Contains(i + 1))
            {
                continue;
            }

            var candidate = family.Candidates[i];
            var settings = probe ? candidate.Settings with { Epochs = 1 } : candidate.Settings;
            var result = Train(family, candidate with { Settings = settings }, probe ? probeData! : data);
            rows.Add((candidate, result));
            var perEpoch = result.Epochs.Count > 0 ? result.Epochs.Average(e => e.Seconds) : double.NaN;
            if (probe)
            {
                perEpoch *= 54_000.0 / (6_400 * (1 - ValidationSplit));
            }

            output.WriteLine(Invariant($"| {i + 1} | `{candidate.Layers}` | {Search.Describe(settings)} | {result.Validation?.Accuracy:F2} | {result.Validation?.Loss:F4} | {result.TrainSeconds:F1} | {perEpoch:F2}{(probe ? " (extrapolated)" : "")} |"));
            output.Flush();
        }

        if (noFinal || probe || rows.Count == 0)
        {
            return;
        }

        var scale = 1 / (1 - ValidationSplit);
        var eligible = rows.Where(r => r.Result.Status == ExperimentStatus.Completed && r.Result.TrainSeconds * scale <= BudgetMargin * family.BudgetSeconds).ToList();
        if (eligible.Count == 0)
        {
            output.WriteLine(Invariant($"No candidate fits {BudgetMargin:P0} of the {family.BudgetSeconds} s budget (train seconds scaled by {scale:F3} to all training images)."));
            return;
        }

        var winner = eligible
            .OrderByDescending(r => r.Result.Validation!.Accuracy).ThenBy(r => r.Result.Validation!.Loss).First();
        var final = winner.Candidate with { Settings = winner.Candidate.Settings with { ValidationSplit = 0 } };
        output.WriteLine();
        output.WriteLine(Invariant($"Eligible (train s × {scale:F3} ≤ {BudgetMargin * family.BudgetSeconds:F0} s): {string.Join(", ", eligible.Select(r => "#" + (family.Candidates.ToList().IndexOf(r.Candidate) + 1)))}"));
        output.WriteLine(Invariant($"Chosen on validation: `{final.Layers}` with {Search.Describe(winner.Candidate.Settings)}"));
        var finalResult = Train(family, final, data);
        output.WriteLine(Invariant($"Final (all training images, validationSplit 0): test accuracy {finalResult.Test?.Accuracy:F2}% (loss {finalResult.Test?.Loss:F4}), train {finalResult.TrainSeconds:F1} s ({finalResult.Epochs.Count} epochs), preprocessing {finalResult.PreprocessSeconds:F2} s; {(finalResult.Test?.Accuracy >= family.TargetAccuracy && finalResult.TrainSeconds <= family.BudgetSeconds ? "meets" : "MISSES")} the target"));
        output.Flush();
    }

    /// <summary>Trains one candidate with the framework (the trainer the runner uses), timing as the runner reports it.</summary>
    public static ExperimentResult Train(Family family, Candidate candidate, Dataset data)
    {
        var experiment = new ModelExperiment(family.Name, candidate.Settings, () => new LayerModel(candidate.Layers), family.Dataset);
        var clock = Stopwatch.StartNew();
        var result = experiment.Run(new ExperimentContext(data));
        if (result.Status != ExperimentStatus.Completed)
        {
            Console.Error.WriteLine(Invariant($"{family.Name}: {result.Status} {result.Error}{result.DivergenceReason} after {clock.Elapsed.TotalSeconds:F1} s"));
        }

        return result;
    }

    private static Dataset Subset(Dataset data, int count) => new(
        data.Description,
        new DataSplit(data.Train.Inputs.narrow(0, 0, count).clone(), data.Train.Labels.narrow(0, 0, count).clone()),
        new DataSplit(data.Test.Inputs.narrow(0, 0, 1000).clone(), data.Test.Labels.narrow(0, 0, 1000).clone()),
        data.ContentKey);
}
