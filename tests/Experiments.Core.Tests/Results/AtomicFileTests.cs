using System.Diagnostics;
using System.IO.Pipes;
using System.Text;
using Experiments.Results;
using Experiments.Tests;

namespace Experiments.Core.Tests.Results;

/// <summary>
/// The atomic write-then-rename is for regular files only: devices and pipes are written in place, symbolic links
/// are followed. The type of a node is checked with stat(1), not with the code under test.
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("| a | b |\n");
    private readonly TemporaryDirectory devices = new();

    public void Dispose() => devices.Dispose();

    /// <summary>
    /// A device node like <c>/dev/NAME</c> to write to. As root, a copy made with mknod(1) in a temporary folder
    /// (same driver, same behaviour), so that a regression replaces that copy and not the machine's own /dev/null;
    /// otherwise the real node, which a process without root cannot replace anyway.
    /// </summary>
    private string Device(string name, int major, int minor)
    {
        if (Environment.UserName != "root")
        {
            return "/dev/" + name;
        }

        var path = devices.Combine(name);
        using var mknod = Process.Start("mknod", [path, "c", major.ToString(System.Globalization.CultureInfo.InvariantCulture), minor.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        mknod.WaitForExit();
        Assert.Equal(0, mknod.ExitCode);
        return path;
    }

    /// <summary>What stat(1) says <paramref name="path"/> is, without following a link: "character special file", "fifo", "symbolic link", ...</summary>
    private static string NodeType(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["--format=%F", path]) { RedirectStandardOutput = true })!;
        var type = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return type;
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Fact]
    public void Written_in_place_a_regular_file_keeps_no_tail_of_its_longer_old_content()
    {
        // The in-place write is also what a regular file gets where FileNode cannot tell it from a device.
        var file = devices.Combine("latest.md");
        File.WriteAllText(file, "a much longer old table than the new one\n");

        AtomicFile.WriteInPlace(file, Content);

        Assert.Equal(Content, File.ReadAllBytes(file));
        AtomicFile.WriteInPlace(Device("null", 1, 3), Content);
    }

    [Fact]
    public void A_full_device_fails_with_no_space_left_and_stays_a_device()
    {
        var full = Device("full", 1, 7);
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(full, Content));
        Assert.Contains($"'{full}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Equal("character special file", NodeType(full));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(full)!, "full.tmp-*"));
    }

    [Fact]
    public void The_null_device_is_written_and_stays_a_device()
    {
        var nullDevice = Device("null", 1, 3);
        AtomicFile.Write(nullDevice, Content);
        Assert.Equal("character special file", NodeType(nullDevice));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(nullDevice)!, "null.tmp-*"));
    }

    [Fact]
    public async Task A_named_pipe_gets_the_content_and_stays_a_pipe()
    {
        using var directory = new TemporaryDirectory();
        var fifo = directory.Combine("out.fifo");
        MakeFifo(fifo);
        using var reader = Process.Start(new ProcessStartInfo("cat", [fifo]) { RedirectStandardOutput = true })!;
        try
        {
            var read = reader.StandardOutput.ReadToEndAsync();
            AtomicFile.Write(fifo, Content);
            Assert.Equal(Encoding.UTF8.GetString(Content), await read.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("fifo", NodeType(fifo));
            Assert.Equal([fifo], Directory.GetFileSystemEntries(directory.Path));
        }
        finally
        {
            if (!reader.HasExited)
            {
                reader.Kill();
            }
        }
    }

    [Fact]
    public void A_pipe_named_by_dev_fd_as_a_shells_process_substitution_passes_is_written()
    {
        // >(head) hands the command /dev/fd/63: a link to an anonymous pipe, with no folder to put a temporary file in.
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var path = "/dev/fd/" + pipe.ClientSafePipeHandle.DangerousGetHandle();
        AtomicFile.Write(path, Content);
        pipe.DisposeLocalCopyOfClientHandle();
        using var copy = new MemoryStream();
        pipe.CopyTo(copy);
        Assert.Equal(Content, copy.ToArray());
    }

    [Fact]
    public void A_symbolic_link_stays_a_link_and_its_target_gets_the_content()
    {
        using var directory = new TemporaryDirectory();
        var target = directory.Write("elsewhere/latest.json", Encoding.UTF8.GetBytes("old"));
        var link = directory.Combine("latest.json");
        File.CreateSymbolicLink(link, Path.Combine("elsewhere", "latest.json")); // relative, as ln -s makes them
        AtomicFile.Write(link, Content);
        Assert.Equal("symbolic link", NodeType(link));
        Assert.Equal(Content, File.ReadAllBytes(target));
        Assert.Equal(["latest.json"], Directory.GetFileSystemEntries(directory.Combine("elsewhere")).Select(Path.GetFileName));
    }

    [Fact]
    public void A_dangling_symbolic_link_creates_its_target_and_stays_a_link()
    {
        using var directory = new TemporaryDirectory();
        Directory.CreateDirectory(directory.Combine("elsewhere"));
        var link = directory.Combine("latest.json");
        File.CreateSymbolicLink(link, directory.Combine("elsewhere", "new.json"));
        AtomicFile.Write(link, Content);
        Assert.Equal("symbolic link", NodeType(link));
        Assert.Equal(Content, File.ReadAllBytes(directory.Combine("elsewhere", "new.json")));
    }

    [Fact]
    public void A_directory_is_refused_by_name_and_left_alone()
    {
        using var directory = new TemporaryDirectory();
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(directory.Path, Content));
        Assert.Contains($"'{directory.Path}': it is a directory", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void A_regular_file_is_replaced_without_leaving_a_temporary_file()
    {
        using var directory = new TemporaryDirectory();
        var file = directory.Write("latest.md", Encoding.UTF8.GetBytes("old content that is longer"));
        AtomicFile.Write(file, Content);
        Assert.Equal(Content, File.ReadAllBytes(file));
        Assert.Equal("regular file", NodeType(file));
        Assert.Equal([file], directory.Files());
    }

    [Fact]
    public void A_streaming_writer_that_fails_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        string path = devices.Combine("kept.md");
        AtomicFile.Write(path, Content);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes("half of a new"));
            throw new InvalidOperationException("the writer failed");
        }));
        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes("new")));
        Assert.Equal("new", File.ReadAllText(path));
    }
}
