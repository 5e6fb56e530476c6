using Experiments.Runner.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Experiments.Runner;

/// <summary>The command-line application: <c>all</c>, <c>run</c> and <c>list</c>.</summary>
public static class RunnerApp
{
    /// <summary>Exit code when at least one experiment failed.</summary>
    public const int ExperimentFailed = 1;

    /// <summary>Exit code for bad arguments or an experiment name that matches nothing.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when the run was cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    public static int Run(string[] args, IAnsiConsole console, IReadOnlyList<IExperiment> catalog, CancellationToken cancellationToken = default)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            cancellation.Cancel();
        }

        Console.CancelKeyPress += OnCancel;
        try
        {
            return Create(console, catalog).Run(args, cancellation.Token);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    public static CommandApp Create(IAnsiConsole console, IReadOnlyList<IExperiment> catalog)
    {
        var registrar = new TypeRegistrar();
        registrar.RegisterInstance(typeof(IAnsiConsole), console);
        registrar.RegisterInstance(typeof(ExperimentCatalogView), new ExperimentCatalogView(catalog));
        var app = new CommandApp(registrar);
        app.Configure(config =>
        {
            config.SetApplicationName("dotnet run --project runner --");
            config.ConfigureConsole(console);
            config.Settings.Console = console;
            config.SetExceptionHandler((exception, _) =>
            {
                console.MarkupLineInterpolated($"[red]error:[/] {exception.Message}");
                return UsageError;
            });
            config.AddCommand<AllCommand>("all")
                .WithDescription("Train and evaluate every experiment, then print and save the results table.");
            config.AddCommand<RunCommand>("run")
                .WithDescription("Train and evaluate the experiments whose names match (globs: * and ?).")
                .WithExample("run", "seed-recipe")
                .WithExample("run", "seed-*", "--results", "results/seed");
            config.AddCommand<ListCommand>("list")
                .WithDescription("List the experiments generated from experiments/*.yaml.");
        });
        return app;
    }
}

/// <summary>The experiments the runner knows, as a service for the commands.</summary>
public sealed record ExperimentCatalogView(IReadOnlyList<IExperiment> Experiments);
