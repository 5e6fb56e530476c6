using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Experiments.Tests;

/// <summary>
/// Runs a step of a test in a directory whose files cannot be created, renamed or deleted: the directory's mode is
/// r-x for everyone while the step runs, and restored afterwards.
/// </summary>
/// <remarks>
/// Permission bits do not stop root (CI runs as root): root passes them with the capabilities CAP_DAC_OVERRIDE,
/// CAP_DAC_READ_SEARCH and CAP_FOWNER. So as root the step runs on a thread of its own that first drops those three
/// from its effective set. Linux keeps capabilities per thread (capset(2) with pid 0 changes only the calling
/// thread), so the rest of the test process keeps them, and nothing outlives the step: the thread ends with it and
/// the mode is restored. This needs no other user (which could not read an SDK or a checkout under /root), no
/// chattr (CAP_LINUX_IMMUTABLE, missing in containers and on tmpfs or overlayfs) and no privilege beyond what a
/// process may always do to itself. The step must do its file work on the calling thread, as synchronous code does.
/// Before the step runs, a probe proves that writes are refused, or the test fails: it must not pass by accident.
/// </remarks>
internal static class WriteProtection
{
    private const UnixFileMode ReadAndExecute =
        UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Runs <paramref name="step"/> while <paramref name="directory"/> cannot be written.</summary>
    public static void Run(string directory, Action step) => Run(directory, () =>
    {
        step();
        return true;
    });

    /// <summary>Runs <paramref name="step"/> while <paramref name="directory"/> cannot be written; returns its value.</summary>
    public static T Run<T>(string directory, Func<T> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (OperatingSystem.IsWindows() || (Environment.IsPrivilegedProcess && !OperatingSystem.IsLinux()))
        {
            throw new PlatformNotSupportedException("Write protection is implemented for Unix, and for root on Linux only");
        }

        var previousMode = File.GetUnixFileMode(directory);
        File.SetUnixFileMode(directory, ReadAndExecute);
        try
        {
            if (!Environment.IsPrivilegedProcess)
            {
                Probe(directory);
                return step();
            }

            T value = default!;
            ExceptionDispatchInfo? failure = null;
            var thread = new Thread(() =>
            {
                try
                {
                    DropFileCapabilities();
                    Probe(directory);
                    value = step();
                }
                catch (Exception exception)
                {
                    failure = ExceptionDispatchInfo.Capture(exception);
                }
            })
            {
                Name = "write-protected step",
            };
            thread.Start();
            thread.Join();
            failure?.Throw();
            return value;
        }
        finally
        {
            File.SetUnixFileMode(directory, previousMode);
        }
    }

    /// <summary>The protection must really hold, or a test that relies on it proves nothing.</summary>
    private static void Probe(string directory)
    {
        var probe = Path.Combine(directory, ".write-protection-probe");
        try
        {
            File.WriteAllText(probe, "");
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException or IOException)
        {
            return;
        }

        File.Delete(probe);
        throw new InvalidOperationException($"Could not write-protect '{directory}': a file could still be created in it");
    }

    private const uint LinuxCapabilityVersion3 = 0x20080522;
    private const int CapDacOverride = 1;
    private const int CapDacReadSearch = 2;
    private const int CapFowner = 3;

    /// <summary>Drops the capabilities that pass file permission checks from the calling thread's effective set.</summary>
    private static void DropFileCapabilities()
    {
        var header = new CapabilityHeader { Version = LinuxCapabilityVersion3, Pid = 0 };
        var data = new CapabilityData[2];
        if (CapGet(ref header, data) != 0)
        {
            throw new InvalidOperationException($"capget failed: errno {Marshal.GetLastPInvokeError()}");
        }

        data[0].Effective &= ~((1u << CapDacOverride) | (1u << CapDacReadSearch) | (1u << CapFowner));
        if (CapSet(ref header, data) != 0)
        {
            throw new InvalidOperationException($"capset failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapabilityHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapabilityData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapabilityHeader header, [Out] CapabilityData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapabilityHeader header, [In] CapabilityData[] data);
}
