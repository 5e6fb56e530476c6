using Experiments.Hosting;
using Experiments.Runner;

return ExperimentHost.Run(args, RunnerCatalog.Instance);
