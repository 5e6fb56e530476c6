using System.Globalization;

namespace Experiments.Results;

/// <summary>
/// Writes a file atomically: to a temporary file beside it, flushed to the disk, then renamed over it, so a reader
/// never sees half a file, a failed write keeps the old one, and a power cut after the rename does not leave an empty
/// file behind. The rename is only for a regular file or a path that does not exist yet: a device (<c>/dev/null</c>,
/// <c>/dev/full</c>) or a pipe (<c>mkfifo</c>, <c>&gt;(head)</c>) is written in place, as a shell's <c>&gt;</c> would,
/// never replaced; a symbolic link is followed, so the link stays and its target gets the content.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>; throws <see cref="IOException"/> naming the path.</summary>
    public static void Write(string path, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        Write(path, stream => stream.Write(content));
    }

    /// <summary>
    /// Writes what <paramref name="write"/> puts in the stream it is given to <paramref name="path"/>, without holding
    /// the whole content in memory; throws <see cref="IOException"/> naming the path. The stream is positioned at
    /// the start and must only be written to; a failure of <paramref name="write"/> keeps the old file.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        switch (FileNode.Of(path))
        {
            case FileNodeKind.Directory:
                throw new IOException($"Cannot write '{path}': it is a directory");
            case FileNodeKind.Special:
                WriteInPlace(path, write);
                break;
            default:
                WriteAndRename(path, FinalTarget(path), write);
                break;
        }
    }

    /// <summary>
    /// Where a symbolic link (or a chain of them) ends, even when nothing is there yet; <paramref name="path"/>
    /// itself when it is not a link.
    /// </summary>
    private static string FinalTarget(string path)
    {
        try
        {
            // From the full path: .NET resolves a relative link's target against the folder of the path as given,
            // which for a bare "latest.md" is none (it made "/r/latest.md" of "latest.md -> r/latest.md").
            return File.ResolveLinkTarget(Path.GetFullPath(path), returnFinalTarget: true)?.FullName ?? path;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A link loop or an unreadable folder: the write itself says what is wrong.
            return path;
        }
    }

    /// <summary>Writes into the node <paramref name="path"/> names, as a shell's <c>&gt;</c> does (also the fallback for a regular file when its type cannot be told).</summary>
    internal static void WriteInPlace(string path, byte[] content) => WriteInPlace(path, stream => stream.Write(content));

    private static void WriteInPlace(string path, Action<Stream> write)
    {
        try
        {
            // Open, not Create: a device or a pipe is neither truncated nor replaced. Unbuffered, so an error such as
            // /dev/full's "no space left on device" surfaces here and not in a finalizer.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            long start = stream.CanSeek ? stream.Position : 0;
            write(stream);
            // A regular file written in place (where FileNode cannot tell it from a device) must not keep the tail of
            // longer old content; a device or a pipe has no length to cut (0, or not seekable).
            if (stream.CanSeek && stream.Length > stream.Position - start)
            {
                stream.SetLength(stream.Position - start);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write '{path}': {exception.Message}", exception);
        }
    }

    private static void WriteAndRename(string path, string target, Action<Stream> write)
    {
        // The process id and a random part: two writers of the same file, in two processes or two threads, never share one.
        var temporary = target + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            var through = target == path ? "" : $" (a link to '{target}')";
            throw new IOException($"Cannot write '{path}'{through}: {exception.Message}", exception);
        }
        catch
        {
            // The writer failed otherwise: no temporary file stays behind.
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Best effort: the temporary file is harmless.
        }
    }
}
