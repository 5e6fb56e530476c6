using Experiments.Generated;
using Experiments.Hosting;

return ExperimentHost.Run(args, ExperimentCatalog.Instance);
