using System.Globalization;
using Experiments.Data;
using Experiments.Reporting;
using Experiments.Results;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <c>datasets [NAME...]</c>: lists the described datasets (all, or those named) with where their files are, their
/// split sizes and class balance, and writes a picture of sample examples per class of each under
/// <c>&lt;results&gt;/datasets/&lt;name&gt;.png</c>. A dataset that fails to load is reported with its error and
/// the others are still listed; the exit code then says so.
/// </summary>
internal static class DatasetsCommand
{
    /// <summary>The folder under the results folder that holds the sample pictures.</summary>
    public const string PictureFolder = "datasets";

    public static int Execute(RunOptions options, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var console = options.Host.Console;
        if (RunPreparation.DataRootProblem(options) is { } problem)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {problem}");
            return ExitCodes.UsageError;
        }

        using var store = new DatasetStore(ExperimentPlan.StoreOptions(console, options));
        List<DatasetDescription> selected;
        try
        {
            selected = names.Count == 0
                ? [.. store.Datasets]
                : [.. names.Select(store.GetInfo).DistinctBy(d => d.Name, StringComparer.Ordinal)];
        }
        catch (UnknownDatasetException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return ExitCodes.UsageError;
        }

        if (selected.Count == 0)
        {
            console.MarkupLine("[yellow]No datasets are described.[/] Add a dataset YAML file to the project and build.");
            return 0;
        }

        var pictureFolder = Path.Combine(options.Results, PictureFolder);
        try
        {
            ResultFiles.EnsureWritable(pictureFolder);
        }
        catch (IOException exception)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {exception.Message}");
            return ExitCodes.UsageError;
        }

        console.MarkupLineInterpolated(TerminalText.Format, $"{selected.Count} dataset(s) · data: [blue]{options.DataRoot}[/] · pictures: [blue]{pictureFolder}[/]");
        var listings = new List<DatasetListing>();
        var loaded = new Dictionary<string, Dataset>(StringComparer.Ordinal);
        foreach (var description in selected)
        {
            try
            {
                var data = store.Load(description.Name, cancellationToken);
                loaded[description.Name] = data;
                listings.Add(new DatasetListing(description, DatasetOverview.Summarize(data, DatasetOverview.Locate(store, description.Name)), null));
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Any failure (a bad file, or a fault of the loader) is this dataset's: the others are still listed.
                listings.Add(new DatasetListing(description, null, exception.Message));
            }
        }

        ConsoleTables.Write(console, DatasetOverview.Listing(listings));
        var failed = false;
        foreach (var listing in listings)
        {
            var name = listing.Description.Name;
            console.WriteLine();
            if (listing.Summary is not { } summary)
            {
                failed = true;
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]{name} failed to load:[/] {listing.Error}");
                continue;
            }

            ConsoleTables.Write(console, DatasetOverview.ClassBalance(summary));
            try
            {
                var png = DatasetOverview.SamplePicture(loaded[name], out var reason);
                if (png is null)
                {
                    console.MarkupLineInterpolated(TerminalText.Format, $"[grey]No sample picture: {reason}.[/]");
                    continue;
                }

                var path = Path.Combine(pictureFolder, RunPlots.FolderName(name) + ".png");
                AtomicFile.Write(path, png);
                console.MarkupLineInterpolated(TerminalText.Format, $"Samples ({DatasetOverview.DefaultSamplesPerClass.ToString(CultureInfo.InvariantCulture)} training examples per class): [blue]{path}[/]");
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                failed = true;
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] the sample picture of {name} could not be written: {exception.Message}");
            }
        }

        var failures = listings.Count(l => l.Summary is null);
        if (failures > 0)
        {
            console.WriteLine();
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]{failures} of {listings.Count} dataset(s) failed to load[/]: {string.Join(", ", listings.Where(l => l.Summary is null).Select(l => l.Description.Name))}");
        }

        return failed ? ExitCodes.ExperimentFailed : 0;
    }
}
