using System.CommandLine;
using System.Globalization;
using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.History;
using Experiments.Prediction;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <c>predict EXPERIMENT|run:ID/EXPERIMENT IMAGE|FOLDER... [--top K] [--format table|json|csv]</c>: classifies image
/// files with a trained model from the run history. The model is built from the checkpoint's config.json
/// (<see cref="Experiments.Models.NetworkModel"/> of its network), so it is the one that trained even when the YAML file changed or
/// is gone; only a user module, which config.json cannot describe, is the catalog's experiment built as now
/// (<see cref="IExperiment.CreateModel"/>). It takes the checkpoint's weights; each image is prepared as the dataset's
/// examples were made (<see cref="DatasetDescription.Prepare"/>), then as the experiment's own test examples were
/// (the checkpoint's <see cref="InputTransform"/>). A path that is missing or a file that is not an image is named in
/// an error and the others are still classified; the exit code is then 1. A model that cannot be found or loaded is a
/// usage error (2).
/// </summary>
internal static class PredictCommand
{
    public const string Name = "predict";

    /// <summary>The formats of <c>--format</c>; <c>table</c> is the default.</summary>
    public static readonly string[] Formats = ["table", "json", "csv"];

    public static Command Create(HostSettings host)
    {
        var console = host.Console;
        var catalog = host.Catalog.Experiments;
        var model = new Argument<string>("MODEL") { Description = "The model: an experiment's name (its latest trained model) or run:ID/EXPERIMENT, e.g. run:7/cnn." };
        var paths = new Argument<string[]>("IMAGE") { Description = "Image files (PNG, JPEG, WebP, GIF, BMP, ...) or folders of them (their sub-folders too; hidden files skipped).", Arity = ArgumentArity.OneOrMore };
        var top = new Option<int>("--top") { Description = "How many of the most probable classes to show for each image.", HelpName = "K", DefaultValueFactory = _ => 3 };
        top.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && int.TryParse(token.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value < 1)
            {
                result.AddError($"--top must be at least 1, but is {value}");
            }
        });
        var format = new Option<string>("--format") { Description = "Output format: table, json (an array, one object per image) or csv (one row per image and rank).", HelpName = "table|json|csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong(Formats);
        var results = HistoryCommands.ResultsOption(host);
        var storeOption = HistoryCommands.StoreOption(host);
        var command = new Command(Name, "Classify image files with a trained model: the latest of an experiment, or run:ID/EXPERIMENT.") { model, paths, top, format, results, storeOption };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(paths)!;
            if (given.FirstOrDefault(p => p.StartsWith('-')) is { } unknownOption)
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] Unrecognized option '{TerminalText.Shorten(unknownOption)}'; the options of predict are --top, --format, --results and --store");
                return ExitCodes.UsageError;
            }

            var resultsDirectory = host.Results(parse.GetValue(results));
            return HistoryCommands.WithStore(host, parse.GetValue(storeOption), resultsDirectory, store =>
                Execute(host, store, resultsDirectory, parse.GetValue(model)!, given, parse.GetValue(top), parse.GetValue(format)!));
        });
        return command;
    }

    private static int Execute(HostSettings host, ResultStore store, string resultsDirectory, string reference, IReadOnlyList<string> paths, int top, string format)
    {
        var console = host.Console;
        var catalog = host.Catalog.Experiments;
        var located = CheckpointLocator.Locate(store, resultsDirectory, reference, host.ApplicationName);
        var config = located.Config;
        void Warn(string message)
        {
            if (format == "table")
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {message}");
            }
            else
            {
                Console.Error.WriteLine("warning: " + TerminalText.Escape(message)); // standard output carries the JSON or CSV
            }
        }

        // The dataset file's current prepare (see LocatedCheckpoint.DatasetAsNow).
        var dataset = located.DatasetAsNow(host.Datasets);
        if (ImagePreparer.Unsupported(dataset) is { } unsupported)
        {
            throw new UsageException($"The model of {located.Reference} cannot classify images: {unsupported}");
        }

        using var module = Build(catalog, located, Warn);
        try
        {
            ModelCheckpoint.LoadWeights(located.Directory, module);
        }
        catch (InvalidDataException exception)
        {
            throw new UsageException($"The model of {located.Reference} cannot be loaded into {(config.Network is null ? $"'{config.Experiment}' as built now" : "the network its config.json describes")}: {exception.Message}", exception);
        }

        var (images, failures) = Prepare(paths, dataset);
        var predictions = new Predictor(module, config).Predict(images.Select(i => i.Example).ToList(), top);
        var rows = images.Select((image, i) => new PredictedImage(image.Shown, predictions[i])).ToList();
        PredictionOutput.Write(console, format, located.Reference, rows);
        foreach (var (shown, problem) in failures)
        {
            if (format == "table")
            {
                console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] {shown}: {problem}");
            }
            else
            {
                Console.Error.WriteLine("error: " + TerminalText.Escape($"{shown}: {problem}"));
            }
        }

        if (format == "table")
        {
            var failed = failures.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $", {failures.Count} could not be");
            console.MarkupLineInterpolated(TerminalText.Format, $"{rows.Count} image(s) classified by {located.Reference} ({config.Dataset.Name}){failed}.");
        }

        return failures.Count == 0 ? 0 : ExitCodes.ExperimentFailed;
    }

    /// <summary>Each path's images as examples, in the order given (a folder's in <see cref="ImageFiles.InFolder"/> order), and what went wrong with the others.</summary>
    private static (List<(string Shown, float[] Example)> Images, List<(string Shown, string Problem)> Failures) Prepare(IReadOnlyList<string> paths, DatasetDescription dataset)
    {
        var images = new List<(string, float[])>();
        var failures = new List<(string, string)>();
        foreach (var path in paths)
        {
            IReadOnlyList<string> files;
            if (File.Exists(path))
            {
                files = [path];
            }
            else if (Directory.Exists(path))
            {
                try
                {
                    files = ImageFiles.InFolder(path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    failures.Add((path, $"the folder cannot be listed: {exception.Message}"));
                    continue;
                }

                if (files.Count == 0)
                {
                    failures.Add((path, "a folder with no files to classify (hidden files are skipped)"));
                }
            }
            else
            {
                failures.Add((path, "no such file or folder"));
                continue;
            }

            foreach (var file in files)
            {
                try
                {
                    images.Add((file, ImagePreparer.Prepare(File.ReadAllBytes(file), file, dataset)));
                }
                catch (DataFormatException exception)
                {
                    failures.Add((file, exception.Problem));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    failures.Add((file, $"cannot be read: {exception.Message}"));
                }
            }
        }

        return (images, failures);
    }

    /// <summary>
    /// The checkpoint's model, untrained: for a declared architecture the network its config.json describes (what
    /// trained, whatever the YAML file says now or whether it still exists); for a user module, which has no such
    /// description, the catalog's experiment as built now, with a warning when its configuration changed since.
    /// </summary>
    private static TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Build(IReadOnlyList<IExperiment> catalog, LocatedCheckpoint located, Action<string> warn)
    {
        var config = located.Config;
        if (config.Network is { } network)
        {
            try
            {
                return new Experiments.Models.NetworkModel(network);
            }
            catch (ArgumentException exception)
            {
                throw new UsageException($"The model of {located.Reference} cannot be built from its config.json: {exception.Message}", exception);
            }
        }

        var experiment = catalog.FirstOrDefault(e => string.Equals(e.Name, config.Experiment, StringComparison.Ordinal))
            ?? throw new UsageException($"The model of {located.Reference} cannot be built: its config.json describes no network (a user module, {config.Architecture.Architecture}), and the experiment '{config.Experiment}' ({(config.SourceFile.Length > 0 ? config.SourceFile : "not from YAML")}) that creates it is not in this build's catalog any more; restore its file, or name a model of an experiment that is (see 'list')");
        if (!string.Equals(experiment.ConfigurationSha256, config.ConfigurationSha256, StringComparison.Ordinal))
        {
            warn($"'{experiment.SourceFile}' changed since {located.Reference} was trained (configuration {Short(config.ConfigurationSha256)}, now {Short(experiment.ConfigurationSha256)}): its user module is built as the file says now and takes the checkpoint's weights when their names and shapes still fit");
        }

        return experiment.CreateModel();
    }

    private static string Short(string? sha) => sha is null ? "unknown" : sha[..Math.Min(12, sha.Length)];
}
