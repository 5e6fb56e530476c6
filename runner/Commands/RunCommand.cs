using System.ComponentModel;
using Experiments.Running;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Experiments.Runner.Commands;

internal sealed class RunCommand(IAnsiConsole console, ExperimentCatalogView catalog) : Command<RunCommand.Settings>
{
    public sealed class Settings : RunOptions
    {
        [CommandArgument(0, "<NAME>")]
        [Description("Experiment names or globs, e.g. seed-recipe or 'seed-*'.")]
        public string[] Names { get; init; } = [];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        IReadOnlyList<IExperiment> selected;
        try
        {
            selected = ExperimentSelector.Select(catalog.Experiments, settings.Names);
        }
        catch (ArgumentException exception)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {exception.Message}");
            return RunnerApp.UsageError;
        }

        return new ExperimentPlan(console, settings).Execute(selected, cancellationToken);
    }
}
