using Experiments.Prediction;

namespace Experiments.Core.Tests.Prediction;

/// <summary>The files <c>predict</c> takes from a folder: all of them, sub-folders too, in ordinal order, hidden ones skipped.</summary>
public sealed class ImageFilesTests : IDisposable
{
    private readonly TemporaryDirectory folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void A_folder_gives_every_file_below_it_in_ordinal_order_without_hidden_entries_and_clutter()
    {
        foreach (var name in new[] { "b.png", "B.png", "a/2.png", "a/10.png", "notes.txt", ".hidden.png", ".cache/x.png", "a/.DS_Store", "Thumbs.db", "z/desktop.ini" })
        {
            folder.Write(name, [1]);
        }

        var files = ImageFiles.InFolder(folder.Path);

        Assert.Equal(new[] { "B.png", "a/10.png", "a/2.png", "b.png", "notes.txt" }.Select(f => Path.Combine(folder.Path, f)), files);
    }

    [Fact]
    public void An_empty_folder_gives_no_files()
    {
        Directory.CreateDirectory(folder.Combine("empty", "inner"));

        Assert.Empty(ImageFiles.InFolder(folder.Combine("empty")));
    }
}
