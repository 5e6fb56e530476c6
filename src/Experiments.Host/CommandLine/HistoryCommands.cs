using System.CommandLine;
using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>The commands that read the run history: <c>runs</c>, <c>show</c>, <c>compare</c>, <c>history</c>, <c>export</c> and <c>report</c>.</summary>
internal static class HistoryCommands
{
    public static IEnumerable<Command> Create(HostSettings host)
    {
        var console = host.Console;
        var results = ResultsOption(host);
        var runsStore = StoreOption(host);
        var runs = new Command("runs", "List the recorded runs.") { results, runsStore };
        runs.SetAction(parse => WithStore(host, parse.GetValue(runsStore), host.Results(parse.GetValue(results)), store =>
        {
            var list = store.Runs();
            ConsoleTables.Write(console, HistoryTables.Runs(list));
            console.MarkupLineInterpolated(TerminalText.Format, $"{list.Count} run(s) in {Name(store)}");
            return 0;
        }));

        var showResults = ResultsOption(host);
        var runId = new Argument<long>("RUN") { Description = "The run's id (see 'runs')." };
        var showExperiment = new Argument<string?>("EXPERIMENT") { Description = "One experiment of the run: its result and its model's layers.", Arity = ArgumentArity.ZeroOrOne };
        var showStore = StoreOption(host);
        var show = new Command("show", "Show one run in full: where it ran, its results, per-class accuracy; or one experiment of it with its model's layers.") { runId, showExperiment, showResults, showStore };
        show.SetAction(parse => WithStore(host, parse.GetValue(showStore), host.Results(parse.GetValue(showResults)), store =>
        {
            var run = FindRun(store, parse.GetValue(runId));
            var stored = store.ResultsOfRun(run.Id);
            if (parse.GetValue(showExperiment) is { } name)
            {
                ShowExperiment(console, run, stored, name);
                return 0;
            }

            ConsoleTables.Write(console, HistoryTables.RunFacts(run));
            if (run.Progress is not null)
            {
                ConsoleTables.Write(console, HistoryTables.Workers("Workers", new WorkQueue(store).Workers(run.Id)));
            }

            ConsoleTables.Write(console, HistoryTables.Results("Results", stored));
            foreach (var perClass in HistoryTables.PerClassAccuracy(stored))
            {
                ConsoleTables.Write(console, perClass);
            }

            return 0;
        }));

        var compareResults = ResultsOption(host);
        var compareStore = StoreOption(host);
        var baseline = new Option<string>("--baseline")
        {
            Description = "What to compare with: a run id, an experiment name, or a git ref (commit, branch, tag). Default: each experiment's previous run.",
            HelpName = "RUN|REF|EXPERIMENT",
        };
        var compareFormat = FormatOption("table", "table", "md", "csv", "json");
        var compare = new Command("compare", "The latest result of each experiment against a baseline, with changes beyond run-to-run noise highlighted.")
        {
            baseline, compareFormat, compareResults, compareStore,
        };
        compare.SetAction(parse => WithStore(host, parse.GetValue(compareStore), host.Results(parse.GetValue(compareResults)), store =>
        {
            var (label, rows) = Comparison.Compare(store, parse.GetValue(baseline), reference => ResolveGitRef(host.GitDirectory, reference));
            Emit(console, Comparison.Table(label, rows), parse.GetValue(compareFormat)!);
            return 0;
        }));

        var historyResults = ResultsOption(host);
        var historyStore = StoreOption(host);
        var experiment = new Argument<string>("EXPERIMENT") { Description = "The experiment's name." };
        var historyFormat = FormatOption("table", "table", "md", "csv", "json");
        var history = new Command("history", "One experiment's results over time, marking where its YAML file changed.")
        {
            experiment, historyFormat, historyResults, historyStore,
        };
        history.SetAction(parse => WithStore(host, parse.GetValue(historyStore), host.Results(parse.GetValue(historyResults)), store =>
        {
            var name = parse.GetValue(experiment)!;
            var stored = HistoryTables.RequireResults(store, name);
            Emit(console, HistoryTables.History(name, stored, store.Runs().ToDictionary(r => r.Id)), parse.GetValue(historyFormat)!);
            return 0;
        }));

        var exportResults = ResultsOption(host);
        var exportStore = StoreOption(host);
        var exportFormat = FormatOption(null, "md", "csv", "json");
        exportFormat.Required = true;
        var exportRun = RunOption();
        var output = new Option<string>("--output") { Description = "Write to this file (atomically when it is a regular file; a device or a pipe in place) instead of the console; - is standard output.", HelpName = "FILE" };
        output.Validators.Add(result => CommandLineApp.RequirePathLength(result, "--output", result.GetValueOrDefault<string>() ?? ""));
        var export = new Command("export", "One run's results (default: the latest run) as Markdown, CSV or JSON.")
        {
            exportFormat, exportRun, output, exportResults, exportStore,
        };
        export.SetAction(parse => WithStore(host, parse.GetValue(exportStore), host.Results(parse.GetValue(exportResults)), store =>
        {
            var run = parse.GetValue(exportRun) is { } id ? FindRun(store, id) : LatestRun(store);
            var text = RunExport.Write(parse.GetValue(exportFormat)!, run, store.ResultsOfRun(run.Id));
            if (parse.GetValue(output) is { } file && file != StandardOutput)
            {
                try
                {
                    Results.AtomicFile.Write(file, System.Text.Encoding.UTF8.GetBytes(text));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}"); // names the file and why
                    return ExitCodes.UsageError;
                }

                console.MarkupLineInterpolated(TerminalText.Format, $"Run {run.Id} exported to [blue]{file}[/]");
            }
            else
            {
                WriteExport(console, text);
            }

            return 0;
        }));

        var reportResults = ResultsOption(host);
        var reportStore = StoreOption(host);
        var reportRun = RunOption();
        var reportOutput = new Option<string>("--output") { Description = "Where to write the HTML file (- is standard output). Default: RESULTS/RUN/report.html.", HelpName = "FILE" };
        reportOutput.Validators.Add(result => CommandLineApp.RequirePathLength(result, "--output", result.GetValueOrDefault<string>() ?? ""));
        var report = new Command("report", "Write one run (default: the latest) as a self-contained HTML file: tables and embedded pictures.")
        {
            reportRun, reportOutput, reportResults, reportStore,
        };
        report.SetAction(parse =>
        {
            var resultsDirectory = host.Results(parse.GetValue(reportResults));
            return WithStore(host, parse.GetValue(reportStore), resultsDirectory, store =>
            {
                var run = parse.GetValue(reportRun) is { } id ? FindRun(store, id) : LatestRun(store);
                var stored = store.ResultsOfRun(run.Id, withWeights: true);
                var runDirectory = Path.Combine(resultsDirectory, HistoryTables.Id(run.Id));
                var (html, pictures) = RunReport.Render(store, run, stored, drawn: null);
                try
                {
                    RunPlots.Save(runDirectory, pictures);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // The report embeds them, so it can still be written elsewhere (--output).
                    var warning = $"the pictures were not saved into '{runDirectory}' ({exception.Message}); the report embeds them";
                    if (parse.GetValue(reportOutput) == StandardOutput)
                    {
                        Console.Error.WriteLine("warning: " + TerminalText.Escape(warning)); // standard output carries the HTML
                    }
                    else
                    {
                        console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {warning}");
                    }
                }

                var file = parse.GetValue(reportOutput) ?? Path.Combine(runDirectory, HtmlReport.FileName);
                if (file == StandardOutput)
                {
                    // Only the HTML goes to standard output (e.g. into a pipe or a browser's stdin).
                    WriteExport(console, html);
                    return 0;
                }

                try
                {
                    var folder = Path.GetDirectoryName(Path.GetFullPath(file));
                    if (folder is not null)
                    {
                        Directory.CreateDirectory(folder);
                    }

                    Results.AtomicFile.Write(file, System.Text.Encoding.UTF8.GetBytes(html));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] cannot write the report to '{file}': {exception.Message}; make that folder writable, or pass --output FILE somewhere writable");
                    return ExitCodes.UsageError;
                }

                console.MarkupLineInterpolated(TerminalText.Format, $"Report of run {run.Id} ({stored.Count} results, {pictures.Count} pictures) written to [blue]{file}[/]");
                return 0;
            });
        });

        return [runs, show, compare, history, export, report];
    }

    /// <summary>The <c>--output</c> of <c>export</c> and <c>report</c> that means standard output, as for most Unix tools.</summary>
    internal const string StandardOutput = "-";

    /// <summary>The full commit id of a git ref in <paramref name="directory"/>'s checkout (the project's), or null.</summary>
    internal static string? ResolveGitRef(string directory, string reference) =>
        reference.StartsWith('-') ? null : RunInfo.Git(directory, "rev-parse", "--verify", "--quiet", "--end-of-options", reference + "^{commit}")?.Trim();

    internal static Option<string> ResultsOption(HostSettings host)
    {
        var option = new Option<string>("--results")
        {
            Description = $"The results folder holding the run history (experiments.db). Default: {host.Results(null)}",
            HelpName = "DIR",
        };
        option.Validators.Add(result => CommandLineApp.RequireText(result, "--results"));
        return option;
    }

    /// <summary><c>--store</c>: which run history (<see cref="HostSettings.Store"/>). Its value is never echoed: it may hold a password.</summary>
    internal static Option<string> StoreOption(HostSettings host)
    {
        var option = new Option<string>("--store")
        {
            Description = $"The run history: a PostgreSQL connection (postgresql://user@host:port/database, or Host=...;Database=...;Username=...; the password best from PGPASSWORD or ~/.pgpass) or an SQLite file. Default: {(host.Options.Store is not null ? "ExperimentHostOptions.Store" : $"the environment variable {StoreLocation.EnvironmentVariable}, else experiments.db in the results folder")}",
            HelpName = "CONNECTION",
        };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value))
            {
                result.AddError("--store needs a connection (postgresql://user@host:port/database) or an SQLite file's path");
            }
            else if (value.StartsWith("--", StringComparison.Ordinal))
            {
                result.AddError($"--store needs a connection, but is followed by the option '{TerminalText.Shorten(value)}'");
            }
        });
        return option;
    }

    /// <summary>How messages name an open store (a file's path, or a server without its password).</summary>
    internal static string Name(ResultStore store) => store.Path;

    internal static Option<long?> RunOption()
    {
        var option = new Option<long?>("--run") { Description = "The run's id (see 'runs'); default: the latest run.", HelpName = "ID" };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long?>() is < 1 and var value)
            {
                result.AddError($"--run must be a run id (1 or more), but is {value}");
            }
        });
        return option;
    }

    private static Option<string> FormatOption(string? defaultValue, params string[] formats)
    {
        var option = new Option<string>("--format")
        {
            Description = "Output format: " + string.Join(", ", formats) + ".",
            HelpName = string.Join('|', formats),
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    private static void Emit(IAnsiConsole console, TextTable table, string format)
    {
        if (format == "table")
        {
            ConsoleTables.Write(console, table);
        }
        else
        {
            WriteExport(console, table.Format(format));
        }
    }

    /// <summary>
    /// An export (Markdown, CSV, JSON) on standard output: the exact text into a pipe or a file, for the program that
    /// reads it; escaped (<see cref="TerminalText.Escape"/>) when standard output is a terminal.
    /// </summary>
    private static void WriteExport(IAnsiConsole console, string text) =>
        console.Profile.Out.Writer.Write(console.Profile.Out.IsTerminal ? TerminalText.Escape(text) : text);

    internal static RunRecord FindRun(ResultStore store, long id)
    {
        if (store.Run(id) is { } run)
        {
            return run;
        }

        var runs = store.Runs();
        var known = runs.Count == 0 ? "there are no runs" : $"runs are {runs[0].Id} to {runs[^1].Id}";
        throw new UsageException($"There is no run {id} in '{store.Path}' ({known})");
    }

    /// <summary><c>show RUN EXPERIMENT</c>: the result's row, its model's layer table with the total, and its accuracy per class (by name).</summary>
    private static void ShowExperiment(IAnsiConsole console, RunRecord run, IReadOnlyList<StoredResult> stored, string name)
    {
        var result = HistoryTables.RequireResult(run, stored, name);

        ConsoleTables.Write(console, HistoryTables.Results($"Run {run.Id}: {name}", [result]));
        if (result.Result.Model is { } model)
        {
            ConsoleTables.Write(console, HistoryTables.Layers($"Layers of {model.Architecture}", model));
        }
        else
        {
            console.MarkupLine("No model summary was recorded with this result (recorded before the run history kept it).");
        }

        if (result.Result.Test is not null)
        {
            ConsoleTables.Write(console, HistoryTables.ClassDetails(result.Result));
        }
    }

    internal static RunRecord LatestRun(ResultStore store) =>
        store.Runs().LastOrDefault() ?? throw new StoreException($"The run history '{store.Path}' holds no runs yet: record one with 'all' or 'run'");

    /// <summary>
    /// Opens the store, runs <paramref name="action"/>, and turns a bad store or a request for something it does not
    /// hold into a clear error (exit 2). What the store says about what a reader sees goes to standard error: first
    /// what it cannot see, then each result row that could not be read and was skipped (the command goes on without it).
    /// </summary>
    internal static int WithStore(HostSettings host, string? storeOption, string resultsDirectory, Func<ResultStore, int> action)
    {
        var console = host.Console;
        try
        {
            using var store = StoreAccess.Open(host.Store(storeOption, resultsDirectory), create: false, console);
            if (store.Warning is { } warning)
            {
                // On standard error: the output may be JSON or CSV for another program.
                Console.Error.WriteLine("warning: " + TerminalText.Escape(warning));
            }

            try
            {
                return action(store);
            }
            finally
            {
                foreach (var skipped in store.SkippedRows)
                {
                    Console.Error.WriteLine("warning: " + TerminalText.Escape(skipped.ToString()));
                }
            }
        }
        catch (Exception exception) when (exception is StoreException or UsageException)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return ExitCodes.UsageError;
        }
    }
}
