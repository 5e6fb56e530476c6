using Experiments.Data;

namespace Experiments.Runner;

/// <summary>What the <c>all</c> and <c>run</c> commands were asked to do.</summary>
/// <param name="DataRoot">Folder with one folder per dataset; null means the repository's data/.</param>
/// <param name="Results">Where latest.json and latest.md go.</param>
/// <param name="Download">Whether a missing dataset may be downloaded.</param>
/// <param name="Threads">Threads TorchSharp uses for its math.</param>
/// <param name="CommandLine">The command as typed, recorded with the run.</param>
internal sealed record RunOptions(string? DataRoot, string Results, bool Download, int Threads, string CommandLine)
{
    /// <summary>Adjusts the dataset store's options (tests point it at local mirrors); null keeps them.</summary>
    public Func<DatasetStoreOptions, DatasetStoreOptions>? DatasetStore { get; init; }
}
