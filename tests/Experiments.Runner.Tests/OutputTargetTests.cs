using System.Diagnostics;
using System.Text.Json;
using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary><c>export --output</c> and <c>report --output</c> to standard output (<c>-</c>) and to a device.</summary>
public sealed class OutputTargetTests : IDisposable
{
    private readonly TemporaryDirectory results = new();

    public OutputTargetTests()
    {
        using var store = ResultStore.OpenOrCreate(results.Path);
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, start);
        store.AddResult(run, HistoryCommandTests.Result("seed-recipe", 82.5), new ExperimentSource("experiments/seed-recipe.yaml", "aa"));
        store.FinishRun(run, RunStatus.Completed, start.AddSeconds(1));
    }

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, ExperimentCatalog.All);
        return (exitCode, console.Output);
    }

    [Fact]
    public void Export_to_a_dash_writes_the_export_alone_to_standard_output()
    {
        var (exitCode, output) = Run("export", "--format", "json", "--output", "-", "--results", results.Path);
        Assert.True(exitCode == 0, output);
        using var json = JsonDocument.Parse(output); // nothing but the JSON
        Assert.Equal(1, json.RootElement.GetProperty("run").GetProperty("id").GetInt64());
        Assert.False(File.Exists("-"));
    }

    [Fact]
    public void Report_to_a_dash_writes_the_html_alone_to_standard_output()
    {
        var (exitCode, output) = Run("report", "--output", "-", "--results", results.Path);
        Assert.True(exitCode == 0, output);
        Assert.StartsWith("<!DOCTYPE html>", output, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", output, StringComparison.Ordinal);
        Assert.Contains("seed-recipe", output, StringComparison.Ordinal);
        Assert.False(File.Exists("-"));
    }

    [Fact]
    public void Export_through_a_relative_symbolic_link_from_the_current_folder_writes_its_target()
    {
        using var folder = new TemporaryDirectory();
        Directory.CreateDirectory(folder.Combine("kept"));
        File.CreateSymbolicLink(folder.Combine("latest.md"), Path.Combine("kept", "run.md")); // as `ln -s kept/run.md latest.md`
        using var runner = RunnerProcess.In(folder.Path, "export", "--format", "md", "--output", "latest.md", "--results", results.Path);
        Assert.True(runner.WaitForExit() == 0, runner.Output);
        Assert.NotNull(new FileInfo(folder.Combine("latest.md")).LinkTarget);
        Assert.Contains("| seed-recipe |", File.ReadAllText(folder.Combine("kept", "run.md")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("export", "--format", "md")]
    [InlineData("report")]
    public void Writing_to_a_full_device_is_a_clear_error_and_leaves_the_device(params string[] command)
    {
        var (exitCode, output) = Run([.. command, "--output", "/dev/full", "--results", results.Path]);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("'/dev/full'", output, StringComparison.Ordinal);
        Assert.Contains("No space left on device", output, StringComparison.Ordinal);
        using var stat = Process.Start(new ProcessStartInfo("stat", ["--format=%F", "/dev/full"]) { RedirectStandardOutput = true })!;
        Assert.Equal("character special file", stat.StandardOutput.ReadToEnd().Trim());
    }
}
