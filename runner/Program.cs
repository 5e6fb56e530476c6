using Experiments.Generated;
using Experiments.Runner;
using Spectre.Console;

return RunnerApp.Run(args, AnsiConsole.Console, ExperimentCatalog.All);
