using System.Globalization;

namespace Experiments.Results;

/// <summary>
/// Writes a file atomically: to a temporary file beside it, flushed to the disk, then renamed over it, so a reader
/// never sees half a file, a failed write keeps the old one, and a power cut after the rename does not leave an empty
/// file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>; throws <see cref="IOException"/> naming the path.</summary>
    public static void Write(string path, byte[] content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new IOException($"Cannot write '{path}': {exception.Message}", exception);
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
