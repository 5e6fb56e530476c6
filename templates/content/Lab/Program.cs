// The command line of the lab (run, list, datasets, --download, --data-root, ...): `dotnet run -- --help`.
// ExperimentCatalog is generated from experiments/*.yaml and datasets/*.yaml when the project builds.
using Experiments.Hosting;
using MyLab;

return ExperimentHost.Run(args, ExperimentCatalog.Instance);
