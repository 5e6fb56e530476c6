using System.Text;
using Experiments.Build.LibStdCxxCompat;

namespace Experiments.Build.Tests;

/// <summary>Inputs that do not match exactly are refused with a clear message and left byte-identical.</summary>
public sealed class MalformedInputTests
{
    private static readonly Dictionary<string, (Func<byte[], byte[]> Make, string Message)> Cases = new()
    {
        ["not an ELF file"] = (_ => Encoding.ASCII.GetBytes("#!/bin/sh\necho not a library\n"), "not an ELF file"),
        ["empty file"] = (_ => [], "not an ELF file"),
        ["truncated in the ELF header"] = (d => d[..40], "truncated ELF64 header (40 bytes, need 64)"),
        ["truncated in the middle"] = (d => d[..(d.Length / 2)], "extends beyond the end of the file"),
        ["truncated before .gnu.version_r ends"] = (d => d[..(int)(Section(d, ".gnu.version_r").Offset + 0x100)], "extends beyond the end of the file"),
        ["ELF32"] = (d => Mutate(d, m => m[4] = 1), "ELF32 (EI_CLASS=1); only ELF64 is supported"),
        ["big-endian"] = (d => Mutate(d, m => m[5] = 2), "not little-endian"),
        ["not a shared object"] = (d => Mutate(d, m => TestFiles.WriteU16(m, 16, 2)), "not a shared object (e_type=2"),
        ["i386 machine"] = (d => Mutate(d, m => TestFiles.WriteU16(m, 18, 3)), "unexpected e_machine=3"),
        ["section header table past the end"] = (d => Mutate(d, m => TestFiles.WriteU64(m, 40, (ulong)m.Length - 100)), "section header table"),
        ["no .gnu.version_r"] = (d => Mutate(d, m => TestFiles.WriteU32(m, SectionHeader(m, ".gnu.version_r") + 4, 1)), "no .gnu.version_r (SHT_GNU_verneed) section"),
        ["two SHT_GNU_verneed sections"] = (d => Mutate(d, m => TestFiles.WriteU32(m, SectionHeader(m, ".comment") + 4, 0x6ffffffe)), "2 sections of type .gnu.version_r"),
        ["GLIBCXX_3.4.32 entry missing"] = (d => Mutate(d, m => Rename(m, Need(m, "GLIBCXX_3.4.32"), "GLIBCXX_3.4.99")), "no Vernaux for GLIBCXX_3.4.32"),
        ["GLIBCXX_3.4.32 needed twice"] = (d => Mutate(d, m => PointNameAt(m, Need(m, "GLIBCXX_3.4.30"), Need(m, "GLIBCXX_3.4.32"))), "2 Vernaux entries for GLIBCXX_3.4.32"),
        ["GLIBCXX_3.4.32 needed from another library"] = (d => Mutate(d, m => TestFiles.WriteU32(m, Need(m, "GLIBCXX_3.4.32").NeedFileOffset + 4, TestFiles.ReadU32(m, Need(m, "GCC_3.0").NeedFileOffset + 4))), "GLIBCXX_3.4.32 is required from libgcc_s.so.1, expected libstdc++.so.6"),
        ["wrong vna_hash"] = (d => Mutate(d, m => TestFiles.WriteU32(m, Need(m, "GLIBCXX_3.4.32").EntryFileOffset, 0x12345678)), "has vna_hash=0x12345678"),
        ["vna_name outside .dynstr"] = (d => Mutate(d, m => TestFiles.WriteU32(m, Need(m, "GLIBCXX_3.4.32").EntryFileOffset + 8, 0xfffffff0)), "Vernaux vna_name offset 4294967280 is outside its string table"),
        ["vn_cnt too large"] = (d => Mutate(d, m => TestFiles.WriteU16(m, Need(m, "GLIBCXX_3.4.32").NeedFileOffset + 2, 21)), "Vernaux chain of libstdc++.so.6 is inconsistent with vn_cnt=21"),
        ["vn_aux points past the section"] = (d => Mutate(d, m => TestFiles.WriteU32(m, Need(m, "GLIBCXX_3.4.32").NeedFileOffset + 8, 0x1000)), "of libstdc++.so.6 at offset 0x10c0 lies outside section"),
        ["Verneed chain cut short"] = (d => Mutate(d, m => TestFiles.WriteU32(m, Need(m, "GLIBC_2.3").NeedFileOffset + 12, 0)), "Verneed chain is inconsistent with sh_info=5"),
        ["version index shared by two entries"] = (d => Mutate(d, m => TestFiles.WriteU16(m, Need(m, "GLIBCXX_3.4.30").EntryFileOffset + 6, 18)), "version index 18 is used by several Vernaux entries"),
        ["another symbol uses the version"] = (d => Mutate(d, m => SetVersion(m, OtherSymbol(m), 18)), "GLIBCXX_3.4.32 is also used by _ZNSt8ios_baseD2Ev"),
        ["no symbol uses the version"] = (d => Mutate(d, m => SetVersion(m, IosBaseLibraryInit(m), 2)), "no dynamic symbol uses GLIBCXX_3.4.32"),
        ["the symbol is defined"] = (d => Mutate(d, m => TestFiles.WriteU16(m, Section(m, ".dynsym").Offset + (IosBaseLibraryInit(m) * 24L) + 6, 12)), "_ZSt21ios_base_library_initv with version GLIBCXX_3.4.32 is defined"),
        ["a relocation binds the symbol"] = (d => Mutate(d, m => BindFirstPltRelocation(m, IosBaseLibraryInit(m))), "is bound by relocations (.rela.plt entry"),
        ["DT_VERNEED points elsewhere"] = (d => Mutate(d, m => TestFiles.WriteU64(m, SectionHeader(m, ".gnu.version_r") + 16, Section(m, ".gnu.version_r").Address + 16)), "DT_VERNEED does not point at section"),
        [".gnu.version sized for other symbols"] = (d => Mutate(d, m => TestFiles.WriteU64(m, SectionHeader(m, ".gnu.version") + 32, (ulong)Section(m, ".gnu.version").Size - 2)), "expected 2 bytes each"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void IsRefusedWithAClearMessageAndLeftByteIdentical(string name)
    {
        var (make, message) = Cases[name];
        using var temp = new TemporaryDirectory();
        var content = make(TestFiles.OriginalLibTorchSharp());
        var path = temp.Write("libLibTorchSharp.so", content);
        var timestamp = File.GetLastWriteTimeUtc(path);

        var error = Assert.Throws<ElfCheckException>(() => ElfVersionPatcher.MarkWeak(path));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(timestamp, File.GetLastWriteTimeUtc(path));
        Assert.Equal([path], temp.Files());
    }

    [Fact]
    public void TheUnmutatedLibraryPassesAndEveryCaseChangesIt()
    {
        // Guards the cases above: each failure must come from its mutation, not from the original.
        var original = TestFiles.OriginalLibTorchSharp();
        ElfVersionPatcher.Inspect(original);
        foreach (var (make, _) in Cases.Values)
        {
            Assert.NotEqual(original, make(original));
        }
    }

    [Fact]
    public void ARealElf32LibraryIsRefused()
    {
        // A minimal but consistent ELF32 header (i386 shared object), not just a flipped class byte.
        var elf32 = new byte[52];
        elf32[0] = 0x7f;
        TestFiles.WriteAscii(elf32, 1, "ELF");
        elf32[4] = 1;
        elf32[5] = 1;
        elf32[6] = 1;
        TestFiles.WriteU16(elf32, 16, 3);
        TestFiles.WriteU16(elf32, 18, 3);
        TestFiles.WriteU32(elf32, 20, 1);
        TestFiles.WriteU16(elf32, 40, 52);

        var error = Assert.Throws<ElfCheckException>(() => ElfVersionPatcher.Inspect(elf32));

        Assert.Contains("ELF32", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Mutate(byte[] data, Action<byte[]> mutation)
    {
        var copy = (byte[])data.Clone();
        mutation(copy);
        return copy;
    }

    private static ElfSection Section(byte[] data, string name) => ElfFile.Parse(data).Sections.Single(s => s.Name == name);

    private static long SectionHeader(byte[] data, string name) => (long)TestFiles.ReadU64(data, 40) + (Section(data, name).Index * 64L);

    private static ElfVersionNeedAux Need(byte[] data, string version) => ElfFile.Parse(data).ReadVersionNeeds().Single(n => n.Name == version);

    private static void Rename(byte[] data, ElfVersionNeedAux aux, string newName)
    {
        var at = Section(data, ".dynstr").Offset + TestFiles.ReadU32(data, aux.EntryFileOffset + 8);
        TestFiles.WriteAscii(data, at, newName);
        TestFiles.WriteU32(data, aux.EntryFileOffset, ElfFile.ElfHash(newName));
    }

    private static void PointNameAt(byte[] data, ElfVersionNeedAux aux, ElfVersionNeedAux target)
    {
        TestFiles.WriteU32(data, aux.EntryFileOffset + 8, TestFiles.ReadU32(data, target.EntryFileOffset + 8));
        TestFiles.WriteU32(data, aux.EntryFileOffset, ElfFile.ElfHash(target.Name));
    }

    private static int IosBaseLibraryInit(byte[] data) => ElfFile.Parse(data).SymbolsWithVersion(18).Single().Index;

    private static int OtherSymbol(byte[] data) =>
        ElfFile.Parse(data).SymbolsWithVersion(2).Single(s => s.Name == "_ZNSt8ios_baseD2Ev").Index;

    private static void SetVersion(byte[] data, int symbol, int version) =>
        TestFiles.WriteU16(data, Section(data, ".gnu.version").Offset + (symbol * 2L), version);

    private static void BindFirstPltRelocation(byte[] data, int symbol)
    {
        var info = Section(data, ".rela.plt").Offset + 8;
        TestFiles.WriteU64(data, info, ((ulong)symbol << 32) | (TestFiles.ReadU64(data, info) & 0xffffffff));
    }
}
