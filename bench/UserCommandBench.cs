using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>
/// The figure a user sees: runs the README's own command, <c>dotnet run --project runner -- run NAMES</c>, in fresh
/// processes one after another, and reads each experiment's <c>trainSeconds</c> from the latest.json it wrote, so
/// that what is measured is the table's Train column, not a warm in-process loop.
/// </summary>
/// <remarks>
/// The first invocation builds the runner if it is out of date (as the user's first command does); it is not
/// counted. A process that fails is an error: a figure from a failed run would be no figure at all.
/// </remarks>
internal static class UserCommandBench
{
    public static int Run(string repositoryRoot, IReadOnlyList<string> experiments, int runs, string? configuration, TextWriter log)
    {
        var results = Directory.CreateTempSubdirectory("experiments-user-command-");
        try
        {
            var arguments = new List<string> { "run", "--project", Path.Combine(repositoryRoot, "runner") };
            if (configuration is not null)
            {
                arguments.AddRange(["-c", configuration]);
            }

            // --force: every run shares one results folder, whose run cache would otherwise answer all but the first
            // (the figure is what training takes, as on the user's first run or after an edit).
            arguments.AddRange(["--", "run", .. experiments, "--results", results.FullName, "--force"]);
            var command = "dotnet run --project runner" + (configuration is null ? "" : " -c " + configuration) + " -- run " + string.Join(' ', experiments) + " --force";
            log.WriteLine($"warm-up (builds when needed, not counted): {command}");
            RunOnce(repositoryRoot, arguments, results.FullName);

            var seconds = experiments.ToDictionary(e => e, _ => new List<double>(), StringComparer.Ordinal);
            var loads = new List<string>();
            for (var run = 1; run <= runs; run++)
            {
                loads.Add(Machine.LoadAverage());
                var trained = RunOnce(repositoryRoot, arguments, results.FullName);
                foreach (var experiment in experiments)
                {
                    seconds[experiment].Add(trained[experiment]);
                }

                log.WriteLine(Invariant($"run {run}/{runs}: ") + string.Join("  ", experiments.Select(e => Invariant($"{e} {trained[e]:F3} s"))));
            }

            log.WriteLine();
            log.WriteLine(Invariant($"`{command}`, {runs} fresh processes, load average before each: {string.Join(", ", loads)}"));
            log.WriteLine();
            log.WriteLine("| experiment | train (s), median | min | max | every run |");
            log.WriteLine("|---|---:|---:|---:|---|");
            foreach (var experiment in experiments)
            {
                var values = seconds[experiment];
                var sorted = values.Order().ToList();
                log.WriteLine(Invariant($"| {experiment} | {Median(sorted):F3} | {sorted[0]:F3} | {sorted[^1]:F3} | {string.Join(" ", values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)))} |"));
            }

            return 0;
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>Runs the command once; each experiment's trainSeconds from the latest.json it wrote.</summary>
    private static Dictionary<string, double> RunOnce(string repositoryRoot, IReadOnlyList<string> arguments, string results)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the runner exited with {process.ExitCode}:\n{output}\n{error.GetAwaiter().GetResult()}");
        }

        using var latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(results, "latest.json")));
        return latest.RootElement.EnumerateArray().ToDictionary(
            r => r.GetProperty("experiment").GetString()!,
            r => r.GetProperty("trainSeconds").GetDouble(),
            StringComparer.Ordinal);
    }
}
