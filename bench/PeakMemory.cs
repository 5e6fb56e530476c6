using System.Globalization;

namespace Experiments.Bench;

/// <summary>
/// The process's peak resident memory (Linux <c>VmHWM</c>), and a way to reset it so that each contestant of the
/// bench gets its own peak: writing 5 to <c>/proc/self/clear_refs</c> resets the high-water mark (Linux 4.0+).
/// </summary>
internal static class PeakMemory
{
    /// <summary>Resets the peak to the current RSS; false where the kernel does not allow it.</summary>
    public static bool Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Peak RSS in MiB since the last <see cref="Reset"/> (or since the start), or NaN if unknown.</summary>
    public static double PeakMegabytes() => ReadKilobytes("VmHWM:") / 1024.0;

    /// <summary>Current RSS in MiB, or NaN if unknown.</summary>
    public static double CurrentMegabytes() => ReadKilobytes("VmRSS:") / 1024.0;

    private static double ReadKilobytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var number = line[field.Length..].Trim().Split(' ')[0];
                    return double.Parse(number, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }
}
