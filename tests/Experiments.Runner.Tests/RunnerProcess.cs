using System.Diagnostics;
using System.Text;

namespace Experiments.Runner.Tests;

/// <summary>The runner as a separate process (the copy built beside the tests), with its output collected line by line.</summary>
internal sealed class RunnerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly object gate = new();

    public RunnerProcess(params string[] arguments)
        : this(null, arguments)
    {
    }

    private RunnerProcess(string? workingDirectory, string[] arguments)
    {
        // env(1) puts SIGINT and SIGTERM back to their default handling before it executes dotnet (same process id):
        // a process inherits "ignored" signals, and .NET keeps an ignored SIGINT ignored. A test host started by a
        // non-interactive shell in the background (`cmd &`, as CI scripts do) has SIGINT ignored, and without this the
        // runner would never see the Ctrl+C the signal test sends. (--default-signal: GNU coreutils 8.31 or later.)
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "experiments.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the dataset verification cache of these tests out of the user's home, as the in-process tests do.
        start.Environment["XDG_CACHE_HOME"] = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;

    /// <summary>The runner started in <paramref name="workingDirectory"/> (its current directory).</summary>
    public static RunnerProcess In(string workingDirectory, params string[] arguments) => new(workingDirectory, arguments);

    /// <summary>The dotnet host running these tests (so the runner uses the same runtime), else dotnet from PATH.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    public string Output
    {
        get
        {
            lock (gate)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output when the process ends first or after 5 minutes.</summary>
    public void WaitForOutput(string text)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"The runner never printed '{text}' (exited: {process.HasExited}). Output:\n{Output}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Sends a signal with kill(1), e.g. TERM or INT.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the exit (failing after 5 minutes, which only a hang reaches) and returns the exit code.</summary>
    public int WaitForExit()
    {
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("The runner did not exit. Output:\n" + Output);
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (gate)
            {
                output.Append(line).Append('\n');
            }
        }
    }
}
