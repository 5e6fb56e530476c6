using System.Runtime.InteropServices;

namespace Experiments.Results;

/// <summary>What a path names once symbolic links are followed.</summary>
public enum FileNodeKind
{
    /// <summary>Nothing (or a dangling symbolic link, or a folder on the way that is missing or unreadable).</summary>
    Missing,

    /// <summary>A regular file: the only kind a temporary file may be renamed over.</summary>
    RegularFile,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A device (<c>/dev/null</c>, <c>/dev/full</c>), a pipe (<c>mkfifo</c>, <c>/dev/fd/N</c> of <c>&gt;(cmd)</c>) or a socket: written in place.</summary>
    Special,
}

/// <summary>
/// Tells a regular file from a device or a pipe. .NET's <see cref="FileSystemInfo"/> cannot (its attributes have
/// no file type on Unix), so this asks the kernel with <c>statx(2)</c>, whose buffer has one layout on every
/// architecture (unlike <c>struct stat</c>). Where <c>statx</c> is missing it falls back to what .NET can see.
/// </summary>
public static class FileNode
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 0x1c; // stx_mode (u16), after stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid
    private const int TypeMask = 0xF000; // S_IFMT
    private const int RegularType = 0x8000; // S_IFREG
    private const int DirectoryType = 0x4000; // S_IFDIR

    /// <summary>The kind of node <paramref name="path"/> names, following symbolic links.</summary>
    public static FileNodeKind Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var buffer = new byte[256]; // sizeof(struct statx)
        int status;
        try
        {
            status = Statx(AtFdCwd, path, 0, StatxType, buffer);
        }
        catch (Exception exception) when (exception is EntryPointNotFoundException or DllNotFoundException)
        {
            // Without statx a device or a pipe cannot be told from a file (File.Exists is true for both): an existing
            // path is written in place, never renamed over, so a device is never replaced (a file loses atomicity).
            return Directory.Exists(path) ? FileNodeKind.Directory : File.Exists(path) ? FileNodeKind.Special : FileNodeKind.Missing;
        }

        if (status != 0)
        {
            return FileNodeKind.Missing;
        }

        return (BitConverter.ToUInt16(buffer, ModeOffset) & TypeMask) switch
        {
            RegularType => FileNodeKind.RegularFile,
            DirectoryType => FileNodeKind.Directory,
            _ => FileNodeKind.Special,
        };
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryDescriptor, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
