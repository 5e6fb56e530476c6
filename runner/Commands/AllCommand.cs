using Spectre.Console;
using Spectre.Console.Cli;

namespace Experiments.Runner.Commands;

internal sealed class AllCommand(IAnsiConsole console, ExperimentCatalogView catalog) : Command<RunOptions>
{
    public override int Execute(CommandContext context, RunOptions settings, CancellationToken cancellationToken) =>
        new ExperimentPlan(console, settings).Execute(catalog.Experiments, cancellationToken);
}
