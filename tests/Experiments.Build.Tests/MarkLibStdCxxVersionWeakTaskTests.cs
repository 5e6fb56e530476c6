using System.Collections;
using Experiments.Build.LibStdCxxCompat;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Experiments.Build.Tests;

/// <summary>The MSBuild task class itself: what it logs, when it refuses, what it reports as settled.</summary>
public sealed class MarkLibStdCxxVersionWeakTaskTests
{
    [Fact]
    public void PatchesWhenTheLibStdCxxLacksTheVersionAndLogsOnceAtHighImportance()
    {
        using var temp = new TemporaryDirectory();
        var path = temp.Write("bin/runtimes/linux-x64/native/libLibTorchSharp.so", TestFiles.OriginalLibTorchSharp());
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, path, libStdCxx: TestFiles.SystemLibStdCxx);
        Assert.True(task.Execute());

        Assert.Empty(engine.Warnings);
        Assert.True(task.Settled);
        Assert.Equal([path], task.PatchedFiles.Select(f => f.ItemSpec));
        var high = Assert.Single(engine.Messages, m => m.Importance == MessageImportance.High);
        Assert.Equal($"patched {path}: GLIBCXX_3.4.32 reference marked weak because this machine's libstdc++ lacks it", high.Message);
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(path)).IsWeak);

        // Second run: nothing written, nothing at high importance.
        var again = new RecordingBuildEngine();
        var second = NewTask(again, path, libStdCxx: TestFiles.SystemLibStdCxx);
        Assert.True(second.Execute());
        Assert.Empty(second.PatchedFiles);
        Assert.True(second.Settled);
        Assert.DoesNotContain(again.Messages, m => m.Importance == MessageImportance.High);
        Assert.Contains(again.Messages, m => m.Importance == MessageImportance.Low && m.Message!.Contains("already weak", StringComparison.Ordinal));
    }

    [Fact]
    public void LeavesTheFileAloneWhenTheLibStdCxxHasTheVersion()
    {
        using var temp = new TemporaryDirectory();
        var original = TestFiles.OriginalLibTorchSharp();
        var path = temp.Write("libLibTorchSharp.so", original);
        var newer = temp.Write("gcc13/libstdc++.so.6", WithGlibcxx3432(File.ReadAllBytes(TestFiles.SystemLibStdCxx)));
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, path, libStdCxx: newer);
        Assert.True(task.Execute());

        Assert.Empty(engine.Warnings);
        Assert.Empty(task.PatchedFiles);
        Assert.True(task.Settled);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Contains(engine.Messages, m => m.Message!.Contains("defines GLIBCXX_3.4.32", StringComparison.Ordinal));
    }

    [Fact]
    public void ForcePatchesRegardlessOfTheLibStdCxx()
    {
        using var temp = new TemporaryDirectory();
        var path = temp.Write("libLibTorchSharp.so", TestFiles.OriginalLibTorchSharp());
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, path, libStdCxx: "/nonexistent/libstdc++.so.6");
        task.Force = true;
        Assert.True(task.Execute());

        var high = Assert.Single(engine.Messages, m => m.Importance == MessageImportance.High);
        Assert.Equal($"patched {path}: GLIBCXX_3.4.32 reference marked weak because LibStdCxxCompatForce is true", high.Message);
    }

    [Fact]
    public void RefusesAFileInsideTheNuGetPackageFolder()
    {
        using var temp = new TemporaryDirectory();
        var original = TestFiles.OriginalLibTorchSharp();
        var path = temp.Write("packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so", original);
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, path, libStdCxx: TestFiles.SystemLibStdCxx);
        task.NuGetPackageRoot = Path.Combine(temp.Path, "packages") + "/";
        Assert.True(task.Execute());

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("LSCC002", warning.Code);
        Assert.Contains($"refusing to patch {path}", warning.Message, StringComparison.Ordinal);
        Assert.False(task.Settled);
        Assert.Equal(original, File.ReadAllBytes(path));
    }

    [Fact]
    public void WarnsNamingTheFileWhenTheStructureIsUnexpected()
    {
        using var temp = new TemporaryDirectory();
        var content = TestFiles.OriginalLibTorchSharp();
        var other = ElfFile.Parse(content).SymbolsWithVersion(2).Single(s => s.Name == "_ZNSt8ios_baseD2Ev").Index;
        TestFiles.WriteU16(content, ElfFile.Parse(content).Sections.Single(s => s.Name == ".gnu.version").Offset + (other * 2L), 18);
        var path = temp.Write("libLibTorchSharp.so", content);
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, path, libStdCxx: TestFiles.SystemLibStdCxx);
        Assert.True(task.Execute());

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("LSCC001", warning.Code);
        Assert.Equal(path, warning.File);
        Assert.Contains($"not patching {path}: GLIBCXX_3.4.32 is also used by _ZNSt8ios_baseD2Ev", warning.Message, StringComparison.Ordinal);
        Assert.False(task.Settled);
        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public void WarnsWhenTheLibStdCxxLacksOtherRequiredVersionsToo()
    {
        using var temp = new TemporaryDirectory();
        var original = TestFiles.OriginalLibTorchSharp();
        var path = temp.Write("libLibTorchSharp.so", original);
        var engine = new RecordingBuildEngine();

        // libm defines GLIBC_* versions only: marking GLIBCXX_3.4.32 weak could not make the library load against it.
        var task = NewTask(engine, path, libStdCxx: "/lib/x86_64-linux-gnu/libm.so.6");
        Assert.True(task.Execute());

        var warning = Assert.Single(engine.Warnings);
        Assert.Equal("LSCC001", warning.Code);
        Assert.Contains("it also requires GLIBCXX_3.4.30", warning.Message, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllBytes(path));
    }

    [Fact]
    public void AMissingFileIsNotSettledButNotAWarning()
    {
        var engine = new RecordingBuildEngine();

        var task = NewTask(engine, "/nonexistent/libLibTorchSharp.so", libStdCxx: TestFiles.SystemLibStdCxx);
        Assert.True(task.Execute());

        Assert.Empty(engine.Warnings);
        Assert.False(task.Settled);
    }

    private static MarkLibStdCxxVersionWeak NewTask(RecordingBuildEngine engine, string path, string libStdCxx) => new()
    {
        BuildEngine = engine,
        Files = [new TaskItem(path)],
        NuGetPackageRoot = TestFiles.NuGetPackageRoot,
        LibStdCxxPath = libStdCxx,
    };

    /// <summary>This machine's libstdc++ with its GLIBCXX_3.4.30 definition renamed GLIBCXX_3.4.32 (and its hash fixed).</summary>
    private static byte[] WithGlibcxx3432(byte[] libStdCxx)
    {
        var elf = ElfFile.Parse(libStdCxx);
        var verdef = elf.Sections.Single(s => s.Name == ".gnu.version_d");
        var dynstr = elf.Sections[(int)verdef.Link];
        for (long at = verdef.Offset; ; at += TestFiles.ReadU32(libStdCxx, at + 16))
        {
            var nameAt = dynstr.Offset + TestFiles.ReadU32(libStdCxx, at + TestFiles.ReadU32(libStdCxx, at + 12));
            if (System.Text.Encoding.ASCII.GetString(libStdCxx, (int)nameAt, 15) == "GLIBCXX_3.4.30\0")
            {
                TestFiles.WriteAscii(libStdCxx, nameAt, "GLIBCXX_3.4.32");
                TestFiles.WriteU32(libStdCxx, at + 8, ElfFile.ElfHash("GLIBCXX_3.4.32"));
                Assert.Contains("GLIBCXX_3.4.32", ElfFile.Parse(libStdCxx).ReadVersionDefinitions());
                return libStdCxx;
            }
        }
    }
}

/// <summary>Collects what a task logs.</summary>
internal sealed class RecordingBuildEngine : IBuildEngine
{
    public List<BuildMessageEventArgs> Messages { get; } = [];

    public List<BuildWarningEventArgs> Warnings { get; } = [];

    public List<BuildErrorEventArgs> Errors { get; } = [];

    public bool ContinueOnError => false;

    public int LineNumberOfTaskNode => 0;

    public int ColumnNumberOfTaskNode => 0;

    public string ProjectFileOfTaskNode => "test.proj";

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException();

    public void LogCustomEvent(CustomBuildEventArgs e)
    {
    }

    public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);

    public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e);

    public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e);
}
