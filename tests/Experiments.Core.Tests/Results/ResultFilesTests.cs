using System.Globalization;
using System.Text.Json;
using Experiments.Core.Tests.Data;
using Experiments.Results;

namespace Experiments.Core.Tests.Results;

public sealed class ResultFilesTests
{
    private static ExperimentResult Completed(string name, double accuracy) => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = ExperimentStatus.Completed,
        Hyperparameters = (new ExperimentSettings { InputSize = 784, NumClasses = 10, Epochs = 2, BatchSize = 100, LearningRate = 0.001, Momentum = 0.9 }).ToNamedValues(),
        Epochs = [new EpochMetrics(1, 1.5, 0.2), new EpochMetrics(2, double.NaN, 0.2)],
        Test = new Evaluation
        {
            Accuracy = accuracy,
            Loss = 0.5,
            PerClassAccuracy = [100, double.NaN],
            ConfusionMatrix = [[3, 0], [1, 0]],
            Count = 4,
        },
        TrainSeconds = 1.25,
        EvaluationSeconds = 0.01,
    };

    private static ExperimentResult Failed(string name) => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = ExperimentStatus.Failed,
        Hyperparameters = [],
        Error = "data/mnist: missing | files",
    };

    [Fact]
    public void Json_has_one_object_per_experiment_with_the_documented_fields()
    {
        using var document = JsonDocument.Parse(ResultFiles.ToJson([Completed("a", 82.5), Failed("b")]));
        var rows = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);

        var a = rows[0];
        Assert.Equal("a", a.GetProperty("experiment").GetString());
        Assert.Equal("mnist", a.GetProperty("dataset").GetString());
        Assert.Equal(82.5, a.GetProperty("accuracy").GetDouble());
        Assert.Equal(0.5, a.GetProperty("loss").GetDouble());
        Assert.Equal(1.25, a.GetProperty("trainSeconds").GetDouble());
        Assert.Equal(784, a.GetProperty("hyperparameters").GetProperty("inputSize").GetInt32());
        Assert.Equal(0.001, a.GetProperty("hyperparameters").GetProperty("learningRate").GetDouble());
        Assert.Equal("sgd", a.GetProperty("hyperparameters").GetProperty("optimizer").GetString());
        Assert.Equal(2, a.GetProperty("epochs").GetArrayLength());
        Assert.Equal(1.5, a.GetProperty("epochs")[0].GetProperty("trainLoss").GetDouble());
        Assert.Equal(JsonValueKind.Null, a.GetProperty("epochs")[1].GetProperty("trainLoss").ValueKind); // NaN has no JSON form
        Assert.Equal(JsonValueKind.Null, a.GetProperty("perClassAccuracy")[1].ValueKind);
        Assert.Equal(3, a.GetProperty("confusionMatrix")[0][0].GetInt64());

        var b = rows[1];
        Assert.Equal("failed", b.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, b.GetProperty("accuracy").ValueKind);
        Assert.Equal("data/mnist: missing | files", b.GetProperty("error").GetString());
    }

    [Fact]
    public void Markdown_table_has_a_row_per_experiment_and_escapes_pipes()
    {
        var markdown = ResultFiles.ToMarkdown([Completed("a", 82.5) with { Model = Experiments.Models.ModelSummary.Linear(784, 10) }, Failed("b"), Completed("c|d", 1)]);
        var lines = markdown.Split('\n');
        Assert.StartsWith("| Experiment |", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("| a | mnist | linear 784-10 | 7,850 | sgd (momentum 0.9) | 0.001 | 100 | 2 | none | 82.50 | 0.5000 | 1.25 | completed |", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("| b | mnist | - | - |", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("| c\\|d | mnist |", lines[4], StringComparison.Ordinal);
        Assert.Contains("**b** failed: data/mnist: missing | files", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_use_the_invariant_culture_whatever_the_current_one()
    {
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            var markdown = ResultFiles.ToMarkdown([Completed("a", 82.5)]);
            Assert.Contains("| 0.001 |", markdown, StringComparison.Ordinal);
            Assert.Contains("| 82.50 |", markdown, StringComparison.Ordinal);
            Assert.DoesNotContain("82,50", markdown, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void WriteLatest_replaces_both_files_and_leaves_no_temporary_file()
    {
        using var directory = new TemporaryDirectory();
        var target = Path.Combine(directory.Path, "nested", "results");
        ResultFiles.WriteLatest(target, [Completed("old", 10)]);
        ResultFiles.WriteLatest(target, [Completed("new", 20)]);

        Assert.Equal(["latest.json", "latest.md"], Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("\"new\"", File.ReadAllText(Path.Combine(target, "latest.json")), StringComparison.Ordinal);
        Assert.DoesNotContain("old", File.ReadAllText(Path.Combine(target, "latest.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteLatest_through_a_latest_json_that_is_a_symbolic_link_keeps_the_link_and_updates_its_target()
    {
        using var directory = new TemporaryDirectory();
        var published = directory.Write("published/results.json", "old"u8.ToArray());
        var target = directory.Combine("results");
        Directory.CreateDirectory(target);
        var link = Path.Combine(target, ResultFiles.JsonFileName);
        File.CreateSymbolicLink(link, published);

        ResultFiles.WriteLatest(target, [Completed("new", 20)]);

        Assert.Equal(published, new FileInfo(link).LinkTarget);
        Assert.Contains("\"new\"", File.ReadAllText(published), StringComparison.Ordinal);
        Assert.Equal(["results.json"], Directory.GetFiles(directory.Combine("published")).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteLatest_into_a_path_that_is_a_file_fails_clearly_and_keeps_the_file()
    {
        using var directory = new TemporaryDirectory();
        var blocker = Path.Combine(directory.Path, "results");
        File.WriteAllText(blocker, "keep me");
        var error = Assert.Throws<IOException>(() => ResultFiles.WriteLatest(blocker, [Completed("a", 1)]));
        Assert.Contains(blocker, error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(blocker));
    }
}
