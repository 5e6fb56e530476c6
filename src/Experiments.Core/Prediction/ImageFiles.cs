using System.IO.Enumeration;
using Experiments.Data;

namespace Experiments.Prediction;

/// <summary>The files <c>predict</c> classifies in a folder.</summary>
internal static class ImageFiles
{
    /// <summary>
    /// Every file under <paramref name="folder"/>, its sub-folders included, in ordinal order of the path relative to
    /// it (<c>a/1.png</c> before <c>b.png</c>), each as <paramref name="folder"/> joined with that path. Hidden
    /// entries (names starting with '.') and the desktop clutter files <c>Thumbs.db</c> and <c>desktop.ini</c> are
    /// skipped, as the images loader skips them, hidden folders with all they hold. Every other file is returned, an
    /// image or not: deciding is the decoder's, so a file that is not an image is named, not silently left out.
    /// </summary>
    public static IReadOnlyList<string> InFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var files = new FileSystemEnumerable<string>(
            folder,
            (ref FileSystemEntry entry) => Path.GetRelativePath(folder, entry.ToFullPath()),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && !ImageFolderReader.IsSkipped(entry.FileName.ToString()),
            ShouldRecursePredicate = (ref FileSystemEntry entry) => !ImageFolderReader.IsSkipped(entry.FileName.ToString()),
        }.ToList();
        files.Sort(StringComparer.Ordinal);
        return files.Select(relative => Path.Combine(folder, relative)).ToList();
    }
}
