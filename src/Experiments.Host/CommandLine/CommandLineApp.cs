using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.InteropServices;
using Experiments.Data;
using Experiments.Reporting;
using Experiments.Running;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// The command line of <see cref="ExperimentHost.Run(string[], IExperimentCatalog, ExperimentHostOptions?)"/>: <c>all</c>, <c>run</c>, <c>list</c>, <c>datasets</c>, the
/// history commands, <c>predict</c> and <c>export-model</c>, parsed by System.CommandLine; output through
/// Spectre.Console so that tests can capture it. Whatever it prints that came from a file or the command line passes
/// through <see cref="TerminalText"/> (<c>TerminalText.Format</c> in markup lines), so no control character reaches
/// the terminal. SIGINT, SIGQUIT, SIGTERM and SIGHUP stop a run after the current training step, keeping what finished.
/// </summary>
internal static class CommandLineApp
{
    /// <summary>The program's name in the command line recorded with a run (<c>experiments run cnn</c>).</summary>
    internal const string ProgramName = "experiments";

    public static int Run(string[] args, HostSettings host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(host);
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
            Stop(e.SpecialKey == ConsoleSpecialKey.ControlBreak ? ExitCodes.Quit : ExitCodes.Cancelled);
        }

        // SIGTERM (kill, CI timeouts, container stops) and SIGHUP (a closed terminal) stop the same way as the first
        // Ctrl+C, every time: `timeout`, `kill -TERM -PGID` and `dotnet run` forwarding its own SIGTERM deliver it
        // twice, and the runtime's default for the second one would end the process before the run is recorded.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Stop(context.Signal == PosixSignal.SIGHUP ? ExitCodes.HungUp : ExitCodes.Terminated);
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        // After a stop was asked for, the terminal may be gone (SIGHUP): output that cannot be written then must not
        // keep the run from being recorded and its result files from being written.
        host = host with { Console = new StoppingConsole(host.Console, cancellation.Token) };
        var console = host.Console;

        Console.CancelKeyPress += OnCancel;
        try
        {
            var commandLine = string.Join(' ', WithoutPasswords(args).Select(ExperimentPlan.ShellQuote).Prepend(ProgramName));
            var parseResult = CreateCommand(host, commandLine, cancellation.Token).Parse(args);
            if (parseResult.Errors.Count > 0)
            {
                foreach (var error in parseResult.Errors)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {ShortenArguments(error.Message, args)}");
                }

                console.MarkupLineInterpolated(TerminalText.Format, $"Run '{host.ApplicationName} --help' for the commands and options.");
                return ExitCodes.UsageError;
            }

            var output = console.Profile.Out.Writer;
            var exitCode = parseResult.Invoke(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false });
            return exitCode == ExitCodes.Cancelled && stoppedBy != 0 ? stoppedBy : exitCode;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // A cancellation that nobody asked for (e.g. a timeout deep inside a library) is a failure like any other.
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] the host failed: {exception.ToString()}");
            return ExitCodes.InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>
    /// The arguments as the run records them: a <c>--store</c> value as <see cref="Experiments.History.StoreLocation.Display"/>
    /// names it (without its password), or <c>...</c> when it is no store.
    /// </summary>
    internal static IEnumerable<string> WithoutPasswords(IReadOnlyList<string> args)
    {
        static string Hide(string value)
        {
            try
            {
                return Experiments.History.StoreLocation.Parse(value, Environment.CurrentDirectory).Display;
            }
            catch (FormatException)
            {
                return "...";
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--store" && i + 1 < args.Count)
            {
                yield return args[i];
                yield return Hide(args[++i]);
            }
            else if (args[i].StartsWith("--store=", StringComparison.Ordinal))
            {
                yield return "--store=" + Hide(args[i]["--store=".Length..]);
            }
            else
            {
                yield return args[i];
            }
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

    private static RootCommand CreateCommand(HostSettings host, string commandLine, CancellationToken cancellationToken)
    {
        var console = host.Console;
        var catalog = host.Catalog.Experiments;
        var settings = host.Options;
        var datasetFolders = string.Join(", ", host.Datasets.Select(d => d.Root.TrimEnd('/') + "/").Distinct(StringComparer.Ordinal));
        var dataRoot = new Option<string>("--data-root")
        {
            Description = $"Folder holding one folder per dataset{(datasetFolders.Length == 0 ? "" : $" ({datasetFolders})")}. Default: {host.DataRoot(null)}",
            HelpName = "DIR",
        };
        var results = new Option<string>("--results")
        {
            Description = $"Where the run history (experiments.db), latest.json, latest.md and the pictures go. Default: {host.Results(null)}",
            HelpName = "DIR",
        };
        var download = new Option<bool>("--download")
        {
            Description = "Download a dataset that is not on disk (from its usual mirrors; verified by SHA-256)." + (settings.Download ? " On by default here (ExperimentHostOptions.Download)." : ""),
        };
        var threads = new Option<int>("--threads")
        {
            Description = $"Threads TorchSharp uses for its math. {settings.Threads} by default: a linear model on mini-batches is bound by per-step overhead, and extra threads spin-wait when the machine is busy.",
            HelpName = "N",
            DefaultValueFactory = _ => settings.Threads,
        };
        threads.Validators.Add(result =>
        {
            // A value that is not a number is reported by the parser itself.
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                if (HostSettings.ThreadsProblem("--threads", value) is { } problem)
                {
                    result.AddError(problem);
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
        var store = HistoryCommands.StoreOption(host);
        var parallel = new Option<int?>("--parallel")
        {
            Description = "Train N experiments at once, each in a worker process of its own with one thread, all recording into the same run history (the run cache answers what it can first).",
            HelpName = "N",
        };
        parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 and var value)
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--parallel must be at least 1, but is {value}"));
            }
        });
        dataRoot.Validators.Add(result => RequireText(result, "--data-root"));
        results.Validators.Add(result => RequireText(result, "--results"));

        // The host's options are the defaults; what the command line gives wins (--resume over Force, --force over Resume).
        RunOptions Options(ParseResult parse)
        {
            var (forced, resumed) = (parse.GetValue(force), parse.GetValue(resume));
            return new(host, host.DataRoot(parse.GetValue(dataRoot)), host.Results(parse.GetValue(results)), parse.GetValue(download) || settings.Download, parse.GetValue(threads), commandLine, parse.GetValue(dataRoot))
            {
                Force = forced || (settings.Force && !resumed),
                Resume = resumed || (settings.Resume && !forced),
                StoreOption = parse.GetValue(store),
            };
        }

        var all = new Command("all", "Train and evaluate every experiment, then print and save the results table.")
        {
            dataRoot, results, store, download, threads, force, resume, parallel,
        };

        // In this process, or shared out among worker processes (--parallel).
        int Execute(ParseResult parse, IReadOnlyList<IExperiment> experiments)
        {
            if (parse.GetValue(parallel) is not { } workers)
            {
                return new ExperimentPlan(Options(parse)).Execute(experiments, cancellationToken).ExitCode;
            }

            var refused = !settings.RecordHistory ? "--parallel needs the run history (the workers share their tasks and results through it), but ExperimentHostOptions.RecordHistory is false"
                : parse.GetValue(resume) || settings.Resume ? "--parallel cannot be used with --resume: a worker goes on from what an earlier attempt left of its own run, not from earlier runs"
                : null;
            if (refused is not null)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {refused}");
                return ExitCodes.UsageError;
            }

            return new Coordinator(Options(parse), workers).Execute(experiments, cancellationToken).ExitCode;
        }

        all.Validators.Add(result => RefuseForceWithResume(result, force, resume));
        all.SetAction(parse => Execute(parse, catalog));

        var names = new Argument<string[]>("NAME")
        {
            Description = "Experiment names or globs, e.g. seed-recipe or 'seed-*'.",
            Arity = ArgumentArity.OneOrMore,
        };
        var run = new Command("run", "Train and evaluate the experiments whose names match (globs: * and ?).")
        {
            names, dataRoot, results, store, download, threads, force, resume, parallel,
        };
        run.Validators.Add(result => RefuseForceWithResume(result, force, resume));
        run.SetAction(parse =>
        {
            var patterns = parse.GetValue(names)!;
            if (patterns.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                // Names never start with '-': this is an option the parser took for a name.
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}'; the options of run are --data-root, --results, --store, --download, --threads, --force, --resume and --parallel");
                return ExitCodes.UsageError;
            }

            IReadOnlyList<IExperiment> selected;
            try
            {
                selected = ExperimentSelector.Select(catalog, patterns);
            }
            catch (ArgumentException exception)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
                return ExitCodes.UsageError;
            }

            return Execute(parse, selected);
        });

        var list = new Command("list", "List the experiments generated from the project's experiment YAML files.");
        list.SetAction(_ => ListExperiments(console, catalog));

        var datasetNames = new Argument<string[]>("NAME")
        {
            Description = $"Dataset names{(host.Datasets.Count == 0 ? "" : " (" + string.Join(", ", host.Datasets.Select(d => d.Name)) + ")")}; none: every described dataset.",
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
                return ExitCodes.UsageError;
            }

            return DatasetsCommand.Execute(Options(parse), requested, cancellationToken);
        });

        var root = new RootCommand($"Typed ML experiments from YAML files: train, evaluate and compare them. '{host.ApplicationName} all' trains every experiment; '{host.ApplicationName} COMMAND --help' shows a command's options.")
        {
            all, run, list, datasets, WorkerCommand.Create(host, commandLine, cancellationToken),
        };
        foreach (var command in HistoryCommands.Create(host))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(PredictCommand.Create(host));
        root.Subcommands.Add(ExportModelCommand.Create(host));
        root.Subcommands.Add(SubmitCommand.Create(host));

        return root;
    }

    /// <summary>--force trains from the start what --resume would go on with: asking for both is a mistake.</summary>
    private static void RefuseForceWithResume(CommandResult result, Option<bool> force, Option<bool> resume)
    {
        if (result.GetValue(force) && result.GetValue(resume))
        {
            result.AddError(HostSettings.ForceWithResume("--force", "--resume"));
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
