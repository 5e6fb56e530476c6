using System.Globalization;

namespace Experiments.Results;

/// <summary>Writes a file atomically: to a temporary file beside it, then renamed over it, so a reader never sees half a file and a failed write keeps the old one.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>; throws <see cref="IOException"/> naming the path.</summary>
    public static void Write(string path, byte[] content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllBytes(temporary, content);
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
