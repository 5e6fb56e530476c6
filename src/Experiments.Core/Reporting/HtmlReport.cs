using System.Net;
using System.Text;
using Experiments.History;

namespace Experiments.Reporting;

/// <summary>
/// One run as a single self-contained HTML file: facts, results, the comparison with each experiment's previous
/// result, per-class accuracy, and every picture embedded as a base64 PNG. No script, no external resource, so it
/// opens the same from a CI artifact, an e-mail or a folder without network.
/// </summary>
public static class HtmlReport
{
    public const string FileName = "report.html";

    /// <summary>
    /// The page's style. The results table has many columns (and a sweep's names are long): each table sits in a box
    /// that scrolls sideways when the table is wider than the page, with the first column (the experiment) kept in
    /// view, so the page itself never runs off the window; cells wrap at spaces and at the '/' and ',' of a sweep
    /// member's name, numbers never, and a heading breaks a long name rather than widen the page.
    /// </summary>
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2rem auto; padding: 0 1rem; max-width: 1300px; color: #1b1b1b; line-height: 1.4; overflow-wrap: break-word; }
        h1 { margin-bottom: 0.2rem; }
        .table-box { overflow-x: auto; max-width: 100%; margin: 0.6rem 0 1.4rem; }
        table { border-collapse: separate; border-spacing: 0; font-size: 0.82rem; }
        th, td { border: solid #ccc; border-width: 0 1px 1px 0; padding: 0.2rem 0.45rem; text-align: left; vertical-align: top; background: #fff; }
        thead th { border-top-width: 1px; background: #f2f2f2; }
        th:first-child, td:first-child { position: sticky; left: 0; z-index: 1; border-left-width: 1px; max-width: 18rem; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .better { color: #1a7f37; font-weight: bold; }
        .worse { color: #cf222e; font-weight: bold; }
        .note { color: #9a6700; }
        figure { margin: 1rem 0; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
        figcaption, p.note-line { color: #555; font-size: 0.85rem; }
        """;

    /// <summary>The report of <paramref name="run"/>.</summary>
    /// <param name="run">The run.</param>
    /// <param name="results">Its results.</param>
    /// <param name="comparison">Each result against the experiment's previous result (may be empty).</param>
    /// <param name="pictures">The run's pictures (<see cref="RunPlots.Draw(IReadOnlyList{ExperimentResult})"/>).</param>
    public static string Render(RunRecord run, IReadOnlyList<StoredResult> results, IReadOnlyList<ComparisonRow> comparison, IReadOnlyList<RunPicture> pictures)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(pictures);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>Run ").Append(HistoryTables.Id(run.Id)).Append(": experiment results</title>\n")
            .Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>Run ").Append(HistoryTables.Id(run.Id)).Append("</h1>\n<p>")
            .Append(Encode(run.Status)).Append(", started ").Append(Encode(HistoryTables.Time(run.StartedAt))).Append(" UTC, ")
            .Append(results.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" result(s)</p>\n");

        Table(html, HistoryTables.RunFacts(run), "facts");
        html.Append("<h2>Results</h2>\n");
        Table(html, HistoryTables.Results("Results", results), "results");
        if (comparison.Count > 0)
        {
            html.Append("<h2>Against each experiment's previous result</h2>\n");
            Table(html, Comparison.Table("each experiment's previous result", comparison), "comparison");
        }

        foreach (var perClass in HistoryTables.PerClassAccuracy(results))
        {
            html.Append("<h2>").Append(Encode(perClass.Title)).Append("</h2>\n");
            Table(html, perClass, "per-class");
        }

        html.Append("<h2>Learning curves and test accuracy</h2>\n");
        foreach (var picture in pictures.Where(p => p.Experiment is null))
        {
            Figure(html, picture);
        }

        // Per experiment: its model's layers, then its pictures (the confusion matrix, what the first layer learned).
        var byExperiment = pictures.Where(p => p.Experiment is not null).ToLookup(p => p.Experiment!, StringComparer.Ordinal);
        var sections = results.Select(r => r.Experiment).Concat(byExperiment.Select(g => g.Key)).Distinct(StringComparer.Ordinal);
        foreach (var experiment in sections)
        {
            var model = results.FirstOrDefault(r => r.Experiment == experiment)?.Result.Model;
            if (model is null && !byExperiment.Contains(experiment))
            {
                continue;
            }

            html.Append("<h2>").Append(Encode(experiment)).Append("</h2>\n");
            if (model is not null)
            {
                Table(html, HistoryTables.Layers($"{experiment}: layers", model), "layers-" + RunPlots.FolderName(experiment));
            }

            foreach (var picture in byExperiment[experiment])
            {
                Figure(html, picture);
            }
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Table(StringBuilder html, TextTable table, string id)
    {
        html.Append("<div class=\"table-box\"><table id=\"").Append(id).Append("\">\n<thead><tr>");
        foreach (var header in table.Headers)
        {
            html.Append("<th>").Append(Encode(header)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            for (var column = 0; column < row.Count; column++)
            {
                var cell = row[column];
                var classes = new List<string>();
                if (table.NumericColumns.Contains(column))
                {
                    classes.Add("num");
                }

                if (cell.Mark != CellMark.None)
                {
                    classes.Add(cell.Mark.ToString().ToLowerInvariant());
                }

                html.Append(classes.Count == 0 ? "<td>" : $"<td class=\"{string.Join(' ', classes)}\">").Append(table.NumericColumns.Contains(column) ? Encode(cell.Text) : Breakable(cell.Text)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n");
        foreach (var note in table.Notes)
        {
            html.Append("<p class=\"note-line\">").Append(Encode(note)).Append("</p>\n");
        }
    }

    private static void Figure(StringBuilder html, RunPicture picture)
    {
        var (width, height) = PngSize(picture.Png);
        html.Append("<figure><img src=\"data:image/png;base64,").Append(Convert.ToBase64String(picture.Png))
            .Append("\" alt=\"").Append(Encode(picture.Title)).Append('"');
        if (width > 0)
        {
            html.Append(" width=\"").Append(width.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append("\" height=\"").Append(height.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('"');
        }

        html.Append("><figcaption>").Append(Encode(picture.Title)).Append(" (").Append(Encode(picture.RelativePath)).Append(")</figcaption></figure>\n");
    }

    /// <summary>Whether the bytes start with the PNG signature and an IHDR chunk.</summary>
    public static bool IsPng(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return bytes.Length >= 24 && bytes.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]) && PngSize(bytes).Width > 0;
    }

    /// <summary>Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian); (0, 0) when it is not a PNG.</summary>
    internal static (int Width, int Height) PngSize(byte[] png) =>
        png.Length >= 24 && png[12] == 'I' && png[13] == 'H' && png[14] == 'D' && png[15] == 'R'
            ? (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)))
            : (0, 0);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>
    /// A cell's text, encoded, with a line-break opportunity (<c>&lt;wbr&gt;</c>) after each '/' and ',': a sweep
    /// member's name (<c>lr-sweep/learningRate=0.01,batchSize=100</c>) has no space to wrap at. The text is unchanged.
    /// Not in numbers (<c>7,850</c>), which never wrap.
    /// </summary>
    private static string Breakable(string text) =>
        Encode(text).Replace("/", "/<wbr>", StringComparison.Ordinal).Replace(",", ",<wbr>", StringComparison.Ordinal);
}
