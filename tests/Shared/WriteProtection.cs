using System.Diagnostics;

namespace Experiments.Tests;

/// <summary>
/// Takes away the right to create, rename or delete files in a directory, until disposed. Permission bits do not
/// stop root (CI runs as root), so as root the directory is made immutable with <c>chattr +i</c> instead.
/// </summary>
internal sealed class WriteProtection : IDisposable
{
    private readonly string directory;
    private readonly UnixFileMode? previousMode;

    public WriteProtection(string directory)
    {
        this.directory = directory;
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Write protection is implemented for Unix only");
        }

        if (Environment.UserName == "root")
        {
            Chattr("+i");
        }
        else
        {
            previousMode = File.GetUnixFileMode(directory);
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        // The protection must really hold, or a test that relies on it proves nothing.
        var probe = Path.Combine(directory, ".probe");
        var refused = false;
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (UnauthorizedAccessException)
        {
            refused = true;
        }
        catch (IOException)
        {
            refused = true;
        }

        if (!refused)
        {
            Dispose();
            throw new InvalidOperationException($"Could not write-protect '{directory}'");
        }
    }

    public void Dispose()
    {
        if (previousMode is { } mode && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, mode);
        }
        else
        {
            Chattr("-i");
        }
    }

    private void Chattr(string flag)
    {
        using var process = Process.Start(new ProcessStartInfo("chattr", [flag, directory]) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chattr {flag} {directory} failed: {error}");
        }
    }
}
