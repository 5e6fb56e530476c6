using System.Diagnostics;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The parallel speed-up a user sees (BENCHMARKS.md, "Scaling out"): the README's command,
/// <c>dotnet run --project runner -- run NAMES --force</c>, in fresh processes, one after another and with
/// <c>--parallel N</c>, taken in turns; the wall time of each whole command (workers started, datasets loaded,
/// table printed) is what is compared.
/// </summary>
/// <remarks>The first invocation builds the runner if needed and is not counted; <c>--no-build</c> after that, so the build is in neither figure.</remarks>
internal static class ParallelBench
{
    public static int Run(string repositoryRoot, IReadOnlyList<string> experiments, int parallel, int runs, TextWriter log)
    {
        var results = Directory.CreateTempSubdirectory("experiments-parallel-");
        try
        {
            List<string> Arguments(bool build, int? workers)
            {
                var arguments = new List<string> { "run", "--project", Path.Combine(repositoryRoot, "runner") };
                if (!build)
                {
                    arguments.Add("--no-build");
                }

                arguments.AddRange(["--", "run", .. experiments, "--results", results.FullName, "--force"]);
                if (workers is { } n)
                {
                    arguments.AddRange(["--parallel", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                }

                return arguments;
            }

            log.WriteLine("warm-up (builds when needed, not counted)");
            Time(repositoryRoot, Arguments(build: true, null));
            var sequential = new List<double>();
            var parallelTimes = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                var one = Time(repositoryRoot, Arguments(build: false, null));
                var many = Time(repositoryRoot, Arguments(build: false, parallel));
                sequential.Add(one);
                parallelTimes.Add(many);
                log.WriteLine(Invariant($"run {run}/{runs}: one process {one:F1} s, --parallel {parallel} {many:F1} s (load average now {Machine.LoadAverage()})"));
            }

            var s = Median(sequential);
            var p = Median(parallelTimes);
            log.WriteLine();
            log.WriteLine(Invariant($"`dotnet run --project runner --no-build -- run {string.Join(' ', experiments)} --force [--parallel {parallel}]`, {runs} runs each, in turns:"));
            log.WriteLine();
            log.WriteLine("| command | wall (s), median | every run |");
            log.WriteLine("|---|---:|---|");
            log.WriteLine(Invariant($"| one process | {s:F1} | {string.Join(", ", sequential.Select(v => Invariant($"{v:F1}")))} |"));
            log.WriteLine(Invariant($"| `--parallel {parallel}` | {p:F1} | {string.Join(", ", parallelTimes.Select(v => Invariant($"{v:F1}")))} |"));
            log.WriteLine();
            log.WriteLine(Invariant($"--parallel {parallel} takes {p / s:F2}x the one-process wall time."));
            return 0;
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Runs dotnet with <paramref name="arguments"/>; its wall time in seconds. A failed command is an error.</summary>
    private static double Time(string repositoryRoot, List<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var seconds = stopwatch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(Invariant($"dotnet {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{output.Result}\n{error.Result}"));
        }

        return seconds;
    }
}
