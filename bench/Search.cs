using System.Diagnostics;
using System.Globalization;
using Experiments.Data;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The validation search behind <c>experiments/best-linear.yaml</c> and <c>experiments/best-deskewed.yaml</c>: every
/// candidate trains on the training images minus a held-out validation split and is ranked by its validation
/// accuracy (ties: lower validation loss). The test images are not looked at until the winners are chosen.
/// </summary>
internal static class Search
{
    /// <summary>The held-out fraction of the 60,000 training images: 6,000 validation images.</summary>
    public const double ValidationSplit = 0.1;

    public static ExperimentSettings Base { get; } = new()
    {
        InputSize = 784,
        NumClasses = 10,
        Epochs = 1,
        BatchSize = 100,
        LearningRate = 0.1,
        ValidationSplit = ValidationSplit,
    };

    /// <summary>
    /// One family of candidates: a name and its grid. The deskewed family is sized for issue 4's budget of 1 s of
    /// training: 5 epochs of batch 100 (3,000 steps, as the seed recipe) or 10 epochs of batch 500.
    /// </summary>
    public sealed record Family(string Name, IReadOnlyList<ExperimentSettings> Candidates);

    public static IReadOnlyList<Family> Families(bool quick)
    {
        var linear = new List<ExperimentSettings>();
        var deskewed = new List<ExperimentSettings>();
        foreach (var normalize in new[] { InputNormalization.None, InputNormalization.Standardize })
        {
            // Mini-batch SGD with Nesterov momentum, cosine annealing to 0.
            foreach (var batch in new[] { 100, 500 })
            {
                foreach (var rate in normalize == InputNormalization.None ? new[] { 0.1, 0.3 } : [0.01, 0.03])
                {
                    foreach (var decay in new[] { 0.0, 1e-4 })
                    {
                        var sgd = Base with
                        {
                            Optimizer = OptimizerKind.Momentum,
                            Momentum = 0.9,
                            Nesterov = true,
                            LrSchedule = LearningRateSchedule.Cosine,
                            BatchSize = batch,
                            LearningRate = rate,
                            WeightDecay = decay,
                            Normalize = normalize,
                        };
                        linear.Add(sgd with { Epochs = 15 });
                        deskewed.Add(sgd with { Epochs = batch == 100 ? 5 : 10, Deskew = true });
                    }
                }
            }

            // Adam, cosine.
            foreach (var rate in new[] { 0.001, 0.003 })
            {
                var adam = Base with { Optimizer = OptimizerKind.Adam, LrSchedule = LearningRateSchedule.Cosine, BatchSize = 500, LearningRate = rate, Normalize = normalize };
                linear.Add(adam with { Epochs = 15 });
                deskewed.Add(adam with { Epochs = 10, Deskew = true });
            }
        }

        if (quick)
        {
            return [new Family("best-linear", linear.Take(2).ToList()), new Family("best-deskewed", deskewed.Take(2).ToList())];
        }

        return [new Family("best-linear", linear), new Family("best-deskewed", deskewed)];
    }

    public static IReadOnlyList<(string Name, ExperimentSettings Settings)> Run(Dataset data, TextWriter output, bool quick)
    {
        var winners = new List<(string Name, ExperimentSettings Settings)>();
        foreach (var family in Families(quick))
        {
            output.WriteLine(Invariant($"## {family.Name}: {family.Candidates.Count} candidates, validation split {ValidationSplit} (seed 0)"));
            output.WriteLine();
            output.WriteLine("| # | candidate | val. accuracy (%) | val. loss | train (s) |");
            output.WriteLine("|---:|---|---:|---:|---:|");
            var rows = new List<(ExperimentSettings Settings, ExperimentResult Result)>();
            var index = 0;
            foreach (var candidate in family.Candidates)
            {
                index++;
                var result = new LinearExperiment(family.Name, candidate).Run(new ExperimentContext(data));
                rows.Add((candidate, result));
                var validation = result.Validation;
                output.WriteLine(Invariant($"| {index} | {Describe(candidate)} | {validation?.Accuracy:F2} | {validation?.Loss:F4} | {result.TrainSeconds:F2} |"));
            }

            var completed = rows.Where(r => r.Result.Status == ExperimentStatus.Completed).ToList();
            if (completed.Count == 0)
            {
                output.WriteLine(Invariant($"No candidate of {family.Name} completed (all diverged or failed): nothing to choose."));
                output.WriteLine();
                continue;
            }

            var winner = completed
                .OrderByDescending(r => r.Result.Validation!.Accuracy)
                .ThenBy(r => r.Result.Validation!.Loss)
                .First();
            output.WriteLine();
            output.WriteLine(Invariant($"Chosen on validation: {Describe(winner.Settings)}"));
            var final = Final(winner.Settings);
            var test = new LinearExperiment(family.Name, final).Run(new ExperimentContext(data));
            output.WriteLine(Invariant($"Final recipe (the same on all 60,000 training images): {Describe(final)}"));
            output.WriteLine(Invariant($"Its test accuracy, looked at once: {test.Test?.Accuracy:F2}% (loss {test.Test?.Loss:F4}), train {test.TrainSeconds:F2} s + preprocessing {test.PreprocessSeconds:F2} s"));
            output.WriteLine();
            winners.Add((family.Name, final));
        }

        return winners;
    }

    /// <summary>The shipped recipe of a winner: the same hyperparameters, trained on every training image.</summary>
    public static ExperimentSettings Final(ExperimentSettings chosen) => chosen with { ValidationSplit = 0, EarlyStoppingPatience = 0 };

    /// <summary>The settings that differ from the defaults, as YAML-like text.</summary>
    public static string Describe(ExperimentSettings settings)
    {
        var defaults = new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 1, LearningRate = 1 }.ToNamedValues()
            .ToDictionary(p => p.Key, p => ExperimentSettings.Format(p.Value), StringComparer.Ordinal);
        var parts = settings.ToNamedValues()
            .Where(p => p.Key is "epochs" or "batchSize" or "learningRate" || defaults[p.Key] != ExperimentSettings.Format(p.Value))
            .Where(p => p.Key is not "inputSize" and not "numClasses")
            .Select(p => p.Key + ": " + ExperimentSettings.Format(p.Value));
        return string.Join(", ", parts);
    }
}
