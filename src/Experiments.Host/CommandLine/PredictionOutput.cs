using System.Globalization;
using System.Text;
using System.Text.Json;
using Experiments.Prediction;
using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>One classified image: the path as the command line gave it (a folder's files joined to it) and what the model says.</summary>
internal sealed record PredictedImage(string File, ClassPrediction Prediction);

/// <summary>
/// <c>predict</c>'s output: a table; JSON, an array with one object per image (<c>file</c>, <c>label</c>,
/// <c>probability</c>, <c>top</c>: a list of <c>label</c>/<c>probability</c> objects, most probable first); or CSV,
/// one row per image and rank (<c>file,rank,label,probability</c>; rank 1 is the prediction). Probabilities are
/// numbers from 0 to 1 in JSON and CSV (shortest round-trip text, invariant culture), percentages in the table.
/// </summary>
internal static class PredictionOutput
{
    public static void Write(IAnsiConsole console, string format, string model, IReadOnlyList<PredictedImage> images)
    {
        switch (format)
        {
            case "json":
                WriteExport(console, Json(images));
                break;
            case "csv":
                WriteExport(console, Csv(images));
                break;
            default:
                if (images.Count > 0)
                {
                    ConsoleTables.Write(console, Table(model, images));
                }

                break;
        }
    }

    public static TextTable Table(string model, IReadOnlyList<PredictedImage> images)
    {
        var k = images.Count == 0 ? 0 : images.Max(i => i.Prediction.Top.Count);
        var rows = images.Select(i => (IReadOnlyList<Cell>)
        [
            i.File,
            i.Prediction.Label,
            Percent(i.Prediction.Probability),
            string.Join(", ", i.Prediction.Top.Skip(1).Select(t => $"{t.Label} {Percent(t.Probability)}")),
        ]).ToList();
        var runnersUp = k <= 2 ? "Next" : string.Create(CultureInfo.InvariantCulture, $"Next {k - 1}");
        return new TextTable($"Predictions of {model}", ["File", "Label", "Probability", runnersUp], rows) { NumericColumns = new HashSet<int> { 2 } };
    }

    public static string Json(IReadOnlyList<PredictedImage> images)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var image in images)
            {
                writer.WriteStartObject();
                writer.WriteString("file", image.File);
                writer.WriteString("label", image.Prediction.Label);
                writer.WriteNumber("probability", image.Prediction.Probability);
                writer.WriteStartArray("top");
                foreach (var entry in image.Prediction.Top)
                {
                    writer.WriteStartObject();
                    writer.WriteString("label", entry.Label);
                    writer.WriteNumber("probability", entry.Probability);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    public static string Csv(IReadOnlyList<PredictedImage> images)
    {
        var rows = images.SelectMany(image => image.Prediction.Top.Select((entry, rank) => (IReadOnlyList<Cell>)
        [
            image.File,
            (rank + 1).ToString(CultureInfo.InvariantCulture),
            entry.Label,
            entry.Probability.ToString("R", CultureInfo.InvariantCulture),
        ])).ToList();
        return new TextTable("predictions", ["file", "rank", "label", "probability"], rows).ToCsv();
    }

    /// <summary>A probability as a percentage to one decimal; one that rounds to 0 or 100 without being it says so (<c>&lt;0.1%</c>, <c>&gt;99.9%</c>).</summary>
    private static string Percent(double probability) => probability switch
    {
        > 0 and < 0.0005 => "<0.1%",
        >= 0.9995 and < 1 => ">99.9%",
        _ => (probability * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%",
    };

    /// <summary>JSON or CSV on standard output: the exact text into a pipe or a file; escaped (<see cref="TerminalText.Escape"/>) on a terminal, as the history exports.</summary>
    private static void WriteExport(IAnsiConsole console, string text) =>
        console.Profile.Out.Writer.Write(console.Profile.Out.IsTerminal ? TerminalText.Escape(text) : text);
}
