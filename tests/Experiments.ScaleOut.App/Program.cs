using Experiments.Hosting;
using Experiments.ScaleOut.Generated;

return ExperimentHost.Run(args, ExperimentCatalog.Instance);
