namespace Experiments.Hosting;

/// <summary>The built-in exporters (<see cref="IRunExporter"/>) and the default list.</summary>
public static class RunExporters
{
    /// <summary>
    /// What <c>all</c> and <c>run</c> write by default, in this order: the pictures (<see cref="PicturesExporter"/>), the HTML report (<see cref="HtmlReportExporter"/>),
    /// <c>latest.json</c> (<see cref="LatestJsonExporter"/>) and <c>latest.md</c> (<see cref="LatestMarkdownExporter"/>).
    /// Build another list from these to leave one out or add your own. The run history (<c>experiments.db</c>) is not an
    /// exporter: <see cref="ExperimentHostOptions.RecordHistory"/> switches it, and it is finished before any exporter runs.
    /// </summary>
    public static IReadOnlyList<IRunExporter> Default { get; } =
        [new PicturesExporter(), new HtmlReportExporter(), new LatestJsonExporter(), new LatestMarkdownExporter()];
}
