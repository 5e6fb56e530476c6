using Experiments.Data;

namespace Experiments.Runner;

/// <summary>What the <c>all</c> and <c>run</c> commands were asked to do.</summary>
/// <param name="DataRoot">Folder with one folder per dataset, absolute (<see cref="Folders"/>).</param>
/// <param name="Results">Where latest.json and latest.md go, absolute (<see cref="Folders"/>).</param>
/// <param name="Download">Whether a missing dataset may be downloaded.</param>
/// <param name="Threads">Threads TorchSharp uses for its math.</param>
/// <param name="CommandLine">The command as typed, recorded with the run.</param>
/// <param name="DataRootOption">The <c>--data-root</c> as typed, or null: the download hint repeats it.</param>
internal sealed record RunOptions(string DataRoot, string Results, bool Download, int Threads, string CommandLine, string? DataRootOption)
{
    /// <summary>Adjusts the dataset store's options (tests point it at local mirrors); null keeps them.</summary>
    public Func<DatasetStoreOptions, DatasetStoreOptions>? DatasetStore { get; init; }

    /// <summary>Train every experiment, even one the run cache could answer (<c>--force</c>).</summary>
    public bool Force { get; init; }

    /// <summary>Go on from the training state an earlier, interrupted run left of an experiment (<c>--resume</c>).</summary>
    public bool Resume { get; init; }
}
