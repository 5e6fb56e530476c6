using Spectre.Console;
using Spectre.Console.Cli;

namespace Experiments.Runner.Commands;

internal sealed class ListCommand(IAnsiConsole console, ExperimentCatalogView catalog) : Command<ListCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Experiment");
        table.AddColumn("Dataset");
        table.AddColumn("Description");
        table.AddColumn("File");
        foreach (var experiment in catalog.Experiments)
        {
            table.AddRow(
                new Text(experiment.Name),
                new Text(experiment.Dataset),
                new Text(experiment.Description),
                new Text(experiment.SourceFile));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"{catalog.Experiments.Count} experiments.");
        return 0;
    }
}
