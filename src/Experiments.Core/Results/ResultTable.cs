using System.Globalization;
using Experiments.Reporting;

namespace Experiments.Results;

/// <summary>
/// The results table's columns, shared by the console table of a run, latest.md, <c>show</c>, <c>export --format
/// md</c> and the HTML report, so all show the same columns and the same (invariant-culture) numbers. A table that
/// shows more (the stored status word, the YAML hash) adds or replaces columns by what they are.
/// </summary>
public static class ResultTable
{
    public static Column<ExperimentResult> Experiment { get; } = new("Experiment", r => r.Experiment);

    public static Column<ExperimentResult> Dataset { get; } = new("Dataset", r => r.Dataset);

    /// <summary>The architecture in one line (<see cref="Models.ModelSummary.Architecture"/>), e.g. <c>linear 784-10</c>.</summary>
    public static Column<ExperimentResult> Model { get; } = new("Model", r => r.Model?.Architecture ?? "-");

    /// <summary>Trainable parameters, with thousands separators (invariant culture): <c>7,850</c>.</summary>
    public static Column<ExperimentResult> Parameters { get; } = new("Params", r => ParameterCount(r) is { } count ? new Cell(FormatCount(count), count) : "-", Numeric: true);

    public static Column<ExperimentResult> Optimizer { get; } = new("Optimizer", r => OptimizerText(Values(r)));

    public static Column<ExperimentResult> LearningRate { get; } = Hyperparameter("LR", "learningRate");

    public static Column<ExperimentResult> Batch { get; } = Hyperparameter("Batch", "batchSize");

    public static Column<ExperimentResult> Epochs { get; } = Hyperparameter("Epochs", "epochs");

    public static Column<ExperimentResult> Output { get; } = new("Output", r => Values(r).TryGetValue("outputActivation", out var value) ? ExperimentSettings.Format(value) : "");

    public static Column<ExperimentResult> Accuracy { get; } = new("Accuracy (%)", r => Cell.Of(r.Test?.Accuracy, "F2"), Numeric: true);

    public static Column<ExperimentResult> Loss { get; } = new("Loss", r => Cell.Of(r.Test?.Loss, "F4"), Numeric: true);

    public static Column<ExperimentResult> TrainSeconds { get; } = new("Train (s)", r => Cell.Of(r.Status != ExperimentStatus.Failed ? r.TrainSeconds : null, "F2"), Numeric: true);

    /// <summary>The status word, or for a result the run cache reused <c>cached (run 3)</c>: the run that trained it.</summary>
    public static Column<ExperimentResult> Status { get; } = new("Status", r => StatusText(r, RunStatusWord(r.Status)));

    public static Column<ExperimentResult> Input { get; } = new("Input", r => InputText(Values(r)));

    public static Column<ExperimentResult> ValidationAccuracy { get; } = new("Val. accuracy (%)", r => Cell.Of(r.Validation?.Accuracy, "F2"), Numeric: true);

    /// <summary>The columns, in order.</summary>
    public static IReadOnlyList<Column<ExperimentResult>> Columns { get; } =
    [
        Experiment, Dataset, Model, Parameters, Optimizer, LearningRate, Batch, Epochs, Output, Accuracy, Loss, TrainSeconds, Status, Input, ValidationAccuracy,
    ];

    /// <summary>The table of <paramref name="results"/>, with a note under it for each failed or diverged one saying why.</summary>
    public static TextTable Table(IReadOnlyList<ExperimentResult> results, string title = "Results")
    {
        ArgumentNullException.ThrowIfNull(results);
        return TextTable.Of(title, Columns, results) with { Notes = Notes(results, markdown: true) };
    }

    /// <summary>Why each failed or diverged result ended as it did, one line each.</summary>
    public static IReadOnlyList<string> Notes(IEnumerable<ExperimentResult> results, bool markdown)
    {
        ArgumentNullException.ThrowIfNull(results);
        var name = markdown ? (Func<string, string>)(n => "**" + n + "**") : n => n;
        var list = results.ToList();
        return list.Where(r => r.Error is not null).Select(r => $"{name(r.Experiment)} failed: {r.Error!.ReplaceLineEndings(" ")}")
            .Concat(list.Where(r => r.DivergenceReason is not null).Select(r => $"{name(r.Experiment)} diverged: {r.DivergenceReason!.ReplaceLineEndings(" ")}"))
            .ToList();
    }

    private static string RunStatusWord(ExperimentStatus status) => status.ToString().ToLowerInvariant();

    /// <summary><paramref name="status"/>, or <c>cached (run N)</c> for a result the run cache reused.</summary>
    public static string StatusText(ExperimentResult result, string status)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.CachedFromRun is { } run ? $"cached (run {run.ToString(CultureInfo.InvariantCulture)})" : status;
    }

    /// <summary>The model's trainable parameters: from its summary, else counted in its state; null when unknown.</summary>
    public static long? ParameterCount(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Model is { ParameterCount: >= 0 } model ? model.ParameterCount
            : result.State is { } state ? state.ParameterCount
            : null;
    }

    /// <summary>A count with thousands separators in the invariant culture: <c>1,234,567</c>.</summary>
    public static string FormatCount(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    private static Dictionary<string, object> Values(ExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in result.Hyperparameters)
        {
            values[key] = value;
        }

        return values;
    }

    private static Column<ExperimentResult> Hyperparameter(string header, string key) => new(header, r =>
    {
        if (!Values(r).TryGetValue(key, out var value))
        {
            return "";
        }

        var text = ExperimentSettings.Format(value);
        return value switch
        {
            int i => new Cell(text, i),
            long l => new Cell(text, l),
            double d when double.IsFinite(d) => new Cell(text, d),
            _ => text,
        };
    }, Numeric: true);

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

    private static string OptimizerText(Dictionary<string, object> values)
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
    private static string InputText(Dictionary<string, object> values)
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
}
