using System.Globalization;
using System.Runtime.InteropServices;

namespace Experiments.Bench;

/// <summary>What BENCHMARKS.md records about the machine a table was measured on.</summary>
internal static class Machine
{
    public static string Describe(int threads)
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }

        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{cpu}, {Environment.ProcessorCount} cores, {memory:F0} GiB; {RuntimeInformation.OSDescription}; .NET {Environment.Version}; TorchSharp threads: {threads}; load average at start: {LoadAverage()}");
    }

    /// <summary>The 1-minute load average (other work on the machine makes timings noisy).</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
