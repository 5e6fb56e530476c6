using System.Text.Json;
using Experiments.Data;
using Experiments.Generated;
using Experiments.History;
using Experiments.Models;
using Experiments.Training;
using Microsoft.Data.Sqlite;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>
/// The run cache in runs of the command line: an experiment whose configuration, code and dataset already have a
/// completed result is not trained again (and its dataset not read), unless one of them changed or --force.
/// </summary>
public sealed class RunCacheTests : IDisposable
{
    private static readonly ExperimentSettings OneEpoch = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, params string[] args) => Run(catalog, null, args);

    private (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, Func<DatasetStoreOptions, DatasetStoreOptions>? datasets, params string[] args)
    {
        var console = new TestConsole().Width(320);
        var exitCode = TestHost.Run([.. args, "--data-root", RepositoryPaths.Data, "--results", results.Path], console, catalog, datasets, CancellationToken.None);
        return (exitCode, console.Output);
    }

    private JsonElement Latest(int index)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results.Path, "latest.json")));
        return json.RootElement[index].Clone();
    }

    [Fact]
    public void A_second_run_answers_from_the_cache_without_training_or_reading_the_dataset()
    {
        var a = new CachingExperiment("a", OneEpoch);
        var b = new CachingExperiment("b", OneEpoch with { LearningRate = 0.1 }) { Fingerprint = "generator 2" };
        var (firstExit, first) = Run([a, b], "all");
        Assert.True(firstExit == 0, first);
        Assert.Equal((1, 1), (a.Trained, b.Trained));
        Assert.False(Latest(0).GetProperty("cached").GetBoolean());
        Assert.Equal("linear 784-10", Latest(0).GetProperty("architecture").GetString());
        Assert.Equal(7850, Latest(0).GetProperty("parameterCount").GetInt64());

        var (secondExit, second) = Run([a, b], "all");
        Assert.True(secondExit == 0, second);
        Assert.Equal((1, 1), (a.Trained, b.Trained));
        Assert.DoesNotContain("read in", second, StringComparison.Ordinal); // the dataset store's log of a read
        Assert.Contains("cached (run 1)", second, StringComparison.Ordinal);
        Assert.Contains("cached: ", second, StringComparison.Ordinal);
        Assert.Contains("7,850", second, StringComparison.Ordinal);
        Assert.Contains("Run 2 (completed)", second, StringComparison.Ordinal);
        var latest = Latest(1);
        Assert.True(latest.GetProperty("cached").GetBoolean());
        Assert.Equal(1, latest.GetProperty("cachedFrom").GetInt64());
        Assert.Contains("| cached (run 1) |", File.ReadAllText(Path.Combine(results.Path, "latest.md")), StringComparison.Ordinal);

        // The new run records them as cached results with the whole state, so show and report cover it.
        using (var store = ResultStore.OpenExisting(results.Path))
        {
            var trained = store.ResultsOfRun(1, withWeights: true);
            var cached = store.ResultsOfRun(2, withWeights: true);
            Assert.Equal(["a", "b"], cached.Select(r => r.Experiment));
            Assert.All(cached, r => Assert.Equal(1, r.Result.CachedFromRun));
            Assert.Equal(trained.Select(r => r.Result.Test!.Accuracy), cached.Select(r => r.Result.Test!.Accuracy));
            Assert.Equal(trained[0].Result.State!.Entries[0].Values, cached[0].Result.State!.Entries[0].Values);
            Assert.Equal(trained[0].CacheKey, cached[0].CacheKey);
        }

        var console = new TestConsole().Width(320);
        Assert.Equal(0, TestHost.Run(["show", "2", "--results", results.Path], console, []));
        Assert.Contains("cached (run 1)", console.Output, StringComparison.Ordinal);
        Assert.Contains("2 (2 cached)", console.Output, StringComparison.Ordinal);

        // runs counts the cached results; compare says the latest is the baseline's training reused.
        var runs = new TestConsole().Width(320);
        Assert.Equal(0, TestHost.Run(["runs", "--results", results.Path], runs, []));
        Assert.Matches(@"│\s+2 \(2 cached\) │", runs.Output);
        var compare = new TestConsole().Width(320);
        Assert.Equal(0, TestHost.Run(["compare", "--results", results.Path, "--format", "json"], compare, []));
        using (var json = JsonDocument.Parse(compare.Output))
        {
            Assert.Equal("linear 784-10 (cached from run 1)", json.RootElement[0].GetProperty("Model").GetString());
        }

        // A third run names the run that trained them, not the one that reused them.
        var (_, third) = Run([a, b], "all");
        Assert.Contains("cached (run 1)", third, StringComparison.Ordinal);
        Assert.Equal(1, Latest(0).GetProperty("cachedFrom").GetInt64());
    }

    [Fact]
    public void A_changed_configuration_or_code_fingerprint_trains_again()
    {
        var a = new CachingExperiment("a", OneEpoch) { Configuration = "1111" };
        Run([a], "all");
        a.Configuration = "2222";
        var (_, changedConfiguration) = Run([a], "all");
        Assert.Equal(2, a.Trained);
        Assert.DoesNotContain("cached", changedConfiguration, StringComparison.Ordinal);

        a.Fingerprint = "generator 2";
        Run([a], "all");
        Assert.Equal(3, a.Trained);
        Assert.False(Latest(0).GetProperty("cached").GetBoolean());

        // Both as they were in run 3: cached.
        Run([a], "all");
        Assert.Equal(3, a.Trained);
        Assert.Equal(3, Latest(0).GetProperty("cachedFrom").GetInt64());
    }

    [Fact]
    public void Changed_dataset_content_is_a_miss()
    {
        var a = new CachingExperiment("a", OneEpoch);
        Run([a], "all");

        // Other expected content for one file (as a new release of the dataset would have): the key differs, so it
        // trains (and here the files on disk fail the check, so the result is a failure, not the old one).
        var changed = DatasetCatalog.Mnist with { Sha256 = new Dictionary<string, string>(DatasetCatalog.Mnist.Sha256) { [IdxFileNames.TestLabels] = new string('0', 64) } };
        var (exit, output) = Run([a], options => options with { Datasets = [changed] }, "all");
        Assert.Equal(ExitCodes.ExperimentFailed, exit);
        Assert.DoesNotContain("cached", output, StringComparison.Ordinal);
        Assert.Contains("SHA-256 mismatch", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_loader_fault_fails_only_the_experiments_of_that_dataset()
    {
        // A description the loader cannot serve (an IDX dataset without test files; the build refuses it, code can
        // make it) is not a runner failure: its experiments fail with the reason, the run is recorded, exit 1.
        var a = new CachingExperiment("a", OneEpoch);
        var broken = DatasetCatalog.Mnist with { Test = null, TestFraction = 0.2 };
        var (exit, output) = Run([a], options => options with { Datasets = [broken] }, "all");
        Assert.Equal(ExitCodes.ExperimentFailed, exit);
        Assert.Contains("a drawn test split of IDX files is not supported", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.Contains("recorded in", output, StringComparison.Ordinal);

        // And again, with the first run's failure in the history: the run cache's checks fail the same way, not the runner.
        (exit, output) = Run([a], options => options with { Datasets = [broken] }, "all");
        Assert.Equal(ExitCodes.ExperimentFailed, exit);
        Assert.Contains("a drawn test split of IDX files is not supported", output.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Fact]
    public void Force_trains_again_and_records_keys_the_next_run_uses()
    {
        var a = new CachingExperiment("a", OneEpoch);
        Run([a], "all");
        var (exit, forced) = Run([a], "run", "a", "--force");
        Assert.True(exit == 0, forced);
        Assert.Equal(2, a.Trained);
        Assert.DoesNotContain("cached", forced, StringComparison.Ordinal);

        Run([a], "run", "a");
        Assert.Equal(2, a.Trained);
        Assert.Equal(2, Latest(0).GetProperty("cachedFrom").GetInt64());
    }

    [Fact]
    public void Experiments_without_a_configuration_hash_or_code_fingerprint_are_never_cached()
    {
        var noConfiguration = new CachingExperiment("no-configuration", OneEpoch) { Configuration = null };
        var noFingerprint = new CachingExperiment("no-fingerprint", OneEpoch) { Fingerprint = null };
        Run([noConfiguration, noFingerprint], "all");
        var (_, second) = Run([noConfiguration, noFingerprint], "all");
        Assert.Equal((2, 2), (noConfiguration.Trained, noFingerprint.Trained));
        Assert.DoesNotContain("cached", second, StringComparison.Ordinal);
    }

    [Fact]
    public void A_diverged_result_is_not_reused()
    {
        // Weight decay 1 at learning rate 100 multiplies the weights by -99 per step: they overflow within the epoch.
        var a = new CachingExperiment("a", OneEpoch with { LearningRate = 100, WeightDecay = 1 });
        Run([a], "all");
        Assert.Equal("diverged", Latest(0).GetProperty("status").GetString());
        Run([a], "all");
        Assert.Equal(2, a.Trained);
        Assert.False(Latest(0).GetProperty("cached").GetBoolean());
    }

    [Fact]
    public void A_damaged_cached_row_or_a_missing_state_trains_again_with_a_warning()
    {
        var a = new CachingExperiment("a", OneEpoch);
        var stateless = new CachingExperiment("stateless", OneEpoch) { FillState = false };
        Run([a, stateless], "all");
        using (var connection = new SqliteConnection($"Data Source={ResultStore.PathIn(results.Path)};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE result_state SET value_data = substr(value_data, 1, 10) WHERE result_id = 1 AND position = 0";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var (exit, output) = Run([a, stateless], "all");
        Assert.True(exit == 0, output);
        Assert.Equal((2, 2), (a.Trained, stateless.Trained));
        Assert.Contains("warning: a is trained again: the run cache cannot reuse result 1 (run 1, experiment 'a')", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.Contains("state entry 'weight' cannot be read", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.Contains("stored without its model state", output.ReplaceLineEndings(""), StringComparison.Ordinal);

        // What was trained again is reused next time.
        Run([a, stateless], "all");
        Assert.Equal(2, a.Trained);
        Assert.Equal(2, Latest(0).GetProperty("cachedFrom").GetInt64());
    }

    /// <summary>A linear experiment with a configuration hash and a code fingerprint (as generated ones have) that counts its trainings and fills its state.</summary>
    private sealed class CachingExperiment(string name, ExperimentSettings settings) : IExperiment
    {
        public string Name => name;

        public string Description => name;

        public string SourceFile => "test";

        public string Dataset => "mnist";

        public ExperimentSettings Settings => settings;

        public string? Configuration { get; set; } = "c0nf1g-" + name + "-" + settings.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public string? Fingerprint { get; set; } = "generator 1";

        public bool FillState { get; init; } = true;

        public int Trained { get; private set; }

        public string? ConfigurationSha256 => Configuration;

        public string? CodeFingerprint => Fingerprint;

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => torch.nn.Linear(784, 10);

        public ExperimentResult Run(ExperimentContext context)
        {
            Trained++;
            // The trainer fills the state; an experiment (or an older runtime) that leaves it out is not reusable.
            var result = Trainer.Run(this, context);
            return FillState ? result : result with { State = null };
        }
    }
}
