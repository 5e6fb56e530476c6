using System.Globalization;
using System.Text.Json;
using Experiments.Generated;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>The command line, end to end, on the experiments this repository ships and the MNIST it ships.</summary>
public sealed class CommandLineTests
{
    private static (int ExitCode, string Output) Run(params string[] args) => Run(CancellationToken.None, args);

    private static (int ExitCode, string Output) Run(CancellationToken cancellationToken, params string[] args)
    {
        var console = new TestConsole().Width(200);
        var exitCode = TestHost.Run(args, console, ExperimentCatalog.All, cancellationToken);
        return (exitCode, console.Output);
    }

    [Fact]
    public void Catalog_holds_every_yaml_file_of_the_experiments_folder()
    {
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "experiments"), "*.yaml", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => !name!.StartsWith('_'))
            .Order(StringComparer.Ordinal);

        // One entry per file, or per combination of a sweep (named "file/key=value", marked with the file's name).
        Assert.Equal(files, ExperimentCatalog.All.Select(e => e.Sweep ?? e.Name).Distinct());
        Assert.All(ExperimentCatalog.All.Where(e => e.Sweep is not null), e => Assert.StartsWith(e.Sweep + "/", e.Name, StringComparison.Ordinal));
        Assert.Equal(3, ExperimentCatalog.All.Count(e => e.Sweep == "lr-sweep"));
        Assert.Contains(ExperimentCatalog.All, e => e.Name == "seed-recipe");
        Assert.Contains(ExperimentCatalog.All, e => e.Name == "seed-literal-softmax");
    }

    [Fact]
    public void List_shows_every_experiment()
    {
        var (exitCode, output) = Run("list");
        Assert.Equal(0, exitCode);
        foreach (var experiment in ExperimentCatalog.All)
        {
            Assert.Contains(experiment.Name, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void All_trains_every_shipped_experiment_and_writes_latest_json_and_md()
    {
        using var results = new TemporaryDirectory();
        var (exitCode, output) = Run("all", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.True(exitCode == 0, output);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json")));
        var rows = json.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("experiment").GetString()!);
        Assert.Equal(ExperimentCatalog.All.Select(e => e.Name).Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, row) in rows)
        {
            var experiment = ExperimentCatalog.All.Single(e => e.Name == name);
            Assert.Equal("completed", row.GetProperty("status").GetString());
            Assert.Equal(experiment.Dataset, row.GetProperty("dataset").GetString());
            Assert.Equal(experiment.Architecture.Architecture, row.GetProperty("architecture").GetString());
            Assert.Equal(experiment.Settings.LearningRate, row.GetProperty("hyperparameters").GetProperty("learningRate").GetDouble());
            Assert.Equal(experiment.Settings.Epochs, row.GetProperty("epochs").GetArrayLength());
            Assert.True(row.GetProperty("trainSeconds").GetDouble() > 0);
            Assert.InRange(row.GetProperty("loss").GetDouble(), 0, 10);
        }

        // The blog post's recipe lands in its band; the softmax pitfall far below it; a tuned recipe above 92%.
        Assert.InRange(rows["seed-recipe"].GetProperty("accuracy").GetDouble(), 81.5, 83.5);
        Assert.InRange(rows["seed-literal-softmax"].GetProperty("accuracy").GetDouble(), 30, 48);
        Assert.Contains(rows.Values, r => r.GetProperty("accuracy").GetDouble() >= 92.0);

        // The shipped best recipes meet issue 4's accuracy targets, 92.5% and 94.8% (92.60% and 95.78% measured here;
        // the raw-pixel bound leaves 0.3 points for another CPU's rounding). Their speed is the bench's to measure.
        Assert.True(rows["best-linear"].GetProperty("accuracy").GetDouble() >= 92.2, "best-linear: " + rows["best-linear"]);
        Assert.True(rows["best-deskewed"].GetProperty("accuracy").GetDouble() >= 94.8, "best-deskewed: " + rows["best-deskewed"]);

        // The models beyond one linear layer meet issue 10's targets (98.54%, 99.14%, 91.34% measured here), with
        // 0.2 points left for another CPU's rounding; their speed is the bench's and the README's to measure.
        Assert.True(rows["mlp"].GetProperty("accuracy").GetDouble() >= 97.8, "mlp: " + rows["mlp"]);
        Assert.True(rows["cnn"].GetProperty("accuracy").GetDouble() >= 98.8, "cnn: " + rows["cnn"]);
        Assert.True(rows["fashion-cnn"].GetProperty("accuracy").GetDouble() >= 90.8, "fashion-cnn: " + rows["fashion-cnn"]);
        Assert.True(rows["my-module"].GetProperty("accuracy").GetDouble() >= 97.0, "my-module: " + rows["my-module"]);

        // Issue 11's own data: logistic regression on the digits CSV and PNG folder reaches 95% on the stratified 25%
        // test split (96.23% and 96.45% measured here; scikit-learn's LogisticRegression gets 97.11% on its split).
        Assert.True(rows["digits-csv"].GetProperty("accuracy").GetDouble() >= 95.0, "digits-csv: " + rows["digits-csv"]);
        Assert.True(rows["digits-images"].GetProperty("accuracy").GetDouble() >= 95.0, "digits-images: " + rows["digits-images"]);

        // lr-sweep extends seed-recipe: its member at the same learning rate is the same experiment, bit for bit.
        Assert.Equal(rows["seed-recipe"].GetProperty("accuracy").GetDouble(), rows["lr-sweep/learningRate=0.001"].GetProperty("accuracy").GetDouble());
        Assert.Equal(rows["seed-recipe"].GetProperty("loss").GetDouble(), rows["lr-sweep/learningRate=0.001"].GetProperty("loss").GetDouble());

        var markdown = File.ReadAllText(Path.Combine(results.Path, "latest.md"));
        foreach (var name in rows.Keys)
        {
            Assert.Contains("| " + name + " |", markdown, StringComparison.Ordinal);
            Assert.Contains(name, output, StringComparison.Ordinal);
        }

        Assert.Contains("Accuracy", output, StringComparison.Ordinal);

        // The run and every result are in the run history, with the built configuration's hash and the learned weights.
        using var store = Experiments.History.ResultStore.OpenExisting(results.Path);
        var run = Assert.Single(store.Runs());
        Assert.Equal(Experiments.History.RunStatus.Completed, run.Status);
        Assert.Equal($"experiments all --data-root {RepositoryPaths.Data} --results {results.Path}", run.Info.CommandLine);
        Assert.NotNull(run.EndedAt);
        Assert.Contains($"Run {run.Id} (completed) recorded in", output, StringComparison.Ordinal);
        foreach (var stored in store.ResultsOfRun(run.Id, withWeights: true))
        {
            var experiment = ExperimentCatalog.All.Single(e => e.Name == stored.Experiment);
            Assert.Equal(experiment.ConfigurationSha256, stored.SourceSha256);
            Assert.Equal(rows[stored.Experiment].GetProperty("accuracy").GetDouble(), stored.Result.Test!.Accuracy);
            if (experiment.Architecture.Kind == Experiments.Models.ModelKind.Linear)
            {
                Assert.Equal((experiment.Settings.NumClasses, experiment.Settings.InputSize), (stored.Result.Weights!.Rows, stored.Result.Weights.Columns));
            }

            // Every model's full state is kept, and its parameter count is the generator's (a user module's is measured).
            Assert.NotNull(stored.Result.State);
            Assert.Equal(stored.Result.Model!.ParameterCount, stored.Result.State!.ParameterCount);
            if (experiment.Architecture.ParameterCount >= 0)
            {
                Assert.Equal(experiment.Architecture.ParameterCount, stored.Result.State.ParameterCount);
            }

            Assert.Equal(experiment.Settings.Epochs, stored.Result.Epochs.Count);
            Assert.Equal(stored.Result.Test.Accuracy, stored.Result.Epochs[^1].TestAccuracy); // the last epoch's model is the one tested
        }
    }

    [Fact]
    public void Run_with_an_unknown_name_fails_with_a_suggestion_and_runs_nothing()
    {
        using var results = new TemporaryDirectory();
        var (exitCode, output) = Run("run", "seed-recipee", "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("No experiment matches 'seed-recipee'", output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'seed-recipe'", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(results.Path, "latest.json")));
    }

    [Theory]
    [InlineData("Unrecognized command or argument 'train'", "train")]
    [InlineData("Required command was not provided", "--results", "x")]
    [InlineData("Required argument missing for command: 'run'", "run")]
    [InlineData("Required argument missing for option: '--results'", "all", "--results")]
    [InlineData("--data-root needs a directory, but is followed by the option '--download'", "all", "--data-root", "--download")]
    [InlineData("Unrecognized command or argument '--data-rot'", "all", "--data-rot", "/tmp")]
    [InlineData("Unrecognized option '--data-rot'", "run", "seed-recipe", "--data-rot", "/tmp")]
    [InlineData("Unrecognized command or argument '--bogus'", "all", "--bogus")]
    [InlineData("Unrecognized command or argument '--results'", "list", "--results", "x")]
    [InlineData("--threads must be at least 1, but is 0", "all", "--threads", "0")]
    [InlineData("Cannot parse argument 'x' for option '--threads'", "all", "--threads", "x")]
    [InlineData("--results needs a directory", "all", "--results", " ")]
    public void Bad_arguments_are_usage_errors_that_name_the_problem_and_run_nothing(string expected, params string[] args)
    {
        // In an empty current directory, so that a default results/ written by mistake would show.
        using var scratch = new TemporaryDirectory();
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(scratch.Path);
        int exitCode;
        string output;
        try
        {
            (exitCode, output) = Run(args);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(scratch.Path));
    }

    [Theory]
    [InlineData("run", "{0}")]
    [InlineData("run", "seed-recipe", "--threads", "{0}")]
    [InlineData("run", "seed-recipe", "--data-root", "/tmp/{0}")]
    [InlineData("all", "--results", "/tmp/{0}")]
    [InlineData("runs", "--results", "{0}")]
    [InlineData("export", "--format", "md", "--output", "/tmp/{0}")]
    [InlineData("{0}")]
    public void A_long_argument_is_echoed_once_and_shortened(params string[] template)
    {
        var argument = new string('x', 100_000);
        using var results = new TemporaryDirectory();
        string[] args = [.. template.Select(a => a.Replace("{0}", argument, StringComparison.Ordinal))];
        if (!args.Contains("--results"))
        {
            args = [.. args, "--results", results.Path];
        }

        var (exitCode, output) = Run(args);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.True(output.Length < 2_000, $"{output.Length} characters of output");
        // Once, as its first 80 characters and its length ("/tmp/" and 75 of the x's, for a path).
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(output, @"x{75,80}… \(100,00[05] characters\)"));
        Assert.DoesNotContain(new string('x', 81), output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
    }

    [Fact]
    public void More_threads_than_cores_are_refused_with_the_core_count_and_as_many_are_accepted()
    {
        using var results = new TemporaryDirectory();
        var cores = Environment.ProcessorCount;
        var tooMany = (cores + 1).ToString(CultureInfo.InvariantCulture);
        var (exitCode, output) = Run("run", "seed-recipe", "--threads", tooMany, "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"--threads must be at most the {cores} core(s) this machine has (Environment.ProcessorCount), but is {tooMany}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(results.Path));

        // As many threads as cores pass the option's check: the name that matches nothing is what stops this one.
        var (allowedExit, allowed) = Run("run", "no-such-experiment", "--threads", cores.ToString(CultureInfo.InvariantCulture), "--results", results.Path);
        Assert.Equal(ExitCodes.UsageError, allowedExit);
        Assert.Contains("No experiment matches 'no-such-experiment'", allowed, StringComparison.Ordinal);
        Assert.DoesNotContain("--threads", allowed, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_dataset_marks_experiments_failed_names_the_files_and_keeps_the_previous_result_files()
    {
        using var dataRoot = new TemporaryDirectory();
        using var results = new TemporaryDirectory();
        var previous = WritePreviousResults(results.Path);

        var (exitCode, output) = Run("run", "seed-*", "--data-root", dataRoot.Path, "--results", results.Path);

        Assert.Equal(ExitCodes.ExperimentFailed, exitCode);
        Assert.Contains("train-images-idx3-ubyte", output, StringComparison.Ordinal);
        Assert.Contains("--download", output, StringComparison.Ordinal);
        Assert.Contains("No dataset could be loaded, so the result files were left as they were.", output, StringComparison.Ordinal);
        Assert.Equal(previous, ResultFilesIn(results.Path));

        // The failures are in the run history.
        using var store = Experiments.History.ResultStore.OpenExisting(results.Path);
        var run = Assert.Single(store.Runs());
        Assert.Equal(Experiments.History.RunStatus.Failed, run.Status);
        var recorded = store.ResultsOfRun(run.Id);
        Assert.Equal(["seed-literal-softmax", "seed-recipe"], recorded.Select(r => r.Experiment));
        Assert.All(recorded, r => Assert.Equal("failed", r.Status));
        Assert.All(recorded, r => Assert.Contains("train-images-idx3-ubyte", r.Result.Error, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_data_root_that_does_not_exist_stops_the_run_before_anything_is_recorded_or_written(bool download)
    {
        using var scratch = new TemporaryDirectory();
        var mistyped = scratch.Combine("dtaa");
        var results = scratch.Combine("results");
        Directory.CreateDirectory(results);
        var previous = WritePreviousResults(results);

        var (exitCode, output) = Run(["run", "seed-recipe", "--data-root", mistyped, "--results", results, .. download ? new[] { "--download" } : []]);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"the data root '{mistyped}' given with --data-root does not exist", output, StringComparison.Ordinal);
        Assert.Equal(download, output.Contains("create it first", StringComparison.Ordinal));
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal(previous, ResultFilesIn(results));
        Assert.Equal(["latest.json", "latest.md"], Directory.GetFiles(results).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no run history
        Assert.False(Directory.Exists(mistyped));
    }

    [Fact]
    public void A_data_root_that_is_a_file_stops_the_run_before_anything_is_written()
    {
        using var scratch = new TemporaryDirectory();
        var file = scratch.Combine("mnist.tar");
        File.WriteAllText(file, "not a folder");
        var results = scratch.Combine("results");

        var (exitCode, output) = Run("run", "seed-recipe", "--data-root", file, "--results", results);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"the data root '{file}' given with --data-root is a file, not a folder", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(results));
    }

    /// <summary>latest.json and latest.md of an earlier run; returns every file of the folder with its content.</summary>
    private static Dictionary<string, string> WritePreviousResults(string results)
    {
        File.WriteAllText(Path.Combine(results, "latest.json"), "[{\"experiment\": \"seed-recipe\", \"status\": \"completed\", \"accuracy\": 92.1}]\n");
        File.WriteAllText(Path.Combine(results, "latest.md"), "| seed-recipe | 92.10 | completed |\n");
        return ResultFilesIn(results);
    }

    private static Dictionary<string, string> ResultFilesIn(string results) =>
        Directory.GetFiles(results, "latest.*").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

    [Fact]
    public void Missing_dataset_hint_fetches_into_the_same_data_root()
    {
        using var dataRoot = new TemporaryDirectory();
        using var results = new TemporaryDirectory();
        var (_, output) = Run("run", "seed-recipe", "--data-root", dataRoot.Path, "--results", results.Path);
        Assert.Contains($"dotnet run --project runner -- all --download --data-root {dataRoot.Path}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Unwritable_results_location_fails_before_training_and_keeps_what_is_there()
    {
        using var scratch = new TemporaryDirectory();
        var blocker = Path.Combine(scratch.Path, "not-a-directory");
        File.WriteAllText(blocker, "a file where the results directory should be");

        var (exitCode, output) = Run("run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", blocker);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"Cannot write results into '{blocker}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.Equal("a file where the results directory should be", File.ReadAllText(blocker));
    }

    [Fact]
    public void Cancelling_before_any_experiment_finishes_leaves_the_previous_results_alone()
    {
        using var results = new TemporaryDirectory();
        var latest = Path.Combine(results.Path, "latest.json");
        File.WriteAllText(latest, "[\"previous run\"]");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        var (exitCode, output) = Run(cancellation.Token, "run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results.Path);

        Assert.Equal(ExitCodes.Cancelled, exitCode);
        Assert.Contains("result files were left as they were", output, StringComparison.Ordinal);
        Assert.Equal("[\"previous run\"]", File.ReadAllText(latest));
    }

    [Fact]
    public void Numbers_on_the_console_use_the_invariant_culture()
    {
        using var results = new TemporaryDirectory();
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var (exitCode, output) = Run("run", "seed-recipe", "--data-root", RepositoryPaths.Data, "--results", results.Path);

            Assert.Equal(0, exitCode);
            Assert.Matches(@"train loss \d\.\d{4}", output);
            Assert.Matches(@"\d\d\.\d\d% in \d+\.\d\d s", output);
            // Parameter counts have invariant thousands separators (7,850, not 7.850); no number has a decimal comma.
            Assert.Contains(" 7,850 ", output, StringComparison.Ordinal);
            Assert.DoesNotContain("7.850", output, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"\d,\d", System.Text.RegularExpressions.Regex.Replace(output, @"\b\d{1,3}(,\d{3})+\b", "N"));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
