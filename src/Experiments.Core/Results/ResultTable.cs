using System.Globalization;

namespace Experiments.Results;

/// <summary>
/// The results table as text cells, shared by the console table and the Markdown file so both show the same
/// columns and the same (invariant-culture) numbers.
/// </summary>
public static class ResultTable
{
    /// <summary>Column headers, in order.</summary>
    public static IReadOnlyList<string> Headers { get; } =
    [
        "Experiment", "Dataset", "Optimizer", "LR", "Batch", "Epochs", "Output", "Accuracy (%)", "Loss", "Train (s)", "Status",
    ];

    /// <summary>Whether a column holds numbers (right-aligned).</summary>
    public static bool IsNumeric(int column) => column is >= 3 and <= 5 or >= 7 and <= 9;

    /// <summary>One row of cells per result, in the order given.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(IEnumerable<ExperimentResult> results) =>
        results.Select(Row).ToList();

    public static IReadOnlyList<string> Row(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var values = result.Hyperparameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        string Value(string key) => values.TryGetValue(key, out var value) ? ExperimentSettings.Format(value) : "";
        return
        [
            result.Experiment,
            result.Dataset,
            Optimizer(values),
            Value("learningRate"),
            Value("batchSize"),
            Value("epochs"),
            Value("outputActivation"),
            Number(result.Test?.Accuracy, "F2"),
            Number(result.Test?.Loss, "F4"),
            Number(result.Status == ExperimentStatus.Completed ? result.TrainSeconds : null, "F2"),
            result.Status.ToString().ToLowerInvariant(),
        ];
    }

    /// <summary>The sweep an experiment belongs to (the part of its name before '/'), or null.</summary>
    public static string? SweepOf(string experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var slash = experiment.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : experiment[..slash];
    }

    /// <summary>
    /// The most accurate completed member of each sweep with more than one member, so tables can mark it. Ties go
    /// to the first.
    /// </summary>
    public static IReadOnlySet<ExperimentResult> SweepLeaders(IEnumerable<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var leaders = new HashSet<ExperimentResult>(ReferenceEqualityComparer.Instance);
        foreach (var sweep in results.Where(r => SweepOf(r.Experiment) is not null).GroupBy(r => SweepOf(r.Experiment)))
        {
            var best = sweep
                .Where(r => r.Status == ExperimentStatus.Completed && r.Test is { } test && double.IsFinite(test.Accuracy))
                .OrderByDescending(r => r.Test!.Accuracy)
                .FirstOrDefault();
            if (best is not null && sweep.Count() > 1)
            {
                leaders.Add(best);
            }
        }

        return leaders;
    }

    private static string Optimizer(Dictionary<string, object> values)
    {
        var name = values.TryGetValue("optimizer", out var optimizer) ? ExperimentSettings.Format(optimizer) : "";
        if (values.TryGetValue("momentum", out var momentum) && momentum is double m && m != 0)
        {
            var factor = ExperimentSettings.Format(m);
            return name == "momentum" ? $"momentum {factor}" : $"{name} (momentum {factor})";
        }

        return name;
    }

    private static string Number(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
