using Experiments.Generated;
using Experiments.Runner;
using Spectre.Console;

var console = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // Spectre assumes 80 columns when it cannot ask a terminal; logs and files have room for the whole table.
    console.Profile.Width = 200;
}

return RunnerApp.Run(args, console, ExperimentCatalog.All);
