using System.Diagnostics;
using System.Globalization;

namespace Experiments.History;

/// <summary>Whether the process that recorded a run is still going, as far as this machine can tell.</summary>
public enum ProcessLiveness
{
    /// <summary>The same process (same host, boot, process id and start time) is still running here.</summary>
    Alive,

    /// <summary>It ran on this host and is gone: killed (SIGKILL, out of memory), or the machine restarted since.</summary>
    Gone,

    /// <summary>It cannot be told from here: another host, or nothing recorded to tell it by.</summary>
    Unknown,
}

/// <summary>
/// What identifies the process that records a run: the host, the process id and when the process started, so that a
/// later reader can tell a run that is still going from one whose process was killed without a word.
/// </summary>
/// <remarks>
/// A process id alone is reused, and a host restarts. On Linux the start is recorded as the boot id
/// (<c>/proc/sys/kernel/random/boot_id</c>) and the process's start in clock ticks since boot (field 22 of
/// <c>/proc/PID/stat</c>): both exact and unaffected by changes of the wall clock, so a reused id (other start) and a
/// restart (other boot id) are both detected by comparing text. <see cref="Process.StartTime"/> is derived from the
/// wall clock minus the uptime, so it moves when the clock is adjusted (NTP) and compares only within a tolerance;
/// it is the fallback on other systems (<c>utc:</c> and the start's ticks).
/// </remarks>
/// <param name="Host">The machine's name (<see cref="Environment.MachineName"/>).</param>
/// <param name="ProcessId">The process id.</param>
/// <param name="Start">When the process started (see the remarks), or null when it could not be read.</param>
public sealed record ProcessIdentity(string Host, int ProcessId, string? Start)
{
    private const string LinuxPrefix = "linux:";
    private const string ClockPrefix = "utc:";
    private static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(1);

    /// <summary>This process; its start is null when it cannot be read (then its runs cannot be checked later).</summary>
    public static ProcessIdentity Current()
    {
        string? start;
        try
        {
            start = StartOf(Environment.ProcessId);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            start = null;
        }

        return new(Environment.MachineName, Environment.ProcessId, start);
    }

    /// <summary>Whether this process is still going; <see cref="ProcessLiveness.Unknown"/> for another host.</summary>
    public ProcessLiveness Liveness()
    {
        if (!string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) || Start is null)
        {
            return ProcessLiveness.Unknown;
        }

        string? now;
        try
        {
            now = StartOf(ProcessId);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // Not allowed to look (hidepid, another user's process) or no boot id: not the same as gone.
            return ProcessLiveness.Unknown;
        }

        if (now is null)
        {
            return ProcessLiveness.Gone;
        }

        if (Start.StartsWith(LinuxPrefix, StringComparison.Ordinal) && now.StartsWith(LinuxPrefix, StringComparison.Ordinal))
        {
            return string.Equals(Start, now, StringComparison.Ordinal) ? ProcessLiveness.Alive : ProcessLiveness.Gone;
        }

        if (ClockTicks(Start) is { } then && ClockTicks(now) is { } current)
        {
            return TimeSpan.FromTicks(Math.Abs(current - then)) <= ClockTolerance ? ProcessLiveness.Alive : ProcessLiveness.Gone;
        }

        return ProcessLiveness.Unknown;
    }

    /// <summary>
    /// When process <paramref name="processId"/> started (see the remarks), or null when there is no such process
    /// or it has exited (a zombie not yet reaped by its parent counts as exited). Throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when that cannot be told.
    /// </summary>
    public static string? StartOf(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            return LinuxStart(processId);
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited ? null : ClockPrefix + process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? LinuxStart(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException exception) when (exception is not PathTooLongException && !Directory.Exists($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}"))
        {
            return null; // ESRCH: the process ended while the file was read.
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields are counted from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int StateField = 3;
        const int StartTimeField = 22;
        if (fields.Length <= StartTimeField - StateField || fields[0] is "Z" or "X" or "x")
        {
            return null;
        }

        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        return LinuxPrefix + bootId + ":" + fields[StartTimeField - StateField];
    }

    private static long? ClockTicks(string start) =>
        start.StartsWith(ClockPrefix, StringComparison.Ordinal) && long.TryParse(start.AsSpan(ClockPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
}
