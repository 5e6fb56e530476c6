using System.Globalization;
using System.Text;

namespace Experiments.Bench;

/// <summary>Machine and conditions of a run, for the record.</summary>
internal sealed record RunConditions(string Machine, string Date, string Command, string LoadBefore, string LoadAfter, string? Note);

/// <summary>Writes the figures as Markdown and keeps this benchmark's section of BENCHMARKS.md up to date.</summary>
internal static class BenchmarksReport
{
    public const string Heading = "## Generator: scale (10, 100, 1,000 experiment files)";

    public const string RerunCommand = "dotnet run -c Release --project bench/GeneratorBench -- --update-benchmarks-md";

    private const double TargetMilliseconds = 1000;

    public static string InProcessTable(IReadOnlyList<InProcessResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Files | Experiments | Cold, new process (ms) | Warm full run (ms) | Warm, per file (µs) | Edit one YAML file (ms) | Edit the base YAML file (ms) | Edit C# (ms) |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine($"| {Count(r.Files)} | {Count(r.Experiments)} | {r.Cold.Format("F1")} | {r.Warm.Format("F1")} | {PerFile(r.Warm.Median, r.Files)} / {PerFile(r.Warm.Min, r.Files)} | {r.EditLeaf.Format("F2")} | {r.EditBase.Format("F2")} | {r.EditCSharp.Format("F3")} |");
        }

        return text.ToString();
    }

    public static string ReportedTable(IReadOnlyList<InProcessResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Files | Cold: Stopwatch / driver's ElapsedTime (ms, median) | Warm: Stopwatch / driver's ElapsedTime (ms, median) |");
        text.AppendLine("|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine($"| {Count(r.Files)} | {Number(r.Cold.Median, "F1")} / {Number(r.ColdReported.Median, "F1")} | {Number(r.Warm.Median, "F1")} / {Number(r.WarmReported.Median, "F1")} |");
        }

        return text.ToString();
    }

    public static string StepsTable(IReadOnlyList<InProcessResult> results)
    {
        var names = results.SelectMany(r => r.Steps.Keys).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine("| Step | " + string.Join(" | ", results.Select(r => Count(r.Files) + " files (ms)")) + " | Per file at " + Count(results[^1].Files) + " (µs) |");
        text.AppendLine("|---|" + string.Concat(results.Select(_ => "---:|")) + "---:|");
        foreach (var name in names)
        {
            var cells = results.Select(r => r.Steps.TryGetValue(name, out var s) ? s.Format("F2") : "-");
            var last = results[^1].Steps.TryGetValue(name, out var largest) ? PerFile(largest.Median, results[^1].Files) : "-";
            text.AppendLine($"| {name} | {string.Join(" | ", cells)} | {last} |");
        }

        return text.ToString();
    }

    public static string BuildTable(IReadOnlyList<BuildResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| Files | No change (s) | One YAML file edited (s) | obj/bin deleted (s) | ExperimentGenerator in csc, one YAML edited (s) | All generators in csc, SDK's included (s) |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine($"| {Count(r.Files)} | {r.NoChange.Format("F2")} | {r.EditYaml.Format("F2")} | {r.Clean.Format("F2")} | {r.GeneratorInBuild.Format("F3")} | {r.AllGeneratorsInBuild.Format("F3")} |");
        }

        return text.ToString();
    }

    /// <summary>Per-file cost at each size, growth between sizes, and whether the target is met.</summary>
    public static string Verdict(IReadOnlyList<InProcessResult> results)
    {
        var text = new StringBuilder();
        var perFile = string.Join(", ", results.Select(r => $"{PerFile(r.Warm.Median, r.Files)} µs at {Count(r.Files)}"));
        text.Append($"Linearity: a warm full run costs {perFile} files (median per file).");
        for (var i = 1; i < results.Count; i++)
        {
            var (small, large) = (results[i - 1], results[i]);
            var growth = large.Warm.Median / small.Warm.Median;
            var sizeRatio = (double)large.Files / small.Files;
            text.Append($" From {Count(small.Files)} to {Count(large.Files)} files ({Number(sizeRatio, "0.#")}x) the time grows {Number(growth, "0.0")}x (min: {Number(large.Warm.Min / small.Warm.Min, "0.0")}x).");
        }

        text.AppendLine();
        text.AppendLine();
        if (results.FirstOrDefault(r => r.Files == 1000) is { } thousand)
        {
            var met = thousand.Warm.Median < TargetMilliseconds;
            text.Append($"Target (1,000 experiment files add under one second of generator time): {(met ? "**met**" : "**not met**")}, ");
            text.Append($"{Number(thousand.Warm.Median, "F0")} ms median ({Number(thousand.Warm.Min, "F0")} ms min) for a full run with the generator JIT-compiled, as in the compiler server; ");
            text.Append($"the first run in a new process takes {Number(thousand.Cold.Median, "F0")} ms median ({Number(thousand.Cold.Min, "F0")} ms min), JIT included; ");
            text.Append($"after an edit to one file it takes {Number(thousand.EditLeaf.Median, "F1")} ms.");
            text.AppendLine();
        }

        return text.ToString();
    }

    public static string Section(RunConditions conditions, IReadOnlyList<InProcessResult> inProcess, IReadOnlyList<BuildResult> builds, int repeat, int buildRepeat)
    {
        var text = new StringBuilder();
        text.AppendLine(Heading);
        text.AppendLine();
        text.AppendLine("Written by `bench/GeneratorBench` (a benchmark, not a test). Every file is valid: most set every key, a quarter extend");
        text.AppendLine("`e0000.yaml` (some through `e0001.yaml`), about one in six sweeps `learningRate` (some also `batchSize`), so a");
        text.AppendLine("file count of N gives more than N experiments. Cells are **median / min**.");
        text.AppendLine();
        text.AppendLine($"- Machine: {conditions.Machine}");
        text.AppendLine($"- Date: {conditions.Date}");
        text.AppendLine($"- Command: `{conditions.Command}`");
        text.AppendLine($"- Load: 1/5/15-minute load average {conditions.LoadBefore} before and {conditions.LoadAfter} after the run.{(conditions.Note is null ? string.Empty : " " + conditions.Note)}");
        text.AppendLine();
        text.AppendLine($"### Generator in process ({repeat.ToString(CultureInfo.InvariantCulture)} runs each)");
        text.AppendLine();
        text.AppendLine("`CSharpGeneratorDriver.RunGenerators` timed with a Stopwatch, steps not tracked. *Cold*: the first run in a new process");
        text.AppendLine("(Roslyn's driver warmed with no generator, so the generator and YamlDotNet load and JIT-compile inside the timing).");
        text.AppendLine("*Warm full run*: a new driver, nothing cached, code already JIT-compiled by a few seconds of runs over every size");
        text.AppendLine("(the compiler server's case on a clean build). A full garbage collection precedes every timed run.");
        text.AppendLine("*Edit*: the same driver rerun after replacing one additional text (a file nothing extends; `e0000.yaml`, which a");
        text.AppendLine("quarter of the files extend) or after replacing the C# syntax tree.");
        text.AppendLine();
        text.Append(InProcessTable(inProcess));
        text.AppendLine();
        text.AppendLine("The driver's own figure (`GeneratorDriver.GetTimingInfo()`, the generator's ElapsedTime) beside the Stopwatch:");
        text.AppendLine();
        text.Append(ReportedTable(inProcess));
        text.AppendLine();
        text.AppendLine("Where the time of a full run goes: the summed `ElapsedTime` of each tracked pipeline step (a separate run with");
        text.AppendLine("`trackIncrementalGeneratorSteps: true`; `SourceOutput` is the emitting of every source). The last row is not part");
        text.AppendLine("of the run: the driver parses generated sources lazily, so the compiler pays for parsing them later in the build;");
        text.AppendLine("it is timed here on its own, for scale. What the step rows leave of the full run is the driver's own work (input");
        text.AppendLine("tables, hint-name checks, collecting the outputs).");
        text.AppendLine();
        text.Append(StepsTable(inProcess));
        text.AppendLine();
        if (builds.Count > 0)
        {
            text.AppendLine($"### `dotnet build` ({buildRepeat.ToString(CultureInfo.InvariantCulture)} builds each)");
            text.AppendLine();
            text.AppendLine("Wall time of `dotnet build -nologo -v:q` (Debug) of a throw-away project in a temporary folder that uses the framework");
            text.AppendLine("as `runner/` does (references `Experiments.Core`, the generator as an analyzer, imports its targets), after two");
            text.AppendLine("builds to restore and build the references. Every build includes restore and the up-to-date checks of the two");
            text.AppendLine("referenced projects. The last two columns are the compiler's own report (`-p:ReportAnalyzer=true`, separate builds).");
            var settings = BuildBench.EnvironmentSettings().ToList();
            if (settings.Count > 0)
            {
                text.AppendLine($"Environment: {string.Join(", ", settings.Select(s => "`" + s + "`"))}.");
            }

            if (BuildBench.SharedCompilationDisabled)
            {
                text.AppendLine("With the compiler server off, every build that compiles starts a new csc: Roslyn, the SDK's generators and");
                text.AppendLine("ExperimentGenerator load and JIT-compile each time, so the generator's share of a build is its *cold* time");
                text.AppendLine("above, not its warm time. With the server on (the SDK's default) it would be closer to the warm figures.");
            }
            text.AppendLine();
            text.Append(BuildTable(builds));
            text.AppendLine();
        }

        text.Append(Verdict(inProcess));
        return text.ToString();
    }

    /// <summary>Replaces this benchmark's section of BENCHMARKS.md (up to the next level-2 heading), or appends it.</summary>
    public static void Update(string path, string section)
    {
        var lines = File.Exists(path)
            ? File.ReadAllText(path).ReplaceLineEndings("\n").Split('\n').ToList()
            : ["# Benchmarks", string.Empty, $"Rerun the generator benchmark with `{RerunCommand}`.", string.Empty];
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var newSection = section.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        var start = lines.FindIndex(l => l.TrimEnd() == Heading);
        if (start < 0)
        {
            lines.Add(string.Empty);
            lines.AddRange(newSection);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            var rest = end < 0 ? [] : lines.Skip(end).ToList();
            lines = lines.Take(start).Concat(newSection).Concat(rest.Count > 0 ? [string.Empty] : []).Concat(rest).ToList();
        }

        File.WriteAllText(path, string.Join("\n", lines) + "\n");
    }

    public static string Count(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string PerFile(double milliseconds, int files) => Number(milliseconds * 1000 / files, "F0");
}
