using System.Diagnostics;
using System.Text;

namespace Experiments.Packaging.Tests;

/// <summary>Runs `dotnet` as a user would: without the test host's MSBuild and VSTest variables, with a timeout.</summary>
internal static class DotNetProcess
{
    public static (int ExitCode, string Output) Run(string arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? extra = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var key in info.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_CLI_UI_LANGUAGE", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // NuGet's vulnerability audit asks nuget.org on every restore: offline it warns (NU1900), and an advisory published
        // tomorrow against any transitive package warns (NU1901-NU1904); neither is what these tests check.
        info.Environment["NuGetAudit"] = "false";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No wide table is cut at a console's width, and no colour codes reach the checked text.
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "200";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"dotnet {arguments} (in {workingDirectory}) did not finish within {timeout}:\n{Text(output)}");
        }

        process.WaitForExit();
        return (process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
