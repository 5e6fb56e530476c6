using System.Diagnostics;
using System.Globalization;
using System.Text;
using Experiments.Data;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The comparison table of BENCHMARKS.md: the TorchSharp recipes and ML.NET's two multinomial logistic regressions,
/// one after another in this process, on the same MNIST tensors.
/// </summary>
/// <remarks>
/// A plain timing harness rather than BenchmarkDotNet: each contestant is a whole training run of 0.3 s to 30 s whose
/// accuracy, log-loss and peak memory matter as much as its time, and ML.NET's fit is too long for BenchmarkDotNet's
/// many iterations. Each TorchSharp recipe runs <c>repeat</c> times and the fastest run is reported (the spread is
/// shown); its accuracy is the same every run (fixed seed).
/// </remarks>
internal static class TableBench
{
    public sealed record Row(
        string Name,
        string Source,
        double Accuracy,
        double LogLoss,
        double FitSeconds,
        double FitSecondsMax,
        double? TrainSeconds,
        double? PreprocessSeconds,
        double? EpochsPerSecond,
        double PeakMegabytes,
        int Runs);

    public static IReadOnlyList<Row> Run(Dataset data, int repeat, int mlRepeat, bool skipMlNet, TextWriter log)
    {
        var rows = new List<Row>();
        foreach (var name in Recipes.Names)
        {
            var (experiment, source) = Recipes.Find(name);
            log.WriteLine(Invariant($"{name} ({source}): {repeat} run(s)"));
            ExperimentResult? fastest = null;
            var slowest = 0.0;
            var peak = 0.0;
            for (var run = 0; run < repeat; run++)
            {
                if (!PeakMemory.Reset())
                {
                    log.WriteLine("  (peak memory not reset: /proc/self/clear_refs refused; this peak includes earlier runs)");
                }

                var result = experiment.Run(new ExperimentContext(data));
                peak = Math.Max(peak, PeakMemory.PeakMegabytes());
                if (result.Status != ExperimentStatus.Completed)
                {
                    throw new InvalidOperationException($"{name} did not complete: {result.Status} {result.Error}{result.DivergenceReason}");
                }

                var fit = result.TrainSeconds + result.PreprocessSeconds;
                log.WriteLine(Invariant($"  {result.Test!.Accuracy:F2}%  train {result.TrainSeconds:F3} s  preprocessing {result.PreprocessSeconds:F3} s  epochs {string.Join(" ", result.Epochs.Select(e => e.Seconds.ToString("F3", CultureInfo.InvariantCulture)))}"));
                slowest = Math.Max(slowest, fit);
                if (fastest is null || fit < fastest.TrainSeconds + fastest.PreprocessSeconds)
                {
                    fastest = result;
                }
            }

            rows.Add(new Row(
                name,
                source,
                fastest!.Test!.Accuracy,
                fastest.Test.Loss,
                fastest.TrainSeconds + fastest.PreprocessSeconds,
                slowest,
                fastest.TrainSeconds,
                fastest.PreprocessSeconds,
                fastest.Epochs.Count / fastest.TrainSeconds,
                peak,
                repeat));
        }

        if (!skipMlNet)
        {
            var clock = Stopwatch.StartNew();
            var train = MlNet.Rows(data.Train);
            var test = MlNet.Rows(data.Test);
            log.WriteLine(Invariant($"ML.NET rows built in {clock.Elapsed.TotalSeconds:F2} s (not timed)"));
            foreach (var trainer in new[] { "LbfgsMaximumEntropy", "SdcaMaximumEntropy" })
            {
                log.WriteLine(Invariant($"ML.NET {trainer}: {mlRepeat} run(s)"));
                MlNet.Outcome? fastest = null;
                var slowest = 0.0;
                var peak = 0.0;
                for (var run = 0; run < mlRepeat; run++)
                {
                    if (!PeakMemory.Reset())
                    {
                        log.WriteLine("  (peak memory not reset: /proc/self/clear_refs refused; this peak includes earlier runs)");
                    }

                    var outcome = MlNet.FitAndEvaluate(trainer, train, test);
                    peak = Math.Max(peak, PeakMemory.PeakMegabytes());
                    log.WriteLine(Invariant($"  {outcome.Accuracy:F2}%  fit {outcome.FitSeconds:F2} s"));
                    slowest = Math.Max(slowest, outcome.FitSeconds);
                    if (fastest is null || outcome.FitSeconds < fastest.FitSeconds)
                    {
                        fastest = outcome;
                    }
                }

                rows.Add(new Row("ML.NET " + trainer, "Microsoft.ML 5.0.1, default options", fastest!.Accuracy, fastest.LogLoss, fastest.FitSeconds, slowest, null, null, null, peak, mlRepeat));
            }
        }

        return rows;
    }

    /// <summary>The table in Markdown, with the ratios against ML.NET's LbfgsMaximumEntropy when it ran.</summary>
    public static string ToMarkdown(IReadOnlyList<Row> rows)
    {
        var reference = rows.FirstOrDefault(r => r.Name == "ML.NET LbfgsMaximumEntropy");
        var builder = new StringBuilder();
        builder.Append("| recipe | test accuracy (%) | test log-loss | fit (s) | train (s) | preprocessing (s) | epochs/s | peak RSS (MB) | speed-up vs ML.NET L-BFGS | accuracy vs ML.NET L-BFGS (points) |\n");
        builder.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var row in rows)
        {
            var speedUp = reference is null ? "-" : Invariant($"{reference.FitSeconds / row.FitSeconds:F1}x");
            var points = reference is null ? "-" : Invariant($"{row.Accuracy - reference.Accuracy:+0.00;-0.00;0.00}");
            builder.Append(Invariant($"| {row.Name} | {row.Accuracy:F2} | {row.LogLoss:F4} | {row.FitSeconds:F3} | {Optional(row.TrainSeconds, "F3")} | {Optional(row.PreprocessSeconds, "F3")} | {Optional(row.EpochsPerSecond, "F1")} | {row.PeakMegabytes:F0} | {speedUp} | {points} |\n"));
        }

        builder.Append('\n');
        builder.Append("Fit: the fastest of the runs (TorchSharp: train + preprocessing; ML.NET: `Fit`). Slowest run of each: ");
        builder.AppendJoin("; ", rows.Select(r => Invariant($"{r.Name} {r.FitSecondsMax:F3} s of {r.Runs}")));
        builder.Append(".\n");
        return builder.ToString();
    }

    private static string Optional(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
