using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Experiments.Reporting;

/// <summary>How a cell stands out: a change beyond noise for the better or worse, or a note (e.g. the YAML changed).</summary>
public enum CellMark
{
    None,
    Better,
    Worse,
    Note,
}

/// <summary>One cell: its text, the number behind it (for JSON), and a mark.</summary>
public sealed record Cell(string Text, double? Number = null, CellMark Mark = CellMark.None)
{
    public static implicit operator Cell(string text) => new(text);

    /// <summary>A number formatted in the invariant culture; "-" for a missing or non-finite one.</summary>
    public static Cell Of(double? value, string format, CellMark mark = CellMark.None) =>
        value is { } v && double.IsFinite(v) ? new(v.ToString(format, CultureInfo.InvariantCulture), v, mark) : new("-");

    /// <summary>A signed number ("+0.42", "-1.00").</summary>
    public static Cell Signed(double? value, string format, CellMark mark = CellMark.None) =>
        value is { } v && double.IsFinite(v) ? new((v >= 0 ? "+" : "") + v.ToString(format, CultureInfo.InvariantCulture), v, mark) : new("-");
}

/// <summary>
/// One column of a table of <typeparamref name="T"/>: its header, whether it holds numbers (right-aligned), and how
/// the cell of a row is made. Tables are lists of columns, so a column is found by what it is, not by an index.
/// </summary>
/// <typeparam name="T">What a row shows.</typeparam>
/// <param name="Header">The header, unique within a table.</param>
/// <param name="Value">The cell of one row.</param>
/// <param name="Numeric">Whether the cells are numbers (right-aligned).</param>
public sealed record Column<T>(string Header, Func<T, Cell> Value, bool Numeric = false)
{
    /// <summary>The same column for rows of another type that hold a <typeparamref name="T"/>.</summary>
    public Column<TRow> For<TRow>(Func<TRow, T> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        return new(Header, row => Value(select(row)), Numeric);
    }
}

/// <summary>
/// A table of text cells that every command and file shares, rendered as Markdown, CSV or JSON here, and as a
/// console table by the runner and HTML by the report, so all show the same columns and numbers. A header may
/// appear only once.
/// </summary>
public sealed record TextTable(string Title, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<Cell>> Rows)
{
    /// <summary>The column headers, in order; each once (a repeated one is an <see cref="ArgumentException"/>).</summary>
    public IReadOnlyList<string> Headers { get; init; } = Unique(Title, Headers);

    /// <summary>A table with one row per item, made by <paramref name="columns"/>.</summary>
    public static TextTable Of<T>(string title, IReadOnlyList<Column<T>> columns, IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(items);
        var rows = items.Select(item => (IReadOnlyList<Cell>)columns.Select(column => column.Value(item)).ToList()).ToList();
        return new TextTable(title, columns.Select(c => c.Header).ToList(), rows)
        {
            NumericColumns = Enumerable.Range(0, columns.Count).Where(i => columns[i].Numeric).ToHashSet(),
        };
    }

    private static IReadOnlyList<string> Unique(string title, IReadOnlyList<string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var repeated = headers.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return repeated is null ? headers : throw new ArgumentException($"The table '{title}' has the column '{repeated.Key}' {repeated.Count()} times", nameof(headers));
    }

    /// <summary>Columns whose cells are numbers (right-aligned).</summary>
    public IReadOnlySet<int> NumericColumns { get; init; } = new HashSet<int>();

    /// <summary>Lines shown under the table (what the marks mean, where the noise band comes from).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public string ToMarkdown()
    {
        var builder = new StringBuilder();
        builder.Append("| ").AppendJoin(" | ", Headers.Select(Escape)).Append(" |\n|");
        for (var column = 0; column < Headers.Count; column++)
        {
            builder.Append(NumericColumns.Contains(column) ? " ---: |" : " --- |");
        }

        builder.Append('\n');
        foreach (var row in Rows)
        {
            builder.Append("| ").AppendJoin(" | ", row.Select(c => c.Mark is CellMark.Better or CellMark.Worse ? "**" + Escape(c.Text) + "**" : Escape(c.Text))).Append(" |\n");
        }

        foreach (var note in Notes)
        {
            builder.Append('\n').Append(note).Append('\n');
        }

        return builder.ToString();

        static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
    }

    /// <summary>RFC 4180 CSV with a header row (hand-written: quoting is the whole of it, no package needed).</summary>
    public string ToCsv()
    {
        var builder = new StringBuilder();
        builder.AppendJoin(',', Headers.Select(CsvField)).Append("\r\n");
        foreach (var row in Rows)
        {
            builder.AppendJoin(',', row.Select(c => CsvField(c.Text))).Append("\r\n");
        }

        return builder.ToString();
    }

    /// <summary>A JSON array with one object per row, keyed by header; numbers as numbers, a mark as "<c>header</c> mark".</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var row in Rows)
            {
                writer.WriteStartObject();
                for (var column = 0; column < Headers.Count && column < row.Count; column++)
                {
                    var cell = row[column];
                    writer.WritePropertyName(Headers[column]);
                    if (cell.Number is { } number && double.IsFinite(number))
                    {
                        writer.WriteNumberValue(number);
                    }
                    else if (cell.Text is "-" or "")
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        writer.WriteStringValue(cell.Text);
                    }

                    if (cell.Mark != CellMark.None)
                    {
                        writer.WriteString(Headers[column] + " mark", cell.Mark.ToString().ToLowerInvariant());
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The table in one of the text formats: <c>md</c>, <c>csv</c> or <c>json</c>.</summary>
    public string Format(string format) => format switch
    {
        "md" => ToMarkdown(),
        "csv" => ToCsv(),
        "json" => ToJson(),
        _ => throw new ArgumentException($"Unknown format '{format}'; expected md, csv or json", nameof(format)),
    };

    internal static string CsvField(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 || text.StartsWith(' ') || text.EndsWith(' ')
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : text;
}
