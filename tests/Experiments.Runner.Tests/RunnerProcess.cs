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
        : this([], arguments)
    {
    }

    /// <summary>
    /// Starts the runner through <paramref name="wrapper"/> (e.g. <c>setsid</c>, or <c>timeout -s TERM 600</c>), which
    /// gets the runner's command line appended; <see cref="Id"/> is then the wrapper's process.
    /// </summary>
    /// <param name="runnerCommand">False to run <paramref name="wrapper"/> alone (it runs the runner itself).</param>
    /// <param name="workingDirectory">The runner's current directory; null for this process's.</param>
    public RunnerProcess(IReadOnlyList<string> wrapper, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, bool runnerCommand = true, string? workingDirectory = null)
    {
        var command = wrapper.Concat(runnerCommand ? Command(arguments) : arguments).ToList();
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // Keep the dataset verification cache of these tests out of the user's home, as the in-process tests do.
        start.Environment["XDG_CACHE_HOME"] = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The runner's command line, for a shell or a wrapper to run.</summary>
    public static IReadOnlyList<string> Command(IReadOnlyList<string> arguments)
    {
        // env(1) puts SIGINT, SIGTERM and SIGHUP back to their default handling before it executes dotnet (same
        // process id): a process inherits "ignored" signals, and .NET keeps an ignored signal ignored. A test host
        // started by a non-interactive shell in the background (`cmd &`, as CI scripts do) has SIGINT ignored, and
        // without this the runner would never see the Ctrl+C the signal test sends; nohup ignores SIGHUP.
        // (--default-signal: GNU coreutils 8.31 or later.)
        return ["env", "--default-signal=INT,TERM,HUP", .. PlainCommand(arguments)];
    }

    /// <summary>The runner's command line without env(1): the signals stay as this process has them.</summary>
    public static IReadOnlyList<string> PlainCommand(IReadOnlyList<string> arguments) =>
        [DotnetHost(), Path.Combine(AppContext.BaseDirectory, "experiments.dll"), .. arguments];

    public int Id => process.Id;

    /// <summary>The runner started in <paramref name="workingDirectory"/> (its current directory).</summary>
    public static RunnerProcess In(string workingDirectory, params string[] arguments) => new([], arguments, workingDirectory: workingDirectory);

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
    public void Signal(string name) => Kill("-" + name, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Sends a signal to the process group this process leads (<c>kill -TERM -PGID</c>, as a container runtime or
    /// a shell's job control does); the process must have been started as a group leader (e.g. through setsid).
    /// </summary>
    public void SignalGroup(string name)
    {
        var id = process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stat = File.ReadAllText($"/proc/{id}/stat");

        // pid (comm) state ppid pgrp ...: the fields after the command's closing parenthesis.
        var group = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2];
        Assert.True(group == id, $"the runner {id} does not lead its process group ({group})");
        Kill("-" + name, "--", "-" + id);
    }

    private static void Kill(params string[] arguments)
    {
        using var kill = Process.Start("kill", arguments);
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
