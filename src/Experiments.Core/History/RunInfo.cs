using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Experiments.History;

/// <summary>Where and how a run happened: recorded with it so that results can be traced to code and machine.</summary>
public sealed record RunInfo
{
    public required string CommandLine { get; init; }

    /// <summary>The commit checked out, or null when the code is not in a git work tree (or git is missing).</summary>
    public string? GitCommit { get; init; }

    /// <summary>Whether tracked or untracked files differed from <see cref="GitCommit"/>; null when unknown.</summary>
    public bool? GitDirty { get; init; }

    public required string Machine { get; init; }

    public required string OperatingSystem { get; init; }

    public required string DotnetVersion { get; init; }

    public string? TorchSharpVersion { get; init; }

    /// <summary>The process that recorded the run (to tell a killed run from one still going); null when unknown.</summary>
    public ProcessIdentity? RecordedBy { get; init; }

    /// <summary>Everything but the command line, read from this process and, for git, from <paramref name="repositoryRoot"/>.</summary>
    public static RunInfo Capture(string commandLine, string? repositoryRoot)
    {
        var (commit, dirty) = repositoryRoot is null ? (null, null) : ReadGit(repositoryRoot);
        return new RunInfo
        {
            CommandLine = commandLine,
            GitCommit = commit,
            GitDirty = dirty,
            Machine = $"{Environment.MachineName} ({Environment.ProcessorCount} cores, {RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})",
            OperatingSystem = RuntimeInformation.OSDescription,
            DotnetVersion = RuntimeInformation.FrameworkDescription,
            TorchSharpVersion = ReadTorchSharpVersion(),
            RecordedBy = ProcessIdentity.Current(),
        };
    }

    /// <summary>The TorchSharp package version (its informational version without the source hash).</summary>
    public static string? ReadTorchSharpVersion()
    {
        var assembly = typeof(TorchSharp.torch).Assembly;
        var informational = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion;
        return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString();
    }

    /// <summary>HEAD's commit and whether the tree is dirty, by asking git; (null, null) when that fails.</summary>
    public static (string? Commit, bool? Dirty) ReadGit(string directory)
    {
        var commit = Git(directory, "rev-parse", "--verify", "HEAD");
        if (commit is null)
        {
            return (null, null);
        }

        var status = Git(directory, "status", "--porcelain");
        return (commit.Trim(), status is null ? null : status.Trim().Length > 0);
    }

    /// <summary>Runs git in <paramref name="directory"/>; its standard output, or null when it fails or takes over 10 s.</summary>
    public static string? Git(string directory, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        try
        {
            var start = new ProcessStartInfo("git")
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? output.GetAwaiter().GetResult() : null;
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
