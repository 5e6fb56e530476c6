using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Generated;
using Experiments.History;
using SkiaSharp;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// The HTML report, rendered by a real browser: Debian's Chromium, headless (./test.sh installs it). The assertions
/// come from the rendered page, not from the HTML text: tables with their rows, and every image decoded.
/// </summary>
public sealed class ReportInBrowserTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory results = new();

    public void Dispose() => results.Dispose();

    private static ExperimentResult MnistShaped(string name, double accuracy)
    {
        var random = new Random(name.Length);
        var weights = Enumerable.Range(0, 10 * 784).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var confusion = Enumerable.Range(0, 10).Select(a => (IReadOnlyList<long>)Enumerable.Range(0, 10).Select(p => a == p ? 900L : 11L).ToArray()).ToArray();
        return HistoryCommandTests.Result(name, accuracy) with
        {
            Weights = new ModelWeights(10, 784, weights),
            Test = new Evaluation { Accuracy = accuracy, Loss = 0.3, PerClassAccuracy = Enumerable.Repeat(accuracy, 10).ToArray(), ConfusionMatrix = confusion, Count = 10_000 },
        };
    }

    private string WriteReport()
    {
        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            foreach (var accuracy in new[] { 80.0, 86.0 })
            {
                var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, Start);
                store.AddResult(run, MnistShaped("seed-recipe", accuracy), new ExperimentSource("experiments/seed-recipe.yaml", "aa"));
                store.AddResult(run, MnistShaped("tuned <momentum> & \"friends\"", accuracy + 6), new ExperimentSource("experiments/t.yaml", "bb"));
                store.AddResult(run, HistoryCommandTests.Result("broken", double.NaN) with { Status = ExperimentStatus.Failed, Test = null, Error = "<b>not bold</b>" });
                store.FinishRun(run, RunStatus.Failed, Start);
            }
        }

        var console = new TestConsole().Width(250);
        var exitCode = TestHost.Run(["report", "--results", results.Path], console, ExperimentCatalog.All);
        Assert.True(exitCode == 0, console.Output);
        var report = Path.Combine(results.Path, "2", "report.html");
        Assert.Contains($"written to {report}", console.Output, StringComparison.Ordinal);
        return report;
    }

    [Fact]
    public void The_report_is_self_contained()
    {
        var html = File.ReadAllText(WriteReport());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)=\"(?!data:image/png;base64,)", html);
        Assert.DoesNotContain("<b>not bold</b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;not bold&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Equal(7, Regex.Count(html, "<img src=\"data:image/png;base64,"));
    }

    [Fact]
    public void Chromium_renders_every_table_and_decodes_every_image()
    {
        var report = WriteReport();

        // A copy with a probe that records, once the page has loaded, what the browser made of it.
        var probe = Path.Combine(results.Path, "probe.html");
        File.WriteAllText(probe, File.ReadAllText(report).Replace("</body>", """
            <script>
            window.addEventListener('load', () => {
              const images = [...document.images];
              document.body.dataset.images = images.map(i => i.complete && i.naturalWidth > 0 ? i.naturalWidth + 'x' + i.naturalHeight : 'broken').join(' ');
              document.body.dataset.tables = [...document.querySelectorAll('table')].map(t => t.id + ':' + t.tBodies[0].rows.length).join(' ');
              document.body.dataset.visible = images.filter(i => i.getBoundingClientRect().width > 100).length;
              document.body.dataset.fetched = performance.getEntriesByType('resource').filter(e => !e.name.startsWith('data:')).length;
              document.body.dataset.better = [...document.querySelectorAll('table#comparison td.better')].map(td => td.textContent.trim()).join('|');
              document.body.dataset.betterColor = [...document.querySelectorAll('table#comparison td.better')].map(td => getComputedStyle(td).color).join('|');
            });
            </script>
            </body>
            """, StringComparison.Ordinal));

        var dom = Chromium("--dump-dom", new Uri(probe).AbsoluteUri);
        var body = Regex.Match(dom, "<body([^>]*)>").Groups[1].Value;
        string Data(string name) => Regex.Match(body, $"data-{name}=\"([^\"]*)\"") is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no data-{name} on the rendered body: {body}");

        var images = Data("images").Split(' ');
        Assert.Equal(7, images.Length); // 3 of the run, 2 for each of the two experiments that completed
        Assert.All(images, size => Assert.Matches(@"^\d{3,4}x\d{3,4}$", size));
        Assert.Equal("7", Data("visible"));
        Assert.Equal("0", Data("fetched"));
        Assert.Equal("facts:12 results:3 comparison:3 per-class:2", Data("tables")); // the facts include Results (of planned) and Process
        Assert.Contains("tuned &lt;momentum&gt; &amp; \"friends\"", dom, StringComparison.Ordinal);
        // +6 points on 10,000 images is beyond noise: the change and the verdict of both completed experiments are
        // marked, and drawn in the report's green.
        Assert.Equal("+6.00|better|+6.00|better", Data("better"));
        Assert.Equal(string.Join('|', Enumerable.Repeat("rgb(26, 127, 55)", 4)), Data("better-color"));

        // And the page as a user sees it: a screenshot that is not blank.
        var screenshot = Path.Combine(results.Path, "report.png");
        Chromium("--window-size=1200,3000", "--screenshot=" + screenshot, new Uri(report).AbsoluteUri);
        using var bitmap = SKBitmap.Decode(screenshot);

        // At least the window (some Chromium versions capture the whole page, some the window).
        Assert.True(bitmap.Width >= 1200 && bitmap.Height >= 3000, $"a screenshot of {bitmap.Width}x{bitmap.Height}");
        // The learning curves draw the first experiment in Category10's blue (#1f77b4): that colour on screen means
        // the pictures were painted, not just laid out (text and tables alone have none of it).
        var plotBlue = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                plotBlue += Math.Abs(c.Red - 0x1f) + Math.Abs(c.Green - 0x77) + Math.Abs(c.Blue - 0xb4) < 24 ? 1 : 0;
            }
        }

        Assert.True(plotBlue > 200, $"only {plotBlue} pixels of the plots' blue on the screenshot");
    }

    [Fact]
    public void At_1400_pixels_no_table_runs_off_the_page()
    {
        // The shipped recipes' hyperparameters (long optimizer and input cells) and a sweep over two keys (a long name).
        using (var store = ResultStore.OpenOrCreate(results.Path))
        {
            var run = store.StartRun(new RunInfo { CommandLine = "experiments all", Machine = "m", OperatingSystem = "os", DotnetVersion = ".NET" }, Start);
            foreach (var experiment in ExperimentCatalog.All)
            {
                var result = MnistShaped(experiment.Name, 91.25) with { Hyperparameters = experiment.Settings.ToNamedValues() };
                store.AddResult(run, result, new ExperimentSource(experiment.SourceFile, "aa"));
                store.AddResult(run, result with { Experiment = experiment.Name + "/learningRate=0.001,batchSize=100,momentum=0.9,weightDecay=0.0001" }, new ExperimentSource(experiment.SourceFile, "bb"));
            }

            store.FinishRun(run, RunStatus.Completed, Start);
        }

        var console = new TestConsole().Width(250);
        Assert.True(TestHost.Run(["report", "--results", results.Path], console, ExperimentCatalog.All) == 0, console.Output);
        var report = Path.Combine(results.Path, "1", "report.html");

        // Where each table ends against the window, and whether the box around it scrolls; then that box scrolled to
        // its end, to see that the first column (the experiment's name) stays in view.
        var probe = Path.Combine(results.Path, "probe.html");
        File.WriteAllText(probe, File.ReadAllText(report).Replace("</body>", """
            <script>
            window.addEventListener('load', () => {
              const width = document.documentElement.clientWidth;
              document.body.dataset.page = document.documentElement.scrollWidth + ' ' + width;
              document.body.dataset.tables = [...document.querySelectorAll('table')].map(t => {
                const box = t.parentElement;
                const scrolls = getComputedStyle(box).overflowX !== 'visible' && box.scrollWidth > box.clientWidth;
                const right = Math.round((scrolls ? box : t).getBoundingClientRect().right);
                let sticky = '';
                if (scrolls) {
                  box.scrollLeft = box.scrollWidth;
                  sticky = Math.round(t.tBodies[0].rows[0].cells[0].getBoundingClientRect().left - box.getBoundingClientRect().left) <= 1 ? ' sticky' : ' scrolled-away';
                }
                return t.id + ':' + (right <= width ? 'fits' : 'runs-off') + (scrolls ? ' scrolls' : '') + sticky;
              }).join('|');
            });
            </script>
            </body>
            """, StringComparison.Ordinal));

        string Measure(int width, out string tables)
        {
            var dom = Chromium($"--window-size={width},900", "--dump-dom", new Uri(probe).AbsoluteUri);
            var body = Regex.Match(dom, "<body([^>]*)>").Groups[1].Value;
            string Data(string name) => Regex.Match(body, $"data-{name}=\"([^\"]*)\"") is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no data-{name} on the rendered body: {body}");
            tables = Data("tables");
            return Data("page");
        }

        // At 1,400 px every table fits the page (cells wrap at the name's '/' and ','). Narrower, the results table
        // scrolls in its own box, the names column staying in view; the page never runs off the window.
        foreach (var width in new[] { 1400, 800 })
        {
            var page = Measure(width, out var tables).Split(' ').Select(int.Parse).ToArray();
            Assert.True(page[0] <= page[1], $"at {width} px the page is {page[0]} px wide in a {page[1]} px window: {tables}");
            Assert.All(tables.Split('|'), t => Assert.Contains(":fits", t, StringComparison.Ordinal));
            Assert.DoesNotContain("scrolled-away", tables, StringComparison.Ordinal);
            if (width == 800)
            {
                Assert.Contains("results:fits scrolls sticky", tables.Split('|'));
            }
        }
    }

    /// <summary>Runs headless Chromium as the machine's notes advise (no background networking, a fresh profile).</summary>
    private string Chromium(params string[] arguments)
    {
        var executable = new[] { Environment.GetEnvironmentVariable("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new Xunit.Sdk.XunitException("Chromium is not installed: apt-get install chromium (./test.sh does it for you), or set CHROMIUM to its path");
        using var profile = new TemporaryDirectory();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=10000",
            "--user-data-dir=" + profile.Path,
        }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("Chromium did not finish within 2 minutes: " + error.Result);
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {error.Result}");
        return output.Result;
    }
}
