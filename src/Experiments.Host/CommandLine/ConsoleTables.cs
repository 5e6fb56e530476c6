using Experiments.Reporting;
using Spectre.Console;

namespace Experiments.Hosting;

/// <summary>
/// Renders a <see cref="TextTable"/> on the console: better in green, worse in red, notes in yellow. Every text is
/// escaped for the terminal (<see cref="TerminalText.Escape"/>): the cells come from the run history, which holds
/// what the YAML files and the command line said.
/// </summary>
internal static class ConsoleTables
{
    public static void Write(IAnsiConsole console, TextTable table, bool showTitle = true)
    {
        var rendered = new Table().Border(TableBorder.Rounded);
        if (showTitle)
        {
            rendered.Title(Markup.Escape(TerminalText.Escape(table.Title)));
        }

        for (var column = 0; column < table.Headers.Count; column++)
        {
            var header = new TableColumn(Markup.Escape(TerminalText.Escape(table.Headers[column])));
            rendered.AddColumn(table.NumericColumns.Contains(column) ? header.RightAligned() : header);
        }

        foreach (var row in table.Rows)
        {
            rendered.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Markup(Markup.Escape(TerminalText.Escape(cell.Text)), Style(cell.Mark))).ToArray());
        }

        console.Write(rendered);
        foreach (var note in table.Notes)
        {
            console.MarkupLineInterpolated(TerminalText.Format, $"[grey]{note}[/]");
        }
    }

    private static Style Style(CellMark mark) => mark switch
    {
        CellMark.Better => new Style(Color.Green, decoration: Decoration.Bold),
        CellMark.Worse => new Style(Color.Red, decoration: Decoration.Bold),
        CellMark.Note => new Style(Color.Yellow),
        _ => Spectre.Console.Style.Plain,
    };
}
