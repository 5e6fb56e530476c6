using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Experiments.ScaleOut.Tests;

/// <summary>The experiment app tests/Experiments.ScaleOut.App (built beside these tests) as a process.</summary>
internal static class ScaleOutApp
{
    /// <summary>The app's experiments, in catalog order: the sweep of six tiny ones, and two long ones.</summary>
    public static readonly IReadOnlyList<string> Tiny =
    [
        "tiny/learningRate=0.005", "tiny/learningRate=0.01", "tiny/learningRate=0.02",
        "tiny/learningRate=0.03", "tiny/learningRate=0.05", "tiny/learningRate=0.1",
    ];

    /// <summary>One that trains about 15 s on one thread (200 epochs of batch 1), to be killed or requeued mid-training.</summary>
    public const string Long = "long/learningRate=0.01";

    /// <summary>How a worker or the app starts: the dotnet host running these tests and the app's dll.</summary>
    public static IReadOnlyList<string> Command =>
    [
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet",
        Path.Combine(AppContext.BaseDirectory, "scaleout-app.dll"),
    ];

    /// <summary>Runs the app to its end (at most 5 minutes): its exit code and output (stdout and stderr).</summary>
    public static (int ExitCode, string Output) Run(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var command = Command;
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1).Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scaleout-app {string.Join(' ', arguments)} did not finish within 5 minutes:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>Runs the app and asserts it succeeded; its output.</summary>
    public static string Succeed(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var (exitCode, output) = Run(environment, arguments);
        Assert.True(exitCode == 0, $"scaleout-app {string.Join(' ', arguments)} exited with {exitCode.ToString(CultureInfo.InvariantCulture)}:\n{output}");
        return output;
    }
}
