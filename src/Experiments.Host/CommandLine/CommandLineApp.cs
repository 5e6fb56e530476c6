using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.InteropServices;
using Experiments.Data;
using Experiments.Reporting;
using Experiments.Running;
using Spectre.Console;

namespace Experiments.Runner;

/// <summary>
/// The command line: <c>all</c>, <c>run</c>, <c>list</c>, <c>datasets</c> and the history commands, parsed by System.CommandLine; output through
/// Spectre.Console so that tests can capture it. Whatever it prints that came from a file or the command line passes
/// through <see cref="TerminalText"/> (<c>TerminalText.Format</c> in markup lines), so no control character reaches
/// the terminal.
/// </summary>
public static class RunnerApp
{
    /// <summary>Exit code when at least one experiment failed.</summary>
    public const int ExperimentFailed = 1;

    /// <summary>Exit code for bad arguments, an experiment name that matches nothing, or unusable results folder.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for an unexpected failure of the runner itself (e.g. TorchSharp cannot start).</summary>
    public const int InternalError = 3;

    /// <summary>Exit code when the run was cancelled with Ctrl+C (SIGINT): 128 + 2, as shells report it.</summary>
    public const int Cancelled = 130;

    /// <summary>Exit code when the run was stopped with SIGTERM (e.g. by a CI timeout or systemd): 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>Exit code when the run was stopped with SIGHUP (its terminal was closed): 128 + 1.</summary>
    public const int HungUp = 129;

    /// <summary>Exit code when the run was stopped with SIGQUIT (Ctrl+\): 128 + 3.</summary>
    public const int Quit = 131;

    internal const string ApplicationName = "dotnet run --project runner --";

    public static int Run(string[] args, IAnsiConsole console, IReadOnlyList<IExperiment> catalog, CancellationToken cancellationToken = default) =>
        Run(args, console, catalog, datasetStore: null, cancellationToken);

    /// <param name="datasetStore">Adjusts the dataset store's options of <c>all</c>, <c>run</c> and <c>datasets</c> (tests: local mirrors, other datasets).</param>
    internal static int Run(string[] args, IAnsiConsole console, IReadOnlyList<IExperiment> catalog, Func<DatasetStoreOptions, DatasetStoreOptions>? datasetStore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Which signal asked for the stop first: it decides the exit code (128 + its number, as shells report it).
        var stoppedBy = 0;
        void Stop(int exitCode)
        {
            Interlocked.CompareExchange(ref stoppedBy, exitCode, 0);
            cancellation.Cancel();
        }

        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // Ctrl+C (SIGINT) and Ctrl+\ (SIGQUIT) stop after the current training step and keep finished results;
            // one pressed while that stop is under way ends the process at once. Only the keyboard can force it.
            e.Cancel = !cancellation.IsCancellationRequested;
            Stop(e.SpecialKey == ConsoleSpecialKey.ControlBreak ? Quit : Cancelled);
        }

        // SIGTERM (kill, CI timeouts, container stops) and SIGHUP (a closed terminal) stop the same way as the first
        // Ctrl+C, every time: `timeout`, `kill -TERM -PGID` and `dotnet run` forwarding its own SIGTERM deliver it
        // twice, and the runtime's default for the second one would end the process before the run is recorded.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Stop(context.Signal == PosixSignal.SIGHUP ? HungUp : Terminated);
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        // After a stop was asked for, the terminal may be gone (SIGHUP): output that cannot be written then must not
        // keep the run from being recorded and its result files from being written.
        console = new StoppingConsole(console, cancellation.Token);

        Console.CancelKeyPress += OnCancel;
        try
        {
            var commandLine = string.Join(' ', args.Select(ExperimentPlan.ShellQuote).Prepend("experiments"));
            var parseResult = CreateCommand(console, catalog, commandLine, datasetStore, cancellation.Token).Parse(args);
            if (parseResult.Errors.Count > 0)
            {
                foreach (var error in parseResult.Errors)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {ShortenArguments(error.Message, args)}");
                }

                console.MarkupLineInterpolated(TerminalText.Format, $"Run '{ApplicationName} --help' for the commands and options.");
                return UsageError;
            }

            var output = console.Profile.Out.Writer;
            var exitCode = parseResult.Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });
            return exitCode == Cancelled && stoppedBy != 0 ? stoppedBy : exitCode;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // A cancellation that nobody asked for (e.g. a timeout deep inside a library) is a failure like any other.
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] the runner failed: {exception.ToString()}");
            return InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>The parser's message with every long argument it quotes shortened (<see cref="TerminalText.Shorten"/>).</summary>
    private static string ShortenArguments(string message, string[] args)
    {
        foreach (var argument in args.Where(a => a.Length > TerminalText.ShortLength).Distinct(StringComparer.Ordinal))
        {
            message = message.Replace(argument, TerminalText.Shorten(argument), StringComparison.Ordinal);
        }

        return message;
    }

    private static RootCommand CreateCommand(IAnsiConsole console, IReadOnlyList<IExperiment> catalog, string commandLine, Func<DatasetStoreOptions, DatasetStoreOptions>? datasetStore, CancellationToken cancellationToken)
    {
        var dataRoot = new Option<string>("--data-root")
        {
            Description = "Folder holding one folder per dataset (mnist/, fashion-mnist/). Default: data/ of the repository the runner was built from (else of the current directory).",
            HelpName = "DIR",
        };
        var results = new Option<string>("--results")
        {
            Description = "Where the run history (experiments.db), latest.json, latest.md and the pictures go. Default: results/ of the repository the runner was built from (else of the current directory).",
            HelpName = "DIR",
        };
        var download = new Option<bool>("--download")
        {
            Description = "Download a dataset that is not on disk (from its usual mirrors; verified by SHA-256).",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Threads TorchSharp uses for its math. 1 by default: a linear model on mini-batches is bound by per-step overhead, and extra threads spin-wait when the machine is busy.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        threads.Validators.Add(result =>
        {
            // A value that is not a number is reported by the parser itself.
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                if (value < 1)
                {
                    result.AddError($"--threads must be at least 1, but is {value}");
                }
                else if (value > Environment.ProcessorCount)
                {
                    // More threads than cores only makes libtorch's workers spin-wait for each other (16 threads took
                    // 74.5 s where 1 took 0.6 s; 100000 started 32,440 threads): refused rather than capped, so the
                    // recorded command line says what really ran.
                    result.AddError($"--threads must be at most the {Environment.ProcessorCount} core(s) this machine has (Environment.ProcessorCount), but is {value}");
                }
            }
        });
        var force = new Option<bool>("--force")
        {
            Description = "Train every experiment again, even one whose configuration, code and dataset already have a completed result in the run history (the run cache).",
        };
        var resume = new Option<bool>("--resume")
        {
            Description = "Go on with each experiment an earlier run left unfinished (interrupted, or failed) from its last finished epoch, instead of training it from the start. With one thread (--threads 1, the default), the final weights are those of an uninterrupted run, bit for bit; with more threads libtorch does not promise identical bits.",
        };
        dataRoot.Validators.Add(result => RequireText(result, "--data-root"));
        results.Validators.Add(result => RequireText(result, "--results"));

        RunOptions Options(ParseResult parse) =>
            new(Folders.DataRoot(parse.GetValue(dataRoot)), Folders.Results(parse.GetValue(results)), parse.GetValue(download), parse.GetValue(threads), commandLine, parse.GetValue(dataRoot)) { DatasetStore = datasetStore, Force = parse.GetValue(force), Resume = parse.GetValue(resume) };

        var all = new Command("all", "Train and evaluate every experiment, then print and save the results table.")
        {
            dataRoot, results, download, threads, force, resume,
        };
        all.Validators.Add(result => RefuseForceWithResume(result, force, resume));
        all.SetAction(parse => new ExperimentPlan(console, Options(parse)).Execute(catalog, cancellationToken));

        var names = new Argument<string[]>("NAME")
        {
            Description = "Experiment names or globs, e.g. seed-recipe or 'seed-*'.",
            Arity = ArgumentArity.OneOrMore,
        };
        var run = new Command("run", "Train and evaluate the experiments whose names match (globs: * and ?).")
        {
            names, dataRoot, results, download, threads, force, resume,
        };
        run.Validators.Add(result => RefuseForceWithResume(result, force, resume));
        run.SetAction(parse =>
        {
            var patterns = parse.GetValue(names)!;
            if (patterns.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                // Names never start with '-': this is an option the parser took for a name.
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}'; the options of run are --data-root, --results, --download, --threads, --force and --resume");
                return UsageError;
            }

            IReadOnlyList<IExperiment> selected;
            try
            {
                selected = ExperimentSelector.Select(catalog, patterns);
            }
            catch (ArgumentException exception)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
                return UsageError;
            }

            return new ExperimentPlan(console, Options(parse)).Execute(selected, cancellationToken);
        });

        var list = new Command("list", "List the experiments generated from experiments/*.yaml.");
        list.SetAction(_ => ListExperiments(console, catalog));

        var datasetNames = new Argument<string[]>("NAME")
        {
            Description = "Dataset names (see datasets/*.yaml); none: every described dataset.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var datasets = new Command("datasets", "List the described datasets: format, example shape, classes, where the files are, split sizes and class balance; writes a picture of sample examples per class under <results>/datasets/.")
        {
            datasetNames, dataRoot, results,
        };
        datasets.SetAction(parse =>
        {
            var requested = parse.GetValue(datasetNames) ?? [];
            if (requested.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}'; the options of datasets are --data-root and --results");
                return UsageError;
            }

            return DatasetsCommand.Execute(console, Options(parse), requested, cancellationToken);
        });

        var root = new RootCommand("Typed ML experiments from YAML files: train, evaluate and compare them.")
        {
            all, run, list, datasets,
        };
        foreach (var command in HistoryCommands.Create(console))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(PredictCommand.Create(console, catalog));
        root.Subcommands.Add(ExportModelCommand.Create(console));

        return root;
    }

    /// <summary>--force trains from the start what --resume would go on with: asking for both is a mistake.</summary>
    private static void RefuseForceWithResume(CommandResult result, Option<bool> force, Option<bool> resume)
    {
        if (result.GetValue(force) && result.GetValue(resume))
        {
            result.AddError("--force and --resume cannot be used together: --force trains every experiment from the start, --resume goes on with unfinished ones");
        }
    }

    /// <summary>Linux's PATH_MAX: a path has fewer bytes (it counts the terminating zero), so a longer one is never a folder.</summary>
    internal const int MaxPathLength = 4096;

    internal static void RequireText(OptionResult result, string name)
    {
        var value = result.GetValueOrDefault<string>();
        if (string.IsNullOrWhiteSpace(value))
        {
            result.AddError($"{name} needs a directory");
        }
        else if (value.StartsWith("--", StringComparison.Ordinal))
        {
            result.AddError($"{name} needs a directory, but is followed by the option '{TerminalText.Shorten(value)}'");
        }
        else
        {
            RequirePathLength(result, name, value);
        }
    }

    /// <summary>
    /// Refuses a path no system call would take, before it is echoed by every message that names the folder (the
    /// run header, a missing dataset's folders and download command): once here, shortened.
    /// </summary>
    internal static void RequirePathLength(OptionResult result, string name, string value)
    {
        if (value.Length >= MaxPathLength)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} '{TerminalText.Shorten(value)}' is longer than a path can be ({MaxPathLength - 1:N0} characters at most)"));
        }
    }

    private static int ListExperiments(IAnsiConsole console, IReadOnlyList<IExperiment> catalog)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Experiment");
        table.AddColumn("Dataset");
        table.AddColumn("Description");
        table.AddColumn("File");
        foreach (var experiment in catalog)
        {
            // From the YAML files: a description may hold anything, terminal escape sequences included.
            table.AddRow(
                new Text(TerminalText.Escape(experiment.Name)),
                new Text(TerminalText.Escape(experiment.Dataset)),
                new Text(TerminalText.Escape(experiment.Description)),
                new Text(TerminalText.Escape(experiment.SourceFile)));
        }

        console.Write(table);
        console.MarkupLineInterpolated(TerminalText.Format, $"{catalog.Count} experiment{(catalog.Count == 1 ? "" : "s")}.");
        return 0;
    }
}
