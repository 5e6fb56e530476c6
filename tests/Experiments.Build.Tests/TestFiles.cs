using System.Reflection;
using System.Text;
using Experiments.Build.LibStdCxxCompat;

namespace Experiments.Build.Tests;

/// <summary>Where the real libraries are: the NuGet cache, this test's output, this machine's libstdc++.</summary>
internal static class TestFiles
{
    public const string SystemLibStdCxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

    /// <summary>GLIBCXX_3.4.32's Vernaux in TorchSharp 0.107.0's libLibTorchSharp.so (readelf -V: .gnu.version_r at 0x3f8f0, entry 0x140).</summary>
    public const long ExpectedFlagsOffset = 0x3f8f0 + 0x140 + 4;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string NuGetPackageRoot
    {
        get
        {
            var root = Metadata("NuGetPackageRoot");
            if (root.Length == 0)
            {
                root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? "";
            }

            if (root.Length == 0)
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            }

            return root;
        }
    }

    public static string TorchSharpVersion => typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);

    /// <summary>The package's libLibTorchSharp.so, as restored: must never be written.</summary>
    public static string NuGetLibTorchSharp =>
        Path.Combine(NuGetPackageRoot, "torchsharp", TorchSharpVersion, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The copy the build put into this test project's output (patched by LibStdCxxCompat.targets).</summary>
    public static string OutputLibTorchSharp =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    public static byte[] OriginalLibTorchSharp() => File.ReadAllBytes(NuGetLibTorchSharp);

    /// <summary>Whether the libstdc++ the loader uses here lacks GLIBCXX_3.4.32, i.e. whether the build step should patch.</summary>
    public static bool MachineLacksGlibcxx3432()
    {
        var found = ElfVersionPatcher.FindLoaderLibStdCxx(
            ElfVersionPatcher.LibStdCxxCandidates(null, [], null, ElfVersionPatcher.RunLdconfig()), ElfFile.EmX8664);
        Assert.NotNull(found);
        return !found.Value.Versions.Contains(ElfVersionPatcher.Version);
    }

    public static void WriteU16(byte[] data, long at, int value)
    {
        data[at] = (byte)value;
        data[at + 1] = (byte)(value >> 8);
    }

    public static void WriteU32(byte[] data, long at, uint value)
    {
        WriteU16(data, at, (int)(value & 0xffff));
        WriteU16(data, at + 2, (int)(value >> 16));
    }

    public static uint ReadU32(byte[] data, long at) =>
        (uint)(data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24));

    public static ulong ReadU64(byte[] data, long at) => ReadU32(data, at) | ((ulong)ReadU32(data, at + 4) << 32);

    public static void WriteU64(byte[] data, long at, ulong value)
    {
        WriteU32(data, at, (uint)value);
        WriteU32(data, at + 4, (uint)(value >> 32));
    }

    public static void WriteAscii(byte[] data, long at, string text) => Encoding.ASCII.GetBytes(text).CopyTo(data, at);

    /// <summary>Runs a program and returns its exit code and combined output.</summary>
    /// <summary>
    /// Runs the dotnet CLI in a clean environment: the test host runs under `dotnet test`, whose MSBuild variables
    /// must not leak into a nested build.
    /// </summary>
    public static (int ExitCode, string Output) DotNet(string arguments, string workingDirectory)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[key] = null;
            }
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return Run(dotnet, arguments, workingDirectory, environment);
    }

    public static (int ExitCode, string Output) Run(string fileName, string arguments, string? workingDirectory = null, IDictionary<string, string?>? environment = null)
    {
        var info = new System.Diagnostics.ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (environment != null)
        {
            foreach (var (key, value) in environment)
            {
                if (value == null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {arguments} did not finish within 5 minutes");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public static string Metadata(string key) =>
        typeof(TestFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value ?? "";
}
