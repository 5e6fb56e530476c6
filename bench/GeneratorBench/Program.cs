using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Experiments.Bench;

// The generator benchmark. See BenchmarksReport.RerunCommand and `--help`.
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

if (options.ColdChild is { } coldCount)
{
    // A child process: time the first run of the generator in this process and print it.
    var (stopwatch, reported) = InProcessBench.ColdRun(coldCount);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stopwatch:R} {reported:R}"));
    return 0;
}

var repositoryRoot = options.RepositoryRoot ?? FindRepositoryRoot();
var loadBefore = LoadAverage();
// The note is quoted in the load line already; the command shows where it went.
var shown = args.Select((a, i) => i > 0 && args[i - 1] == "--note" ? "\"…\"" : a.Contains(' ', StringComparison.Ordinal) ? "\"" + a + "\"" : a);
var command = "dotnet run -c Release --project bench/GeneratorBench -- " + string.Join(" ", shown);

Console.WriteLine($"Generator benchmark: sizes {string.Join(", ", options.Sizes)}; {options.Repeat} runs in process, {options.BuildRepeat} builds; repository {repositoryRoot}");
Console.WriteLine($"Load average before: {loadBefore}");

Console.WriteLine($"Warming up the JIT for {options.WarmupSeconds} s");
InProcessBench.WarmUp(options.Sizes, TimeSpan.FromSeconds(options.WarmupSeconds));
var inProcess = new List<InProcessResult>();
foreach (var size in options.Sizes)
{
    Console.WriteLine($"In process: {size} files");
    inProcess.Add(InProcessBench.Measure(size, options.Repeat, options.Warmup, ColdRunInChild));
}

Console.WriteLine();
Console.Write(BenchmarksReport.InProcessTable(inProcess));
Console.WriteLine();
Console.Write(BenchmarksReport.ReportedTable(inProcess));
Console.WriteLine();
Console.Write(BenchmarksReport.StepsTable(inProcess));
Console.WriteLine();

var builds = new List<BuildResult>();
if (options.BuildRepeat > 0)
{
    using var bench = new BuildBench(repositoryRoot, options.BuildRepeat) { Keep = options.KeepTemp };
    Console.WriteLine($"dotnet build, in {bench.Root}");
    foreach (var size in options.Sizes)
    {
        Console.WriteLine($"Build: {size} files");
        builds.Add(bench.Measure(size, Console.Out));
    }

    Console.WriteLine();
    Console.Write(BenchmarksReport.BuildTable(builds));
    Console.WriteLine();
}

Console.Write(BenchmarksReport.Verdict(inProcess));

var loadAfter = LoadAverage();
Console.WriteLine($"Load average after: {loadAfter}");

if (options.UpdateBenchmarksMarkdown)
{
    var conditions = new RunConditions(
        Machine: $"{Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)} logical cores, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}, SDK {DotnetVersion()}",
        Date: DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        Command: command.TrimEnd(),
        LoadBefore: loadBefore,
        LoadAfter: loadAfter,
        Note: options.Note);
    var path = Path.Combine(repositoryRoot, "BENCHMARKS.md");
    BenchmarksReport.Update(path, BenchmarksReport.Section(conditions, inProcess, builds, options.Repeat, options.BuildRepeat));
    Console.WriteLine($"Updated {path}");
}

return 0;

// Runs this program again with --cold-child and reads the two times it prints.
static (double Stopwatch, double Reported) ColdRunInChild(int count)
{
    var self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
    var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
    {
        info.ArgumentList.Add(typeof(BenchOptions).Assembly.Location);
    }

    info.ArgumentList.Add("--cold-child");
    info.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
    using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + self);
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"The cold run failed (exit code {process.ExitCode}): {output}");
    }

    var parts = output.Trim().Split(' ');
    return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
}

static string FindRepositoryRoot()
{
    var recorded = typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
    if (recorded is not null && File.Exists(Path.Combine(recorded, "Experiments.sln")))
    {
        return recorded;
    }

    for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Experiments.sln")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Cannot find the repository (Experiments.sln); pass --repository.");
}

static string LoadAverage()
{
    const string path = "/proc/loadavg";
    if (!File.Exists(path))
    {
        return "unknown";
    }

    var parts = File.ReadAllText(path).Split(' ');
    return string.Join(" / ", parts.Take(3));
}

static string DotnetVersion()
{
    try
    {
        var info = new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info);
        var version = process?.StandardOutput.ReadToEnd().Trim();
        process?.WaitForExit();
        return string.IsNullOrEmpty(version) ? "unknown" : version;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
