using Experiments.History;

namespace Experiments.Runner.Tests;

/// <summary>One rule for the data and the results folders, for every command (<see cref="Folders"/>).</summary>
public sealed class FoldersTests
{
    [Theory]
    [InlineData("out", "/configured", "/repo", "/repo/results/", "/elsewhere", "/elsewhere/out")] // an option is relative to the current directory
    [InlineData(null, "configured", "/repo", "/repo/results/", "/elsewhere", "/elsewhere/configured")] // then the host's option, the same way
    [InlineData("../shared/data", null, null, null, "/elsewhere/sub", "/elsewhere/shared/data")]
    [InlineData("/srv/results", null, "/repo", "/repo/results/", "/elsewhere", "/srv/results")]
    [InlineData(null, null, null, null, "/elsewhere", "/elsewhere/results")] // an unknown project
    [InlineData(null, null, "/no-such-project-folder", "/no-such-project-folder/results/", "/elsewhere", "/elsewhere/results")] // the project is gone
    [InlineData(null, null, null, "/tmp/results/", "/elsewhere", "/elsewhere/results")] // a folder without its project: not used
    public void An_option_then_the_hosts_option_then_the_current_directory_when_the_project_is_not_there(string? option, string? configured, string? projectDirectory, string? project, string current, string expected) =>
        Assert.Equal(expected, Folders.Resolve(option, configured, projectDirectory, project, Folders.ResultsName, current));

    [Fact]
    public void Without_options_the_projects_folder_while_the_project_exists()
    {
        using var project = new TemporaryDirectory();
        var results = project.Combine("results") + "/";

        // results/ need not exist yet (the first run creates it): its project does.
        Assert.Equal(project.Combine("results"), Folders.Resolve(null, null, project.Path, results, Folders.ResultsName, "/elsewhere"));
    }

    [Fact]
    public void A_nested_results_folder_of_an_existing_project_is_used_although_its_parent_does_not_exist_yet()
    {
        using var project = new TemporaryDirectory();
        var nested = project.Combine("out", "runs") + "/";
        Assert.False(Directory.Exists(project.Combine("out")));

        Assert.Equal(project.Combine("out", "runs"), Folders.Resolve(null, null, project.Path, nested, Folders.ResultsName, "/elsewhere"));

        // The folder's parent existing is not what counts: the project's folder is (here it is gone).
        var elsewhere = Path.GetTempPath();
        Assert.Equal("/elsewhere/results", Folders.Resolve(null, null, Path.Combine(elsewhere, "no-such-project-" + Guid.NewGuid().ToString("N")), Path.Combine(elsewhere, "results") + "/", Folders.ResultsName, "/elsewhere"));
    }

    [Fact]
    public void The_data_and_results_defaults_are_the_same_repositorys()
    {
        var host = HostSettings.Resolve(Experiments.Generated.ExperimentCatalog.Instance, new ExperimentHostOptions { Console = new Spectre.Console.Testing.TestConsole() });
        Assert.Equal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(RepositoryPaths.Data)), host.DataRoot(null));
        Assert.Equal(Path.Combine(Path.GetFullPath(RepositoryPaths.Root), "results"), host.Results(null));
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
