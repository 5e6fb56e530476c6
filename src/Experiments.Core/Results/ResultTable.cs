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
        "Experiment", "Dataset", "Optimizer", "LR", "Batch", "Epochs", "Output", "Accuracy (%)", "Loss", "Train (s)", "Status", "Input", "Val. accuracy (%)",
    ];

    /// <summary>The index of the Status column.</summary>
    public const int StatusColumn = 10;

    /// <summary>Whether a column holds numbers (right-aligned).</summary>
    public static bool IsNumeric(int column) => column is >= 3 and <= 5 or >= 7 and <= 9 or 12;

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
            Number(result.Status != ExperimentStatus.Failed ? result.TrainSeconds : null, "F2"),
            result.Status.ToString().ToLowerInvariant(),
            Input(values),
            Number(result.Validation?.Accuracy, "F2"),
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
    /// The most accurate completed member of each sweep with more than one member, so tables can mark it: by
    /// validation accuracy when every member has a validation split, else by test accuracy. Ties go to the first.
    /// </summary>
    public static IReadOnlySet<ExperimentResult> SweepLeaders(IEnumerable<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var leaders = new HashSet<ExperimentResult>(ReferenceEqualityComparer.Instance);
        foreach (var sweep in results.Where(r => SweepOf(r.Experiment) is not null).GroupBy(r => SweepOf(r.Experiment)))
        {
            // Chosen on validation accuracy when every member has one (choosing on the test set is how results
            // overfit it), else on test accuracy.
            var completed = sweep.Where(r => r.Status == ExperimentStatus.Completed && r.Test is { } test && double.IsFinite(test.Accuracy)).ToList();
            var onValidation = completed.Count > 0 && completed.All(r => r.Validation is { } v && double.IsFinite(v.Accuracy));
            var best = completed.OrderByDescending(r => onValidation ? r.Validation!.Accuracy : r.Test!.Accuracy).FirstOrDefault();
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
            name = name == "momentum" ? $"momentum {factor}" : $"{name} (momentum {factor})";
        }

        if (values.TryGetValue("nesterov", out var nesterov) && nesterov is true)
        {
            name += ", nesterov";
        }

        if (values.TryGetValue("weightDecay", out var decay) && decay is double wd && wd != 0)
        {
            name += ", wd " + ExperimentSettings.Format(wd);
        }

        if (values.TryGetValue("lrSchedule", out var schedule) && schedule is string s && s != "constant")
        {
            name += ", " + s;
        }

        return name;
    }

    /// <summary>The input options in a few words: <c>raw</c>, or e.g. <c>deskew, shifts, standardize</c>.</summary>
    private static string Input(Dictionary<string, object> values)
    {
        var parts = new List<string>(3);
        if (values.TryGetValue("deskew", out var deskew) && deskew is true)
        {
            parts.Add("deskew");
        }

        if (values.TryGetValue("augment", out var augment) && augment is string a && a != "none")
        {
            parts.Add(a);
        }

        if (values.TryGetValue("normalize", out var normalize) && normalize is string n && n != "none")
        {
            parts.Add(n);
        }

        return parts.Count == 0 ? "raw" : string.Join(", ", parts);
    }

    private static string Number(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
