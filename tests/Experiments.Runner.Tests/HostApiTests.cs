using Experiments.Generated;
using Experiments.History;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// The host library's public API as a user's code calls it: <see cref="ExperimentHost.RunExperiments"/> and its
/// summary, exporters (a user's own, a list without the pictures, one that throws), event handlers (the order of the
/// events, one that throws), the application name in help texts and hints, and where data and results go by default.
/// The runs train the UCI digits CSV (0.1 s).
/// </summary>
public sealed class HostApiTests : IDisposable
{
    private const string Tiny = "digits-csv";

    private readonly TemporaryDirectory project = new();
    private readonly TestConsole console = new TestConsole().Width(300);

    public void Dispose() => project.Dispose();

    private string Results => project.Combine("results");

    /// <summary>A catalog of the shipped experiments whose project is a temporary folder, with the repository's data.</summary>
    private IExperimentCatalog Catalog(string applicationName = "dotnet run --") =>
        ExperimentCatalogs.Create(ExperimentCatalog.All, DatasetCatalog.All, new ExperimentProject
        {
            ApplicationName = applicationName,
            ProjectDirectory = project.Path,
            DataRoot = RepositoryPaths.Data + "/",
            ResultsDirectory = Results + "/",
        });

    private string Output => console.Output.ReplaceLineEndings("");

    [Fact]
    public void RunExperiments_returns_a_summary_with_the_results_in_the_folders_of_the_catalogs_project()
    {
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        Assert.Equal(1, summary.RunId);
        Assert.Equal(RunOutcome.Completed, summary.Status);
        var result = Assert.Single(summary.Results);
        Assert.Equal(Tiny, result.Experiment);
        Assert.Equal(ExperimentStatus.Completed, result.Status);
        Assert.True(result.Test!.Accuracy > 80, Output);
        Assert.Equal(Results, summary.ResultsDirectory);
        Assert.Equal(RepositoryPaths.Data, summary.DataRoot);
        Assert.True(summary.Elapsed > TimeSpan.Zero);

        // Every default exporter ran, in order, and the files it names are there.
        Assert.Equal(["pictures", "report.html", "latest.json", "latest.md"], summary.Exports.Select(e => e.Exporter));
        Assert.All(summary.Exports, e => Assert.False(e.Failed, e.Error));
        Assert.Contains(Path.Combine(Results, "1", "report.html"), summary.Exports[1].Files);
        Assert.NotEmpty(summary.Exports[0].Files);
        Assert.All(summary.Exports.SelectMany(e => e.Files), file => Assert.True(File.Exists(file), file));

        // Recorded as the command line would: the history holds the run and its result.
        using var store = ResultStore.OpenExisting(Results);
        Assert.Equal("experiments run digits-csv", Assert.Single(store.Runs()).Info.CommandLine);
        Assert.Equal(Tiny, Assert.Single(store.ResultsOfRun(1)).Experiment);
    }

    [Fact]
    public void RunExperiments_with_a_name_that_matches_nothing_throws_what_run_prints()
    {
        var exception = Assert.Throws<ArgumentException>(() => ExperimentHost.RunExperiments(Catalog(), ["digits-cvs"], new ExperimentHostOptions { Console = console }));

        Assert.Equal(ExitCodes.UsageError, ExperimentHost.Run(["run", "digits-cvs"], Catalog(), new ExperimentHostOptions { Console = console }));
        Assert.Contains("digits-cvs", exception.Message, StringComparison.Ordinal);
        Assert.Contains("error: " + exception.Message.ReplaceLineEndings(""), Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Results)); // nothing ran
    }

    [Fact]
    public void A_users_exporter_is_called_once_with_the_summary_and_its_files_are_reported_and_a_list_without_pictures_draws_none()
    {
        var mine = new FileExporter();
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, Exporters = [mine] });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        var seen = Assert.Single(mine.Summaries);
        Assert.Equal(summary.RunId, seen.RunId);
        Assert.Equal(summary.Results, seen.Results);
        Assert.Empty(seen.Exports); // what the others wrote is only in the final summary
        Assert.Equal(Path.Combine(Results, "1"), mine.RunDirectory);
        Assert.Equal([("mine", 1)], summary.Exports.Select(e => (e.Exporter, e.Files.Count)));
        Assert.Equal(Path.Combine(Results, "mine.txt"), summary.Exports[0].Files[0]);
        Assert.Equal("1 result(s) of run 1", File.ReadAllText(summary.Exports[0].Files[0]));
        Assert.Equal("completed", mine.RunStatusInHistory); // the run history was finished before the first exporter

        // Neither pictures nor the report nor latest.json/md: only the run history, the checkpoint and mine.
        Assert.Empty(Directory.GetFiles(Results, "*.png", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Results, "report.html", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(Results, "latest.json")));
    }

    [Fact]
    public void An_exporter_that_throws_is_reported_by_name_and_the_other_exporters_and_the_history_are_kept()
    {
        var after = new FileExporter();
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, Exporters = [new ThrowingExporter(), new LatestJsonExporter(), after] });

        Assert.Equal(ExitCodes.ExperimentFailed, summary.ExitCode);
        Assert.Equal(RunOutcome.Completed, summary.Status); // the experiments did complete
        Assert.Contains("The exporter boom failed: the disk is on fire", Output, StringComparison.Ordinal);
        var boom = Assert.Single(summary.Exports, e => e.Exporter == "boom");
        Assert.True(boom.Failed);
        Assert.Equal("the disk is on fire", boom.Error);
        Assert.Empty(boom.Files);
        Assert.Single(after.Summaries);
        Assert.True(File.Exists(Path.Combine(Results, "latest.json")));
        using var store = ResultStore.OpenExisting(Results);
        Assert.Equal(RunStatus.Completed, Assert.Single(store.Runs()).Status);
        Assert.Equal(Tiny, Assert.Single(store.ResultsOfRun(1)).Experiment);
    }

    [Fact]
    public void Without_the_run_history_a_run_is_not_recorded_and_trains_again()
    {
        var options = new ExperimentHostOptions { Console = console, RecordHistory = false, Exporters = [new LatestJsonExporter()] };
        var first = ExperimentHost.RunExperiments(Catalog(), [Tiny], options);
        var second = ExperimentHost.RunExperiments(Catalog(), [Tiny], options);

        Assert.True(second.ExitCode == ExitCodes.Success, Output);
        Assert.Null(first.RunId);
        Assert.Null(Assert.Single(second.Results).CachedFromRun);
        Assert.False(File.Exists(Path.Combine(Results, ResultStore.FileName)));
        Assert.True(File.Exists(Path.Combine(Results, "latest.json")));
        Assert.Contains("not recorded (ExperimentHostOptions.RecordHistory is false)", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_event_handler_gets_the_events_in_order()
    {
        var handler = new RecordingHandler();
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, EventHandlers = [handler] });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        var epochs = ExperimentCatalog.All.Single(e => e.Name == Tiny).Settings.Epochs;
        string[] expected =
        [
            "RunStarted 1 digits-csv", "Scope", "ExperimentStarted digits-csv 1/1",
            .. Enumerable.Range(1, epochs).Select(epoch => $"EpochCompleted digits-csv {epoch}/{epochs}"),
            "ExperimentCompleted digits-csv Completed", "Scoped", "RunCompleted 1 Completed 4 exports",
        ];
        Assert.Equal(expected, handler.Events.Where(e => !e.StartsWith("BatchCompleted", StringComparison.Ordinal)));
        Assert.Same(summary, handler.Summary);

        // Without the default handler, no progress lines: only the run's own messages.
        Assert.DoesNotContain("epoch 1/", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_handler_that_throws_is_reported_gets_no_more_events_and_loses_nothing_of_the_run()
    {
        var failing = new RecordingHandler { ThrowIn = "EpochCompleted" };
        var after = new RecordingHandler();
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, EventHandlers = [failing, after] });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        Assert.Equal(ExperimentStatus.Completed, Assert.Single(summary.Results).Status);
        Assert.Contains($"warning: the event handler {typeof(RecordingHandler).FullName} failed in EpochCompleted (InvalidOperationException: handler broke)", Output, StringComparison.Ordinal);
        // The one that threw, then no event (its Wrap, under way, returns as the training ends).
        Assert.Equal(["RunStarted 1 digits-csv", "Scope", "ExperimentStarted digits-csv 1/1", "EpochCompleted digits-csv 1/50", "Scoped"], failing.Events);
        Assert.Equal("RunCompleted 1 Completed 4 exports", after.Events[^1]); // the others get everything
        using var store = ResultStore.OpenExisting(Results);
        Assert.Equal(RunStatus.Completed, Assert.Single(store.Runs()).Status);
    }

    [Fact]
    public void The_application_name_is_in_the_help_and_in_the_hints()
    {
        var options = new ExperimentHostOptions { Console = console, ApplicationName = "my-lab-cli" };
        Assert.Equal(0, ExperimentHost.Run(["--help"], Catalog(), options));
        Assert.Contains("my-lab-cli", Output, StringComparison.Ordinal);

        console.Clear(home: true);
        Assert.Equal(ExitCodes.UsageError, ExperimentHost.Run(["al"], Catalog(), options));
        Assert.Contains("Run 'my-lab-cli --help' for the commands and options.", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_catalogs_application_name_is_in_the_missing_dataset_hint()
    {
        var empty = project.Combine("empty-data");
        Directory.CreateDirectory(empty);
        var options = new ExperimentHostOptions { Console = console, DataRoot = empty, ConfigureDatasetStore = o => o with { SystemSearchDirectories = [] } };

        // MNIST, which --download can fetch (nothing trains: its files are not there).
        var summary = ExperimentHost.RunExperiments(Catalog("mylab"), ["seed-recipe"], options);

        Assert.Equal(ExitCodes.ExperimentFailed, summary.ExitCode);
        Assert.Equal(empty, summary.DataRoot);
        Assert.True(Output.Contains("mylab all --download", StringComparison.Ordinal), Output);
        Assert.DoesNotContain("--project runner", Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hosts_options_override_the_projects_folders_and_the_project_is_where_git_is_asked()
    {
        var host = HostSettings.Resolve(Catalog(), new ExperimentHostOptions { Console = console, DataRoot = "/srv/data", ResultsDirectory = "out" });

        Assert.Equal("/srv/data", host.DataRoot(null));
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "out"), host.Results(null));
        Assert.Equal("/given", host.Results("/given"));
        Assert.Equal(project.Path, host.GitDirectory);
        Assert.Equal("dotnet run --", host.ApplicationName);
    }

    [Fact]
    public void A_catalog_of_an_unknown_project_uses_the_current_directory()
    {
        var host = HostSettings.Resolve(ExperimentCatalogs.Create(ExperimentCatalog.All, DatasetCatalog.All, ExperimentProject.Unknown), new ExperimentHostOptions { Console = console });

        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data"), host.DataRoot(null));
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "results"), host.Results(null));
        Assert.Equal(Environment.CurrentDirectory, host.GitDirectory);
        Assert.Equal(ExperimentProject.Unknown.ApplicationName, host.ApplicationName);
    }

    [Fact]
    public void RunExperiments_refuses_what_the_command_line_refuses_and_unusable_options()
    {
        var catalog = Catalog();
        string Refused(IEnumerable<string>? names, ExperimentHostOptions options) =>
            Assert.Throws<ArgumentException>(() => ExperimentHost.RunExperiments(catalog, names, options)).Message;

        Assert.StartsWith("ExperimentHostOptions.Force and ExperimentHostOptions.Resume cannot be used together: ExperimentHostOptions.Force trains every experiment from the start", Refused([Tiny], new() { Console = console, Force = true, Resume = true }), StringComparison.Ordinal);
        Assert.StartsWith("ExperimentHostOptions.Threads must be at least 1, but is 0", Refused([Tiny], new() { Console = console, Threads = 0 }), StringComparison.Ordinal);
        Assert.StartsWith($"ExperimentHostOptions.Threads must be at most the {Environment.ProcessorCount} core(s) this machine has", Refused([Tiny], new() { Console = console, Threads = Environment.ProcessorCount + 1 }), StringComparison.Ordinal);
        Assert.StartsWith("no experiment names given", Refused([], new() { Console = console }), StringComparison.Ordinal);
        Assert.StartsWith("names[1] is null", Refused([Tiny, null!], new() { Console = console }), StringComparison.Ordinal);
        Assert.StartsWith("ExperimentHostOptions.Exporters[2] is null", Refused(null, new() { Console = console, Exporters = [new LatestJsonExporter(), new LatestMarkdownExporter(), null!] }), StringComparison.Ordinal);
        Assert.StartsWith("ExperimentHostOptions.EventHandlers[0] is null", Refused(null, new() { Console = console, EventHandlers = [null!] }), StringComparison.Ordinal);

        // The command line's own words for the same mistakes, and unusable options refused there too.
        Assert.Equal(ExitCodes.UsageError, ExperimentHost.Run(["run", Tiny, "--force", "--resume"], catalog, new ExperimentHostOptions { Console = console }));
        Assert.Contains("--force and --resume cannot be used together: --force trains every experiment from the start", Output, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ExperimentHost.Run(["list"], catalog, new ExperimentHostOptions { Console = console, Threads = 0 }));
        Assert.False(Directory.Exists(Results)); // nothing ran
    }

    [Fact]
    public void The_options_run_settings_are_the_command_lines_defaults_and_the_command_line_wins()
    {
        var options = new ExperimentHostOptions { Console = console, Force = true };
        Assert.Equal(ExitCodes.Success, ExperimentHost.Run(["run", Tiny], Catalog(), options));
        Assert.Equal(ExitCodes.Success, ExperimentHost.Run(["run", Tiny], Catalog(), options));

        // --resume given wins over the options' Force: not refused, and the run cache answers again.
        Assert.True(ExperimentHost.Run(["run", Tiny, "--resume"], Catalog(), options) == ExitCodes.Success, Output);
        using var store = ResultStore.OpenExisting(Results);
        Assert.Null(Assert.Single(store.ResultsOfRun(2)).Result.CachedFromRun); // Force: trained again
        Assert.NotNull(Assert.Single(store.ResultsOfRun(3)).Result.CachedFromRun);
    }

    [Fact]
    public void A_data_root_set_in_the_options_that_does_not_exist_is_refused_before_anything_is_recorded_unless_datasets_are_downloaded()
    {
        var missing = project.Combine("no-data");
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, DataRoot = missing });

        Assert.Equal(ExitCodes.UsageError, summary.ExitCode);
        Assert.Equal(RunOutcome.Failed, summary.Status);
        Assert.Null(summary.RunId);
        Assert.Contains($"error: the data root '{missing}' set in ExperimentHostOptions.DataRoot does not exist. Give the folder that holds one folder per dataset (digits/", Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Results));

        // Downloading creates it, as a first run of a new project does (the CSV has no download: its experiment fails).
        var downloading = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, DataRoot = missing, Download = true, ConfigureDatasetStore = o => o with { SystemSearchDirectories = [] } });
        Assert.True(Directory.Exists(missing));
        Assert.Equal(ExitCodes.ExperimentFailed, downloading.ExitCode);
        Assert.Equal(1, downloading.RunId);
    }

    [Fact]
    public void The_projects_data_root_may_not_exist_yet_a_download_run_creates_it_and_a_run_without_one_says_how_to_fetch()
    {
        var fresh = project.Combine("fresh", "data");
        var catalog = ExperimentCatalogs.Create(ExperimentCatalog.All, DatasetCatalog.All, new ExperimentProject
        {
            ApplicationName = "mylab",
            ProjectDirectory = project.Path,
            DataRoot = fresh + "/",
            ResultsDirectory = Results + "/",
        });
        var options = new ExperimentHostOptions { Console = console, ConfigureDatasetStore = o => o with { SystemSearchDirectories = [] } };

        // Not refused: the dataset's own message names the folders searched and the download command (MNIST has one).
        var offline = ExperimentHost.RunExperiments(catalog, ["seed-recipe"], options);
        Assert.Equal(ExitCodes.ExperimentFailed, offline.ExitCode);
        Assert.Equal(fresh, offline.DataRoot);
        Assert.True(Output.Contains("mylab all --download", StringComparison.Ordinal), Output);
        Assert.DoesNotContain("ExperimentHostOptions.DataRoot", Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(fresh));

        var downloading = ExperimentHost.RunExperiments(catalog, [Tiny], new ExperimentHostOptions { Console = console, Download = true, ConfigureDatasetStore = options.ConfigureDatasetStore });
        Assert.True(Directory.Exists(fresh));
        Assert.Equal(ExitCodes.ExperimentFailed, downloading.ExitCode); // the CSV has nothing to download
    }

    [Fact]
    public void RunExperiments_stopped_by_its_token_is_interrupted_and_the_history_says_so()
    {
        using var stop = new CancellationTokenSource();
        var handler = new RecordingHandler { OnEpoch = stop.Cancel };
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, EventHandlers = [handler] }, stop.Token);

        Assert.Equal(RunOutcome.Interrupted, summary.Status);
        Assert.Equal(ExitCodes.Cancelled, summary.ExitCode);
        Assert.Empty(summary.Results);
        Assert.Empty(summary.Exports); // nothing finished: the result files are left as they were
        Assert.Contains("Interrupted:", Output, StringComparison.Ordinal);
        Assert.Equal(RunOutcome.Interrupted, handler.Summary?.Status);
        using var store = ResultStore.OpenExisting(Results);
        Assert.Equal(RunStatus.Interrupted, Assert.Single(store.Runs()).Status);
    }

    [Fact]
    public void A_progress_scope_that_throws_before_the_training_is_reported_and_the_run_trains_without_it()
    {
        var failing = new RecordingHandler { ThrowIn = "Scope" };
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, EventHandlers = [failing] });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        Assert.Equal(ExperimentStatus.Completed, Assert.Single(summary.Results).Status);
        Assert.Contains($"warning: the event handler {typeof(RecordingHandler).FullName} failed in IRunProgressScope.Run (InvalidOperationException: handler broke)", Output, StringComparison.Ordinal);
        Assert.Equal(["RunStarted 1 digits-csv", "Scope"], failing.Events);
    }

    [Fact]
    public void A_handler_that_throws_in_RunCompleted_is_reported_and_the_summary_and_history_are_kept()
    {
        var failing = new RecordingHandler { ThrowIn = "RunCompleted" };
        var after = new RecordingHandler();
        var summary = ExperimentHost.RunExperiments(Catalog(), [Tiny], new ExperimentHostOptions { Console = console, EventHandlers = [failing, after] });

        Assert.True(summary.ExitCode == ExitCodes.Success, Output);
        Assert.Same(summary, failing.Summary);
        Assert.Same(summary, after.Summary);
        Assert.Contains($"warning: the event handler {typeof(RecordingHandler).FullName} failed in RunCompleted (InvalidOperationException: handler broke)", Output, StringComparison.Ordinal);
        using var store = ResultStore.OpenExisting(Results);
        Assert.Equal(RunStatus.Completed, Assert.Single(store.Runs()).Status);
    }

    [Fact]
    public void An_exporter_can_be_tested_with_a_summary_and_a_context_of_its_own()
    {
        var summary = new RunSummary { Status = RunOutcome.Completed, Results = [HistoryCommandTests.Result(Tiny, 91.5)], ResultsDirectory = project.Path, DataRoot = project.Path };

        var files = new LatestJsonExporter().Export(summary, new RunExportContext(project.Path, runDirectory: null, console, "my-lab"));

        Assert.Equal([project.Combine("latest.json")], files);
        Assert.Contains($"\"{Tiny}\"", File.ReadAllText(files[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_console_is_the_hosts_own_and_leaves_AnsiConsole_Console_as_it_was()
    {
        var width = Spectre.Console.AnsiConsole.Console.Profile.Width;
        var host = HostSettings.Resolve(Catalog(), null);

        Assert.NotSame(Spectre.Console.AnsiConsole.Console, host.Console);
        Assert.Equal(width, Spectre.Console.AnsiConsole.Console.Profile.Width);
        Assert.True(System.Console.IsOutputRedirected); // as under dotnet test: then 200 columns
        Assert.Equal(200, host.Console.Profile.Width);
    }

    [Fact]
    public void A_handlers_failure_whose_warning_cannot_be_written_does_not_escape_and_still_drops_the_handler()
    {
        var failing = new RecordingHandler { ThrowIn = "RunCompleted" };
        var after = new RecordingHandler();
        var events = new RunEvents([failing, after], new BrokenConsole(), CancellationToken.None);
        var summary = new RunSummary { Status = RunOutcome.Completed, Results = [], ResultsDirectory = project.Path, DataRoot = project.Path };

        events.RunCompleted(summary);
        events.RunCompleted(summary);

        Assert.Single(failing.Events); // dropped after its failure
        Assert.Equal(2, after.Events.Count);
    }

    private sealed class BrokenConsole : InterceptingConsole
    {
        public override void Write(Spectre.Console.Rendering.IRenderable renderable) => throw new IOException("Broken pipe");
    }

    private sealed class FileExporter : IRunExporter
    {
        public List<RunSummary> Summaries { get; } = [];

        public string? RunDirectory { get; private set; }

        public string? RunStatusInHistory { get; private set; }

        public string Name => "mine";

        public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context)
        {
            Summaries.Add(summary);
            RunDirectory = context.RunDirectory;
            if (summary.RunId is { } runId && File.Exists(Path.Combine(context.ResultsDirectory, ResultStore.FileName)))
            {
                using var store = ResultStore.OpenExisting(context.ResultsDirectory);
                RunStatusInHistory = store.Runs().Single(r => r.Id == runId).Status;
            }

            var path = Path.Combine(context.ResultsDirectory, "mine.txt");
            File.WriteAllText(path, $"{summary.Results.Count} result(s) of run {summary.RunId}");
            return [path];
        }
    }

    private sealed class ThrowingExporter : IRunExporter
    {
        public string Name => "boom";

        public IReadOnlyList<string> Export(RunSummary summary, RunExportContext context) => throw new IOException("the disk is on fire");
    }

    private sealed class RecordingHandler : IRunEventHandler, IRunProgressScope
    {
        public List<string> Events { get; } = [];

        public RunSummary? Summary { get; private set; }

        public string? ThrowIn { get; init; }

        public Action? OnEpoch { get; init; }

        private void Add(string name, string text)
        {
            Events.Add(text);
            if (name == ThrowIn)
            {
                throw new InvalidOperationException("handler broke");
            }
        }

        public void RunStarted(RunStartedEvent run) => Add("RunStarted", $"RunStarted {run.RunId} {string.Join(',', run.Experiments.Select(e => e.Name))}");

        public void Run(Action training)
        {
            Add("Scope", "Scope");
            training();
            Events.Add("Scoped");
        }

        public void ExperimentStarted(ExperimentStartedEvent experiment) => Add("ExperimentStarted", $"ExperimentStarted {experiment.Experiment.Name} {experiment.Index}/{experiment.Count}");

        public void EpochCompleted(EpochCompletedEvent epoch)
        {
            Add("EpochCompleted", $"EpochCompleted {epoch.Experiment.Name} {epoch.Report.Epoch}/{epoch.Report.TotalEpochs}");
            OnEpoch?.Invoke();
        }

        public void BatchCompleted(BatchCompletedEvent batch) => Add("BatchCompleted", $"BatchCompleted {batch.Experiment.Name}");

        public void ExperimentCompleted(ExperimentCompletedEvent experiment) => Add("ExperimentCompleted", $"ExperimentCompleted {experiment.Experiment.Name} {experiment.Result.Status}");

        public void RunCompleted(RunSummary summary)
        {
            Summary = summary;
            Add("RunCompleted", $"RunCompleted {summary.RunId} {summary.Status} {summary.Exports.Count} exports");
        }
    }
}
