using System.CommandLine;
using System.Globalization;
using Experiments.Checkpoints;
using Experiments.Export;
using Experiments.History;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// <c>export-model EXPERIMENT|run:ID/EXPERIMENT --format onnx [--output FILE] [--results DIR]</c>: writes a trained
/// model as ONNX (<see cref="OnnxExporter"/>), from its checkpoint alone (config.json and model.safetensors, verified
/// against the run history's SHA-256s), so it works after the YAML changed. By default the file goes next to the
/// checkpoint, <c>RESULTS/RUN/EXPERIMENT/model.onnx</c>.
/// </summary>
internal static class ExportModelCommand
{
    /// <summary>The file name of the default output, in the checkpoint's folder.</summary>
    public const string DefaultFileName = "model.onnx";

    public static Command Create(HostSettings host)
    {
        var console = host.Console;
        var reference = new Argument<string>("MODEL")
        {
            Description = "The trained model: an experiment's name (its latest model) or run:ID/EXPERIMENT, e.g. run:7/cnn.",
        };
        var format = new Option<string>("--format")
        {
            Description = "The format to write: onnx (opset 13; input float32 [batch, features] of raw values, outputs logits and probabilities).",
            HelpName = "onnx",
            Required = true,
        };
        format.AcceptOnlyFromAmong("onnx");
        var output = new Option<string>("--output")
        {
            Description = $"Where to write the model (atomically). Default: {DefaultFileName} in the checkpoint's folder, RESULTS/RUN/EXPERIMENT/{DefaultFileName}.",
            HelpName = "FILE",
        };
        output.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>() ?? "";
            CommandLineApp.RequirePathLength(result, "--output", value);

            // export and report take '-' for standard output; an ONNX model is binary and is written to a file only.
            if (value == HistoryCommands.StandardOutput)
            {
                result.AddError($"--output - would mean standard output, but export-model writes the binary ONNX model to a file only: give a file name (--output model.onnx), or ./- for a file named '-'");
            }
        });
        var results = HistoryCommands.ResultsOption(host);
        var storeOption = HistoryCommands.StoreOption(host);
        var command = new Command("export-model", "Write a trained model of a declared architecture (linear, mlp, layers) as an ONNX file that runs without TorchSharp.")
        {
            reference, format, output, results, storeOption,
        };
        command.SetAction(parse =>
        {
            var resultsDirectory = host.Results(parse.GetValue(results));
            return HistoryCommands.WithStore(host, parse.GetValue(storeOption), resultsDirectory, store => Execute(host, store, resultsDirectory, parse.GetValue(reference)!, parse.GetValue(output)));
        });
        return command;
    }

    private static int Execute(HostSettings host, ResultStore store, string resultsDirectory, string reference, string? output)
    {
        var console = host.Console;
        var located = CheckpointLocator.Locate(store, resultsDirectory, reference, host.ApplicationName);
        Onnx.ModelProto model;
        try
        {
            var tensors = ModelCheckpoint.ReadTensors(located.Directory);
            try
            {
                // The metadata's prepare is the dataset file's current one, as predict uses (LocatedCheckpoint.DatasetAsNow).
                model = OnnxExporter.Export(located.Config with { Dataset = located.DatasetAsNow(host.Datasets) }, tensors);
            }
            finally
            {
                foreach (var tensor in tensors.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        catch (Exception exception) when (exception is ModelExportException or InvalidDataException)
        {
            throw new UsageException($"{located.Reference}: {exception.Message}", exception);
        }

        var file = Path.GetFullPath(output ?? Path.Combine(located.Directory, DefaultFileName));
        try
        {
            if (Path.GetDirectoryName(file) is { } folder)
            {
                Directory.CreateDirectory(folder);
            }

            OnnxExporter.Write(model, file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[red]error:[/] cannot write the ONNX model of {located.Reference} to '{file}': {exception.Message}; make that folder writable, or pass --output FILE somewhere writable");
            return ExitCodes.UsageError;
        }

        var config = located.Config;
        var accuracy = config.TestAccuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $", test accuracy {a:0.00}%") : "";
        console.MarkupLineInterpolated(
            TerminalText.Format,
            $"Exported {located.Reference} ({config.Architecture.Architecture}{accuracy}) to [blue]{file}[/] (ONNX opset {OnnxExporter.Opset}, {new FileInfo(file).Length:N0} bytes)");
        console.MarkupLineInterpolated(
            TerminalText.Format,
            $"input '{OnnxExporter.InputName}': float32 [[batch, {config.Inputs.Features}]], raw values as the dataset stores them ({string.Join("x", config.Inputs.ExampleShape)}, divided by {config.Inputs.Divisor.ToString("R", CultureInfo.InvariantCulture)} in the graph); outputs '{OnnxExporter.LogitsName}' and '{OnnxExporter.ProbabilitiesName}' [[batch, {config.ClassNames.Count}]]");
        if (config.Inputs.Deskew)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[yellow]warning:[/] {config.Experiment} trained on deskewed images (deskew: true), which the graph cannot do: deskew each image before you feed it (the metadata says deskew = true)");
        }

        return 0;
    }
}
