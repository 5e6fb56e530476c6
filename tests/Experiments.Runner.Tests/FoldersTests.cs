using Experiments.History;

namespace Experiments.Runner.Tests;

/// <summary>One rule for the data and the results folders, for every command (<see cref="Folders"/>).</summary>
public sealed class FoldersTests
{
    [Theory]
    [InlineData(null, "results", "/repo/", "/elsewhere", "/repo/results")]
    [InlineData(null, "data", "/repo/", "/elsewhere", "/repo/data")]
    [InlineData(null, "results", null, "/elsewhere", "/elsewhere/results")] // the checkout is gone
    [InlineData(null, "data", null, "/elsewhere", "/elsewhere/data")]
    [InlineData("out", "results", "/repo/", "/elsewhere", "/elsewhere/out")] // an option is relative to the current directory
    [InlineData("../shared/data", "data", "/repo/", "/elsewhere/sub", "/elsewhere/shared/data")]
    [InlineData("/srv/results", "results", "/repo/", "/elsewhere", "/srv/results")]
    public void Defaults_follow_the_repository_and_options_the_current_directory(string? option, string name, string? repository, string current, string expected) =>
        Assert.Equal(expected, Folders.Resolve(option, name, repository, current));

    [Fact]
    public void The_data_and_results_defaults_are_the_same_repositorys()
    {
        Assert.Equal(Path.GetFullPath(RepositoryPaths.Data), Folders.DataRoot(null));
        Assert.Equal(Path.Combine(Path.GetFullPath(RepositoryPaths.Root), "results"), Folders.Results(null));
    }

    [Fact]
    public void From_another_folder_a_reading_command_looks_in_the_repositorys_results_and_an_option_in_the_current_folder()
    {
        using var elsewhere = new TemporaryDirectory();
        var repositoryStore = Path.Combine(Path.GetFullPath(RepositoryPaths.Root), "results", ResultStore.FileName);
        using (var runs = RunnerProcess.In(elsewhere.Path, "runs"))
        {
            runs.WaitForExit();

            // Whether the repository has a run history or not, that is where the runner looked (not ./results).
            Assert.Contains(repositoryStore, runs.Output, StringComparison.Ordinal);
            Assert.False(Directory.Exists(elsewhere.Combine("results")));
        }

        using (var store = ResultStore.OpenOrCreate(elsewhere.Combine("mine")))
        {
            var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
            var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, start);
            store.AddResult(run, HistoryCommandTests.Result("seed-recipe", 82.5), new ExperimentSource("experiments/seed-recipe.yaml", "aa"));
            store.FinishRun(run, RunStatus.Completed, start.AddSeconds(1));
        }

        using var export = RunnerProcess.In(elsewhere.Path, "runs", "--results", "mine");
        Assert.True(export.WaitForExit() == 0, export.Output);
        Assert.Contains($"1 run(s) in {elsewhere.Combine("mine", ResultStore.FileName)}", export.Output, StringComparison.Ordinal);
    }
}
