using Experiments.Checkpoints;
using Experiments.History;
using Spectre.Console.Testing;
using static Experiments.Runner.Tests.CheckpointRunTests;

namespace Experiments.Runner.Tests;

/// <summary>
/// <see cref="CheckpointLocator"/>, which <c>predict</c> and <c>export-model</c> use: <c>EXPERIMENT</c> is its latest
/// saved model, <c>run:ID/EXPERIMENT</c> that run's; every way of not finding one is a usage error that says what there is.
/// </summary>
public sealed class CheckpointLocatorTests : IClassFixture<CheckpointLocatorTests.History>
{
    private readonly History history;

    public CheckpointLocatorTests(History history) => this.history = history;

    /// <summary>
    /// Run 1 trains <c>a</c> and <c>blows-up</c> (diverged); run 2 answers <c>a</c> from the cache; run 3 holds
    /// <c>old</c>, recorded as completed without a checkpoint (as before checkpoints were kept).
    /// </summary>
    public sealed class History : IDisposable
    {
        public History()
        {
            IExperiment[] catalog = [new CheckpointedExperiment("a", OneEpoch), new CheckpointedExperiment("blows-up", OneEpoch with { LearningRate = 100, WeightDecay = 1 })];
            foreach (var _ in new[] { 1, 2 })
            {
                var console = new TestConsole().Width(300);
                Assert.True(TestHost.Run(["all", "--data-root", RepositoryPaths.Data, "--results", Results.Path], console, catalog) == 0, console.Output);
            }

            using var store = ResultStore.OpenExisting(Results.Path);
            var trained = store.ResultsOfRun(1).Single(r => r.Experiment == "a").Result;
            store.AddResult(store.StartRun(new RunInfo { CommandLine = "old", Machine = "m", OperatingSystem = "Linux", DotnetVersion = "10" }, DateTimeOffset.UtcNow), trained with { Experiment = "old", Checkpoint = null });
        }

        internal TemporaryDirectory Results { get; } = new();

        public void Dispose() => Results.Dispose();
    }

    private LocatedCheckpoint Locate(string reference)
    {
        using var store = ResultStore.OpenExisting(history.Results.Path);
        return CheckpointLocator.Locate(store, history.Results.Path, reference, Experiments.Generated.ExperimentCatalog.Project.ApplicationName);
    }

    private string Error(string reference) => Assert.Throws<UsageException>(() => Locate(reference)).Message;

    [Fact]
    public void An_experiments_name_finds_its_latest_saved_model_and_a_run_reference_that_runs()
    {
        var latest = Locate("a");
        Assert.Equal("run:2/a", latest.Reference);
        Assert.Equal(1, latest.Stored.Result.CachedFromRun);
        Assert.Equal(history.Results.Combine("1", "a"), latest.Directory); // the cached row's checkpoint is run 1's
        Assert.Equal("a", latest.Config.Experiment);

        var first = Locate("run:1/a");
        Assert.Equal("run:1/a", first.Reference);
        Assert.Equal(history.Results.Combine("1", "a"), first.Directory);
        Assert.Equal(first.Stored.Result.Test!.Accuracy, first.Config.TestAccuracy);
    }

    [Fact]
    public void An_unknown_experiment_says_which_there_are_with_the_closest()
    {
        Assert.Equal($"No results of 'aa' in '{ResultStore.PathIn(history.Results.Path)}'; did you mean 'a'? Experiments with results: a, blows-up, old", Error("aa"));
    }

    [Theory]
    [InlineData("run:x/a")]
    [InlineData("run:1")]
    [InlineData("run:1/")]
    [InlineData("run:/a")]
    [InlineData("run:-1/a")]
    public void A_malformed_run_reference_says_what_one_looks_like(string reference)
    {
        Assert.Equal($"'{reference}' is not a model reference: give an experiment's name (its latest model), or run:ID/EXPERIMENT, e.g. run:7/cnn", Error(reference));
    }

    [Fact]
    public void An_unknown_run_or_an_experiment_not_in_the_run_says_what_there_is()
    {
        Assert.Equal($"There is no run 9 in '{ResultStore.PathIn(history.Results.Path)}' (runs are 1 to 3)", Error("run:9/a"));
        Assert.Equal("Run 1 has no result of 'b'; did you mean 'a'? Its experiments: a, blows-up", Error("run:1/b"));
    }

    [Fact]
    public void A_result_that_did_not_complete_has_no_model()
    {
        var hint = "so it has no trained model; train it with 'dotnet run --project runner -- run blows-up'";
        Assert.Equal($"the latest result of 'blows-up' (run 2) is diverged, {hint}", Error("blows-up"));
        Assert.Equal($"run:1/blows-up is diverged, {hint}", Error("run:1/blows-up"));
    }

    [Fact]
    public void A_result_recorded_without_a_checkpoint_says_so_and_how_to_get_one()
    {
        var hint = "has no saved model (it was recorded before checkpoints were kept); train it again with 'dotnet run --project runner -- run old --force'";
        Assert.Equal($"the latest result of 'old' (run 3) {hint}", Error("old"));
        Assert.Equal($"run:3/old {hint}", Error("run:3/old"));
    }

    [Fact]
    public void A_checkpoint_file_changed_since_the_history_recorded_it_is_refused()
    {
        var path = history.Results.Combine("1", "a", CheckpointFiles.Config);
        var original = File.ReadAllBytes(path);
        try
        {
            File.WriteAllBytes(path, [.. original[..^1], (byte)' ']);
            var message = Error("a");
            Assert.StartsWith($"The model of run:2/a cannot be used: The checkpoint file '{path}' changed since it was written: its SHA-256 is ", message, StringComparison.Ordinal);

            File.Delete(path);
            Assert.Equal($"The model of run:1/a cannot be used: The checkpoint file '{path}' is missing (deleted or moved since it was written)", Error("run:1/a"));
        }
        finally
        {
            File.WriteAllBytes(path, original);
        }
    }
}
