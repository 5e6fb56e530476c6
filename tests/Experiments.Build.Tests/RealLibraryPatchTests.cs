using System.Runtime.Versioning;
using Experiments.Build.LibStdCxxCompat;

namespace Experiments.Build.Tests;

/// <summary>Patching a temporary copy of the real libLibTorchSharp.so from the NuGet cache.</summary>
[SupportedOSPlatform("linux")]
public sealed class RealLibraryPatchTests
{
    [Fact]
    public void InspectFindsTheSingleGlibcxx3432RequirementOfTheRealLibrary()
    {
        var aux = ElfVersionPatcher.Inspect(TestFiles.OriginalLibTorchSharp());

        Assert.Equal("libstdc++.so.6", aux.Library);
        Assert.Equal("GLIBCXX_3.4.32", aux.Name);
        Assert.Equal(18, aux.VersionIndex);
        Assert.Equal(0, aux.Flags);
        Assert.False(aux.IsWeak);
        Assert.Equal(TestFiles.ExpectedFlagsOffset, aux.FlagsFileOffset);
    }

    [Fact]
    public void OnlyIosBaseLibraryInitUsesTheVersionAndNothingBindsIt()
    {
        var data = TestFiles.OriginalLibTorchSharp();
        var elf = ElfFile.Parse(data);
        var aux = elf.ReadVersionNeeds().Single(n => n.Name == "GLIBCXX_3.4.32");

        var symbol = Assert.Single(elf.SymbolsWithVersion(aux.VersionIndex));
        Assert.Equal("_ZSt21ios_base_library_initv", symbol.Name);
        Assert.True(symbol.Undefined);
        Assert.Empty(elf.RelocationsAgainst([symbol.Index]));

        // The relocation scan does see relocations: a symbol that is bound has some.
        var bound = elf.SymbolsWithVersion(elf.ReadVersionNeeds().Single(n => n.Name == "GLIBCXX_3.4").VersionIndex);
        Assert.NotEmpty(elf.RelocationsAgainst(bound.Select(s => s.Index).ToList()));
    }

    [Fact]
    public void MarkWeakChangesExactlyTheOneFlagsByteAndIsIdempotent()
    {
        using var temp = new TemporaryDirectory();
        var original = TestFiles.OriginalLibTorchSharp();
        var path = temp.Write("libLibTorchSharp.so", original);
        var timestamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, timestamp);
        var mode = File.GetUnixFileMode(path) | UnixFileMode.UserExecute;
        File.SetUnixFileMode(path, mode);

        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.MarkWeak(path));

        var patched = File.ReadAllBytes(path);
        Assert.Equal(original.Length, patched.Length);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        var offset = Assert.Single(changed);
        Assert.Equal(TestFiles.ExpectedFlagsOffset, offset);
        Assert.Equal(0x00, original[offset]);
        Assert.Equal(0x02, patched[offset]);
        Assert.True(ElfVersionPatcher.Inspect(patched).IsWeak);

        // Same size, timestamp and permissions: MSBuild's Copy (SkipUnchangedFiles) will not copy the original over it.
        Assert.Equal(timestamp, File.GetLastWriteTimeUtc(path));
        Assert.Equal(mode, File.GetUnixFileMode(path));
        Assert.Equal([path], temp.Files());

        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkWeak(path));
        Assert.Equal(patched, File.ReadAllBytes(path));
        Assert.Equal(timestamp, File.GetLastWriteTimeUtc(path));
        Assert.Equal([path], temp.Files());
    }

    [Fact]
    public void MarkWeakReplacesAHardLinkInsteadOfWritingThroughIt()
    {
        using var temp = new TemporaryDirectory();
        var original = TestFiles.OriginalLibTorchSharp();
        var source = temp.Write("package/libLibTorchSharp.so", original);
        var output = Path.Combine(temp.Path, "output-libLibTorchSharp.so");
        var (exitCode, log) = TestFiles.Run("ln", $"\"{source}\" \"{output}\"");
        Assert.True(exitCode == 0, log);

        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.MarkWeak(output));

        Assert.Equal(original, File.ReadAllBytes(source));
        Assert.True(ElfVersionPatcher.Inspect(File.ReadAllBytes(output)).IsWeak);
    }

    [Fact]
    public void ReadelfAgreesThatThePatchedCopyIsWeak()
    {
        using var temp = new TemporaryDirectory();
        var path = temp.Write("libLibTorchSharp.so", TestFiles.OriginalLibTorchSharp());
        ElfVersionPatcher.MarkWeak(path);

        var (exitCode, output) = TestFiles.Run("readelf", $"-V -W \"{path}\"");

        Assert.True(exitCode == 0, output);
        var line = Assert.Single(output.Split('\n'), l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));
        Assert.Contains("Flags: WEAK", line, StringComparison.Ordinal);
        Assert.Single(output.Split('\n'), l => l.Contains("Flags: WEAK", StringComparison.Ordinal));
    }
}
