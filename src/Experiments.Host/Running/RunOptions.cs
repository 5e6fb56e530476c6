namespace Experiments.Hosting;

/// <summary>What the <c>all</c>, <c>run</c> and <c>datasets</c> commands (or <see cref="ExperimentHost.RunExperiments"/>) were asked to do.</summary>
/// <param name="Host">What every command of the host shares (console, catalog, exporters, event handlers).</param>
/// <param name="DataRoot">Folder with one folder per dataset, absolute (<see cref="Folders"/>).</param>
/// <param name="Results">Where the run history, latest.json and latest.md go, absolute (<see cref="Folders"/>).</param>
/// <param name="Download">Whether a missing dataset may be downloaded.</param>
/// <param name="Threads">Threads TorchSharp uses for its math.</param>
/// <param name="CommandLine">The command as typed, recorded with the run.</param>
/// <param name="DataRootOption">The <c>--data-root</c> as typed, or null: the download hint repeats it.</param>
internal sealed record RunOptions(HostSettings Host, string DataRoot, string Results, bool Download, int Threads, string CommandLine, string? DataRootOption)
{
    /// <summary>Train every experiment, even one the run cache could answer (<c>--force</c>).</summary>
    public bool Force { get; init; }

    /// <summary>Go on from the training state an earlier, interrupted run left of an experiment (<c>--resume</c>).</summary>
    public bool Resume { get; init; }

    /// <summary>The <c>--store</c> as typed, or null: the host's option, the environment variable or the results folder's file (<see cref="HostSettings.Store"/>).</summary>
    public string? StoreOption { get; init; }

    /// <summary>The run history this run records into (<see cref="HostSettings.Store"/>); throws <see cref="Experiments.History.UsageException"/> for a value that is no store.</summary>
    public Experiments.History.StoreLocation Store() => Host.Store(StoreOption, Results);

    /// <summary>Where <see cref="DataRoot"/> comes from (the option, the host's options, the project), as messages name it.</summary>
    public FolderSource DataRootSource => Host.DataRootSource(DataRootOption);
}
