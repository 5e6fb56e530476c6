using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;
using TorchSharp;

namespace Experiments.Runner.Tests;

/// <summary>Control characters from the YAML files (and from the run history that recorded them) never reach the terminal.</summary>
public sealed class TerminalOutputTests : IDisposable
{
    /// <summary>Retitles the terminal (OSC 0 … BEL), then clears it (CSI 2 J).</summary>
    private const string Hostile = "\u001b]0;PWNED\u0007\u001b[2J";

    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static (int ExitCode, string Output) Run(IReadOnlyList<IExperiment> catalog, params string[] args)
    {
        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(args, console, catalog);
        return (exitCode, console.Output);
    }

    private static void AssertNoControlCharacters(string output)
    {
        var controls = output.Where(c => char.IsControl(c) && c is not '\n' and not '\r').Select(c => $"U+{(int)c:X4}").Distinct().ToList();
        Assert.True(controls.Count == 0, $"control characters {string.Join(", ", controls)} in:\n{output}");
    }

    [Fact]
    public void List_shows_a_hostile_description_escaped_with_the_rest_of_its_text()
    {
        var catalog = new[] { new FakeExperiment("hostile", "Looks harmless " + Hostile + "until listed", "experiments/\u009bodd.yaml") };
        var (exitCode, output) = Run(catalog, "list");
        Assert.Equal(0, exitCode);
        AssertNoControlCharacters(output);
        Assert.Contains(@"Looks harmless \u001b]0;PWNED\u0007\u001b[2Juntil listed", output, StringComparison.Ordinal);
        Assert.Contains(@"experiments/\u009bodd.yaml", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_that_matches_nothing_is_echoed_escaped()
    {
        var (exitCode, output) = Run(ExperimentCatalog.All, "run", "seed" + Hostile);
        Assert.Equal(ExitCodes.UsageError, exitCode);
        AssertNoControlCharacters(output);
        Assert.Contains(@"No experiment matches 'seed\u001b]0;PWNED\u0007\u001b[2J'", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Tables_from_the_run_history_are_escaped_on_the_console_and_exact_in_an_export()
    {
        var name = "tuned" + Hostile;
        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
            var run = store.StartRun(new RunInfo { CommandLine = "experiments run " + Hostile, Machine = "m\u0007", OperatingSystem = "os", DotnetVersion = ".NET" }, start);
            store.AddResult(run, HistoryCommandTests.Result(name, 90), new ExperimentSource("experiments/t.yaml", "aa"));
            store.AddResult(run, HistoryCommandTests.Result("broken", double.NaN) with { Status = ExperimentStatus.Failed, Test = null, Error = "bad\u001b[31m file" });
            store.FinishRun(run, RunStatus.Failed, start.AddSeconds(1));
        }

        foreach (var command in new[] { new[] { "show", "1" }, ["runs"], ["history", name], ["compare"] })
        {
            var (exitCode, output) = Run(ExperimentCatalog.All, [.. command, "--results", results.Path]);
            Assert.True(exitCode == 0, output);
            AssertNoControlCharacters(output);
            Assert.Contains(@"\u001b", output, StringComparison.Ordinal);
        }

        var (_, show) = Run(ExperimentCatalog.All, "show", "1", "--results", results.Path);
        Assert.Contains(@"tuned\u001b]0;PWNED\u0007\u001b[2J", show, StringComparison.Ordinal);
        Assert.Contains(@"bad\u001b[31m file", show, StringComparison.Ordinal);

        // An export into a pipe or a file (here: the test console, not a terminal) is the exact text.
        var (exportExit, export) = Run(ExperimentCatalog.All, "export", "--format", "md", "--results", results.Path);
        Assert.Equal(0, exportExit);
        Assert.Contains(name, export, StringComparison.Ordinal);
    }

    private sealed class FakeExperiment(string name, string description, string sourceFile) : IExperiment
    {
        public string Name => name;

        public string Description => description;

        public string SourceFile => sourceFile;

        public string Dataset => "mnist";

        public ExperimentSettings Settings { get; } = new() { InputSize = 784, NumClasses = 10, Epochs = 1, BatchSize = 100, LearningRate = 0.01 };

        public torch.nn.Module<torch.Tensor, torch.Tensor> CreateModel() => throw new NotSupportedException("never trained here");

        public ExperimentResult Run(ExperimentContext context) => throw new NotSupportedException("never trained here");
    }
}
