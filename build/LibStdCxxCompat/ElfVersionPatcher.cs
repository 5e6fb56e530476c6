// Compiled twice: by MSBuild's RoslynCodeTaskFactory (LibStdCxxCompat.targets, against netstandard 2.0, without
// implicit usings) and by tests/Experiments.Build.Tests (net10.0). Keep it to netstandard 2.0 APIs and explicit usings.
// See README.md next to this file for why and when the patch is applied.
#nullable enable

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;

namespace Experiments.Build.LibStdCxxCompat;

/// <summary>An ELF file does not have the exact structure the patcher expects. Nothing has been written.</summary>
public sealed class ElfCheckException : Exception
{
    public ElfCheckException(string message)
        : base(message)
    {
    }
}

/// <summary>One section header of an ELF64 file.</summary>
public sealed class ElfSection
{
    public ElfSection(int index, string name, uint type, ulong address, long offset, long size, uint link, uint info, ulong entrySize)
    {
        Index = index;
        Name = name;
        Type = type;
        Address = address;
        Offset = offset;
        Size = size;
        Link = link;
        Info = info;
        EntrySize = entrySize;
    }

    public int Index { get; }
    public string Name { get; }
    public uint Type { get; }
    public ulong Address { get; }
    public long Offset { get; }
    public long Size { get; }
    public uint Link { get; }
    public uint Info { get; }
    public ulong EntrySize { get; }

    public string Describe() => string.Format(CultureInfo.InvariantCulture, "section [{0}] '{1}'", Index, Name);
}

/// <summary>One Vernaux entry (a version required from a library) of <c>.gnu.version_r</c>.</summary>
public sealed class ElfVersionNeedAux
{
    public ElfVersionNeedAux(string library, string name, ushort flags, ushort versionIndex, long needFileOffset, long entryFileOffset)
    {
        Library = library;
        Name = name;
        Flags = flags;
        VersionIndex = versionIndex;
        NeedFileOffset = needFileOffset;
        EntryFileOffset = entryFileOffset;
    }

    /// <summary>The file name of the owning Verneed entry (vn_file), e.g. <c>libstdc++.so.6</c>.</summary>
    public string Library { get; }

    /// <summary>The version name (vna_name), e.g. <c>GLIBCXX_3.4.32</c>.</summary>
    public string Name { get; }

    /// <summary>vna_flags.</summary>
    public ushort Flags { get; }

    /// <summary>vna_other without the hidden bit: the index <c>.gnu.version</c> uses for this version.</summary>
    public ushort VersionIndex { get; }

    /// <summary>Where the owning Verneed entry starts in the file.</summary>
    public long NeedFileOffset { get; }

    /// <summary>Where this Vernaux entry starts in the file (vna_hash; vna_flags follows at +4, vna_name at +8).</summary>
    public long EntryFileOffset { get; }

    /// <summary>Where the 16-bit little-endian vna_flags field lives in the file.</summary>
    public long FlagsFileOffset => EntryFileOffset + 4;

    public bool IsWeak => (Flags & ElfFile.VerFlgWeak) != 0;
}

/// <summary>A read-only, bounds-checked view of a little-endian ELF64 shared object.</summary>
public sealed class ElfFile
{
    public const ushort EmX8664 = 62;
    public const ushort EmAArch64 = 183;
    public const ushort VerFlgWeak = 0x2;

    private const uint ShtStrTab = 3;
    private const uint ShtRela = 4;
    private const uint ShtDynamic = 6;
    private const uint ShtNoBits = 8;
    private const uint ShtRel = 9;
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerDef = 0x6ffffffd;
    private const uint ShtGnuVerNeed = 0x6ffffffe;
    private const uint ShtGnuVerSym = 0x6fffffff;

    private const long DtNull = 0;
    private const long DtRPath = 15;
    private const long DtRunPath = 29;
    private const long DtStrTab = 5;
    private const long DtSymTab = 6;
    private const long DtVerSym = 0x6ffffff0;
    private const long DtVerNeed = 0x6ffffffe;
    private const long DtVerNeedNum = 0x6fffffff;

    private const uint PtLoad = 1;

    private readonly byte[] _data;
    private readonly List<ElfSection> _sections = new List<ElfSection>();
    private readonly List<(ulong VAddr, ulong Offset, ulong FileSize)> _loadSegments = new List<(ulong, ulong, ulong)>();

    private ElfFile(byte[] data)
    {
        _data = data;
    }

    public ushort Machine { get; private set; }

    public IReadOnlyList<ElfSection> Sections => _sections;

    /// <summary>Checks the ELF header, the section header table and the program header table.</summary>
    public static ElfFile Parse(byte[] data)
    {
        if (data.Length < 4 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new ElfCheckException("not an ELF file (no \\x7fELF magic)");
        }

        if (data.Length < 7)
        {
            throw new ElfCheckException(Fmt("truncated ELF header ({0} bytes)", data.Length));
        }

        if (data[4] == 1)
        {
            throw new ElfCheckException("ELF32 (EI_CLASS=1); only ELF64 is supported");
        }

        if (data[4] != 2)
        {
            throw new ElfCheckException(Fmt("unknown ELF class EI_CLASS={0}; only ELF64 is supported", data[4]));
        }

        if (data[5] != 1)
        {
            throw new ElfCheckException(Fmt("not little-endian (EI_DATA={0})", data[5]));
        }

        if (data[6] != 1)
        {
            throw new ElfCheckException(Fmt("unknown ELF version EI_VERSION={0}", data[6]));
        }

        if (data.Length < 64)
        {
            throw new ElfCheckException(Fmt("truncated ELF64 header ({0} bytes, need 64)", data.Length));
        }

        var elf = new ElfFile(data);
        var type = elf.U16(16);
        if (type != 3)
        {
            throw new ElfCheckException(Fmt("not a shared object (e_type={0}, expected ET_DYN=3)", type));
        }

        elf.Machine = elf.U16(18);
        if (elf.Machine != EmX8664 && elf.Machine != EmAArch64)
        {
            throw new ElfCheckException(Fmt("unexpected e_machine={0} (expected x86-64=62 or AArch64=183)", elf.Machine));
        }

        if (elf.U32(20) != 1)
        {
            throw new ElfCheckException(Fmt("unknown e_version={0}", elf.U32(20)));
        }

        var phoff = elf.U64(32);
        var shoff = elf.U64(40);
        var ehsize = elf.U16(52);
        var phentsize = elf.U16(54);
        var phnum = elf.U16(56);
        var shentsize = elf.U16(58);
        var shnum = elf.U16(60);
        var shstrndx = elf.U16(62);
        if (ehsize != 64)
        {
            throw new ElfCheckException(Fmt("e_ehsize={0}, expected 64", ehsize));
        }

        if (shnum == 0 || shoff == 0)
        {
            throw new ElfCheckException("no section header table (stripped section headers or extended numbering are not supported)");
        }

        if (shentsize != 64)
        {
            throw new ElfCheckException(Fmt("e_shentsize={0}, expected 64", shentsize));
        }

        elf.CheckRange(shoff, (ulong)shnum * 64, "section header table");
        if (shstrndx >= shnum)
        {
            throw new ElfCheckException(Fmt("e_shstrndx={0} is not below e_shnum={1}", shstrndx, shnum));
        }

        if (phnum > 0)
        {
            if (phentsize != 56)
            {
                throw new ElfCheckException(Fmt("e_phentsize={0}, expected 56", phentsize));
            }

            elf.CheckRange(phoff, (ulong)phnum * 56, "program header table");
            for (var i = 0; i < phnum; i++)
            {
                var p = (long)phoff + (i * 56L);
                if (elf.U32(p) == PtLoad)
                {
                    var offset = elf.U64(p + 8);
                    var vaddr = elf.U64(p + 16);
                    var filesz = elf.U64(p + 32);
                    elf.CheckRange(offset, filesz, Fmt("PT_LOAD program header [{0}]", i));
                    elf._loadSegments.Add((vaddr, offset, filesz));
                }
            }
        }

        var raw = new List<(uint Name, uint Type, ulong Addr, ulong Offset, ulong Size, uint Link, uint Info, ulong EntSize)>();
        for (var i = 0; i < shnum; i++)
        {
            var s = (long)shoff + (i * 64L);
            var entry = (elf.U32(s), elf.U32(s + 4), elf.U64(s + 16), elf.U64(s + 24), elf.U64(s + 32), elf.U32(s + 40), elf.U32(s + 44), elf.U64(s + 56));
            if (entry.Item2 != ShtNoBits && entry.Item2 != 0)
            {
                elf.CheckRange(entry.Item4, entry.Item5, Fmt("section [{0}]", i));
            }

            if (entry.Item6 >= shnum)
            {
                throw new ElfCheckException(Fmt("section [{0}] has sh_link={1}, not below e_shnum={2}", i, entry.Item6, shnum));
            }

            raw.Add(entry);
        }

        var shstr = raw[shstrndx];
        if (shstr.Type != ShtStrTab)
        {
            throw new ElfCheckException(Fmt("section name table [{0}] is not SHT_STRTAB", shstrndx));
        }

        for (var i = 0; i < raw.Count; i++)
        {
            var r = raw[i];
            var name = elf.ReadString((long)shstr.Offset, (long)shstr.Size, r.Name, "section name table");
            elf._sections.Add(new ElfSection(i, name, r.Type, r.Addr, (long)r.Offset, (long)r.Size, r.Link, r.Info, r.EntSize));
        }

        return elf;
    }

    /// <summary>Reads <c>.gnu.version_r</c>: every Vernaux of every Verneed, with bounds, chain and hash checks.</summary>
    public List<ElfVersionNeedAux> ReadVersionNeeds()
    {
        var section = SingleSection(ShtGnuVerNeed, ".gnu.version_r (SHT_GNU_verneed)", required: true)!;
        var strtab = LinkedStringTable(section);
        if (section.Info == 0)
        {
            throw new ElfCheckException(Fmt("{0} has sh_info=0 Verneed entries", section.Describe()));
        }

        var result = new List<ElfVersionNeedAux>();
        var budget = section.Size / 16;
        long pos = 0;
        for (uint i = 0; i < section.Info; i++)
        {
            if (--budget < 0 || pos < 0 || pos + 16 > section.Size || pos % 4 != 0)
            {
                throw new ElfCheckException(Fmt("Verneed entry #{0} at offset 0x{1:x} lies outside {2}", i, pos, section.Describe()));
            }

            var at = section.Offset + pos;
            var version = U16(at);
            var count = U16(at + 2);
            var file = ReadString(strtab, U32(at + 4), "Verneed vn_file");
            var aux = U32(at + 8);
            var next = U32(at + 12);
            if (version != 1)
            {
                throw new ElfCheckException(Fmt("Verneed entry #{0} ({1}) has vn_version={2}, expected 1", i, file, version));
            }

            if (count == 0 || aux < 16)
            {
                throw new ElfCheckException(Fmt("Verneed entry #{0} ({1}) has vn_cnt={2}, vn_aux={3}", i, file, count, aux));
            }

            var apos = pos + aux;
            for (var j = 0; j < count; j++)
            {
                if (--budget < 0 || apos + 16 > section.Size || apos % 4 != 0)
                {
                    throw new ElfCheckException(Fmt("Vernaux #{0} of {1} at offset 0x{2:x} lies outside {3}", j, file, apos, section.Describe()));
                }

                var a = section.Offset + apos;
                var hash = U32(a);
                var flags = U16(a + 4);
                var other = U16(a + 6);
                var name = ReadString(strtab, U32(a + 8), "Vernaux vna_name");
                var anext = U32(a + 12);
                if (hash != ElfHash(name))
                {
                    throw new ElfCheckException(Fmt("Vernaux {0} of {1} has vna_hash=0x{2:x8}, but the ELF hash of the name is 0x{3:x8}", name, file, hash, ElfHash(name)));
                }

                var index = (ushort)(other & 0x7fff);
                if (index < 2)
                {
                    throw new ElfCheckException(Fmt("Vernaux {0} of {1} has reserved version index {2}", name, file, index));
                }

                if ((j == count - 1) != (anext == 0) || (anext != 0 && anext < 16))
                {
                    throw new ElfCheckException(Fmt("Vernaux chain of {0} is inconsistent with vn_cnt={1} (vna_next={2} at entry #{3})", file, count, anext, j));
                }

                result.Add(new ElfVersionNeedAux(file, name, flags, index, at, a));
                apos += anext;
            }

            if ((i == section.Info - 1) != (next == 0) || (next != 0 && next < 16))
            {
                throw new ElfCheckException(Fmt("Verneed chain is inconsistent with sh_info={0} (vn_next={1} at entry #{2})", section.Info, next, i));
            }

            pos += next;
        }

        var duplicate = result.GroupBy(v => v.VersionIndex).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null)
        {
            throw new ElfCheckException(Fmt("version index {0} is used by several Vernaux entries ({1})", duplicate.Key, string.Join(", ", duplicate.Select(v => v.Name))));
        }

        return result;
    }

    /// <summary>Reads the version names <c>.gnu.version_d</c> defines (including the base entry, the soname).</summary>
    public HashSet<string> ReadVersionDefinitions()
    {
        var section = SingleSection(ShtGnuVerDef, ".gnu.version_d (SHT_GNU_verdef)", required: true)!;
        var strtab = LinkedStringTable(section);
        var result = new HashSet<string>(StringComparer.Ordinal);
        var budget = section.Size / 8;
        long pos = 0;
        for (uint i = 0; i < section.Info; i++)
        {
            if (--budget < 0 || pos + 20 > section.Size || pos % 4 != 0)
            {
                throw new ElfCheckException(Fmt("Verdef entry #{0} at offset 0x{1:x} lies outside {2}", i, pos, section.Describe()));
            }

            var at = section.Offset + pos;
            var version = U16(at);
            var count = U16(at + 6);
            var hash = U32(at + 8);
            var aux = U32(at + 12);
            var next = U32(at + 16);
            if (version != 1 || count == 0 || aux < 20 || pos + aux + 8 > section.Size)
            {
                throw new ElfCheckException(Fmt("Verdef entry #{0} is malformed (vd_version={1}, vd_cnt={2}, vd_aux={3})", i, version, count, aux));
            }

            var name = ReadString(strtab, U32(section.Offset + pos + aux), "Verdaux vda_name");
            if (hash != ElfHash(name))
            {
                throw new ElfCheckException(Fmt("Verdef {0} has vd_hash=0x{1:x8}, but the ELF hash of the name is 0x{2:x8}", name, hash, ElfHash(name)));
            }

            result.Add(name);
            if ((i == section.Info - 1) != (next == 0) || (next != 0 && next < 20))
            {
                throw new ElfCheckException(Fmt("Verdef chain is inconsistent with sh_info={0} (vd_next={1} at entry #{2})", section.Info, next, i));
            }

            pos += next;
        }

        return result;
    }

    /// <summary>Names of the dynamic symbols whose <c>.gnu.version</c> entry is <paramref name="versionIndex"/>, with their indices.</summary>
    public List<(int Index, string Name, bool Undefined)> SymbolsWithVersion(ushort versionIndex)
    {
        var (dynsym, dynstr, versym) = SymbolTables();
        var result = new List<(int, string, bool)>();
        var count = dynsym.Size / 24;
        for (var i = 0; i < count; i++)
        {
            if ((U16(versym.Offset + (i * 2L)) & 0x7fff) == versionIndex)
            {
                var sym = dynsym.Offset + (i * 24L);
                var name = ReadString(dynstr, U32(sym), "dynamic symbol name");
                result.Add((i, name, U16(sym + 6) == 0));
            }
        }

        return result;
    }

    /// <summary>Relocations (in SHT_RELA / SHT_REL sections over <c>.dynsym</c>) that reference one of <paramref name="symbolIndices"/>.</summary>
    public List<string> RelocationsAgainst(ICollection<int> symbolIndices)
    {
        var (dynsym, _, _) = SymbolTables();
        var result = new List<string>();
        foreach (var section in _sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link == dynsym.Index))
        {
            var entrySize = section.Type == ShtRela ? 24 : 16;
            if (section.EntrySize != (ulong)entrySize || section.Size % entrySize != 0)
            {
                throw new ElfCheckException(Fmt("{0} has sh_entsize={1}, size={2}; expected entries of {3} bytes", section.Describe(), section.EntrySize, section.Size, entrySize));
            }

            for (long r = 0; r < section.Size; r += entrySize)
            {
                var symbol = (int)(U64(section.Offset + r + 8) >> 32);
                if (symbolIndices.Contains(symbol))
                {
                    result.Add(Fmt("{0} entry at r_offset 0x{1:x}", section.Name, U64(section.Offset + r)));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Checks that the dynamic section (what the loader actually reads) points at the same bytes as the section headers
    /// (what the patcher reads): DT_VERNEED/DT_VERNEEDNUM/DT_VERSYM/DT_SYMTAB/DT_STRTAB.
    /// </summary>
    public void CheckDynamicMatchesSections()
    {
        var verneed = SingleSection(ShtGnuVerNeed, ".gnu.version_r (SHT_GNU_verneed)", required: true)!;
        var (dynsym, dynstr, versym) = SymbolTables();
        var dynamic = DynamicEntries();
        ExpectDynamic(dynamic, DtVerNeed, "DT_VERNEED", verneed);
        ExpectDynamic(dynamic, DtVerSym, "DT_VERSYM", versym);
        ExpectDynamic(dynamic, DtSymTab, "DT_SYMTAB", dynsym);
        ExpectDynamic(dynamic, DtStrTab, "DT_STRTAB", dynstr);
        if (!dynamic.TryGetValue(DtVerNeedNum, out var count) || count != verneed.Info)
        {
            throw new ElfCheckException(Fmt("DT_VERNEEDNUM does not equal the {0} sh_info={1}", verneed.Describe(), verneed.Info));
        }

        if (verneed.Link != dynstr.Index)
        {
            throw new ElfCheckException(Fmt("{0} links string table [{1}], but .dynsym uses [{2}]", verneed.Describe(), verneed.Link, dynstr.Index));
        }
    }

    /// <summary>DT_RUNPATH (or DT_RPATH when there is no DT_RUNPATH) split into directories; empty when absent.</summary>
    public List<string> RunPath()
    {
        var dynamic = DynamicEntries();
        var (_, dynstr, _) = SymbolTables();
        if (!dynamic.TryGetValue(DtRunPath, out var value) && !dynamic.TryGetValue(DtRPath, out value))
        {
            return new List<string>();
        }

        if (value > uint.MaxValue)
        {
            throw new ElfCheckException("DT_RUNPATH/DT_RPATH points outside the dynamic string table");
        }

        return ReadString(dynstr, (uint)value, "DT_RUNPATH").Split(':').Where(p => p.Length > 0).ToList();
    }

    /// <summary>The System V ELF hash (used by vna_hash / vd_hash).</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            h = (h << 4) + b;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    private void ExpectDynamic(Dictionary<long, ulong> dynamic, long tag, string tagName, ElfSection section)
    {
        if (!dynamic.TryGetValue(tag, out var address) || address != section.Address)
        {
            throw new ElfCheckException(Fmt("{0} does not point at {1} (address 0x{2:x})", tagName, section.Describe(), section.Address));
        }

        var mapped = _loadSegments.Where(l => address >= l.VAddr && address - l.VAddr < l.FileSize).ToList();
        if (mapped.Count != 1 || mapped[0].Offset + (address - mapped[0].VAddr) != (ulong)section.Offset)
        {
            throw new ElfCheckException(Fmt("{0} address 0x{1:x} is not loaded from file offset 0x{2:x} of {3}", tagName, address, section.Offset, section.Describe()));
        }
    }

    private Dictionary<long, ulong> DynamicEntries()
    {
        var section = SingleSection(ShtDynamic, ".dynamic (SHT_DYNAMIC)", required: true)!;
        if (section.EntrySize != 16 || section.Size % 16 != 0)
        {
            throw new ElfCheckException(Fmt("{0} has sh_entsize={1}, size={2}; expected 16-byte entries", section.Describe(), section.EntrySize, section.Size));
        }

        var result = new Dictionary<long, ulong>();
        for (long p = 0; p < section.Size; p += 16)
        {
            var tag = (long)U64(section.Offset + p);
            if (tag == DtNull)
            {
                break;
            }

            if (result.ContainsKey(tag) && tag != 1)
            {
                if (tag is DtVerNeed or DtVerNeedNum or DtVerSym or DtStrTab or DtSymTab)
                {
                    throw new ElfCheckException(Fmt("dynamic tag 0x{0:x} appears twice", tag));
                }

                continue;
            }

            result[tag] = U64(section.Offset + p + 8);
        }

        return result;
    }

    private (ElfSection DynSym, ElfSection DynStr, ElfSection VerSym) SymbolTables()
    {
        var dynsym = SingleSection(ShtDynSym, ".dynsym (SHT_DYNSYM)", required: true)!;
        if (dynsym.EntrySize != 24 || dynsym.Size % 24 != 0)
        {
            throw new ElfCheckException(Fmt("{0} has sh_entsize={1}, size={2}; expected 24-byte symbols", dynsym.Describe(), dynsym.EntrySize, dynsym.Size));
        }

        var dynstr = LinkedStringTable(dynsym);
        var versym = SingleSection(ShtGnuVerSym, ".gnu.version (SHT_GNU_versym)", required: true)!;
        if (versym.Link != dynsym.Index)
        {
            throw new ElfCheckException(Fmt("{0} links section [{1}], not .dynsym [{2}]", versym.Describe(), versym.Link, dynsym.Index));
        }

        if (versym.Size != dynsym.Size / 24 * 2)
        {
            throw new ElfCheckException(Fmt("{0} has {1} bytes for {2} dynamic symbols (expected 2 bytes each)", versym.Describe(), versym.Size, dynsym.Size / 24));
        }

        return (dynsym, dynstr, versym);
    }

    private ElfSection? SingleSection(uint type, string what, bool required)
    {
        var matches = _sections.Where(s => s.Type == type).ToList();
        if (matches.Count > 1)
        {
            throw new ElfCheckException(Fmt("{0} sections of type {1} found, expected one", matches.Count, what));
        }

        if (matches.Count == 0 && required)
        {
            throw new ElfCheckException(Fmt("no {0} section", what));
        }

        return matches.Count == 0 ? null : matches[0];
    }

    private ElfSection LinkedStringTable(ElfSection section)
    {
        var strtab = _sections[(int)section.Link];
        if (strtab.Type != ShtStrTab)
        {
            throw new ElfCheckException(Fmt("{0} links {1}, which is not a string table", section.Describe(), strtab.Describe()));
        }

        return strtab;
    }

    private string ReadString(ElfSection strtab, uint offset, string what) => ReadString(strtab.Offset, strtab.Size, offset, what);

    private string ReadString(long tableOffset, long tableSize, uint offset, string what)
    {
        if (offset >= tableSize)
        {
            throw new ElfCheckException(Fmt("{0} offset {1} is outside its string table ({2} bytes)", what, offset, tableSize));
        }

        var start = tableOffset + offset;
        var end = start;
        while (_data[end] != 0)
        {
            end++;
            if (end >= tableOffset + tableSize)
            {
                throw new ElfCheckException(Fmt("{0} at string table offset {1} is not NUL-terminated", what, offset));
            }
        }

        return Encoding.UTF8.GetString(_data, (int)start, (int)(end - start));
    }

    private void CheckRange(ulong offset, ulong size, string what)
    {
        if (offset > (ulong)_data.Length || size > (ulong)_data.Length - offset)
        {
            throw new ElfCheckException(Fmt("{0} (offset 0x{1:x}, size 0x{2:x}) extends beyond the end of the file ({3} bytes; truncated?)", what, offset, size, _data.Length));
        }
    }

    private ushort U16(long at) => (ushort)(_data[at] | (_data[at + 1] << 8));

    private uint U32(long at) => U16(at) | ((uint)U16(at + 2) << 16);

    private ulong U64(long at) => U32(at) | ((ulong)U32(at + 4) << 32);

    internal static string Fmt(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}

/// <summary>What <see cref="ElfVersionPatcher.MarkWeak"/> did.</summary>
public enum PatchOutcome
{
    /// <summary>vna_flags now has VER_FLG_WEAK; the file was rewritten.</summary>
    Patched,

    /// <summary>VER_FLG_WEAK was already set; the file was not written.</summary>
    AlreadyWeak,
}

/// <summary>Marks the one GLIBCXX_3.4.32 requirement of TorchSharp's libLibTorchSharp.so weak. No MSBuild dependency.</summary>
public static class ElfVersionPatcher
{
    public const string Library = "libstdc++.so.6";
    public const string Version = "GLIBCXX_3.4.32";
    public const string OnlySymbol = "_ZSt21ios_base_library_initv";

    /// <summary>
    /// Runs every structural check and returns the single Vernaux to patch. Throws <see cref="ElfCheckException"/> when
    /// anything does not match exactly: the ELF header, section/program headers, the dynamic section, the Verneed/Vernaux
    /// chains, exactly one <paramref name="version"/> entry under <paramref name="library"/>, and only the symbols in
    /// <paramref name="allowedSymbols"/> (undefined, with no relocation against them) using its version index.
    /// </summary>
    public static ElfVersionNeedAux Inspect(byte[] data, string library = Library, string version = Version, params string[] allowedSymbols)
    {
        if (allowedSymbols.Length == 0)
        {
            allowedSymbols = new[] { OnlySymbol };
        }

        var elf = ElfFile.Parse(data);
        var needs = elf.ReadVersionNeeds();
        var matches = needs.Where(n => n.Name == version).ToList();
        if (matches.Count == 0)
        {
            throw new ElfCheckException(Fmt("no Vernaux for {0} in .gnu.version_r", version));
        }

        if (matches.Count > 1)
        {
            throw new ElfCheckException(Fmt("{0} Vernaux entries for {1} (under {2}); expected exactly one", matches.Count, version, string.Join(", ", matches.Select(m => m.Library))));
        }

        var target = matches[0];
        if (target.Library != library)
        {
            throw new ElfCheckException(Fmt("{0} is required from {1}, expected {2}", version, target.Library, library));
        }

        elf.CheckDynamicMatchesSections();
        var symbols = elf.SymbolsWithVersion(target.VersionIndex);
        if (symbols.Count == 0)
        {
            throw new ElfCheckException(Fmt("no dynamic symbol uses {0} (version index {1}); expected {2}", version, target.VersionIndex, string.Join(", ", allowedSymbols)));
        }

        var unexpected = symbols.Where(s => !allowedSymbols.Contains(s.Name)).Select(s => s.Name).ToList();
        if (unexpected.Count > 0)
        {
            throw new ElfCheckException(Fmt("{0} is also used by {1}; only {2} is known to be safe", version, string.Join(", ", unexpected), string.Join(", ", allowedSymbols)));
        }

        var defined = symbols.Where(s => !s.Undefined).Select(s => s.Name).ToList();
        if (defined.Count > 0)
        {
            throw new ElfCheckException(Fmt("{0} with version {1} is defined, not undefined", string.Join(", ", defined), version));
        }

        var relocations = elf.RelocationsAgainst(symbols.Select(s => s.Index).ToList());
        if (relocations.Count > 0)
        {
            throw new ElfCheckException(Fmt("{0}@{1} is bound by relocations ({2}); marking the version weak would not be safe", symbols[0].Name, version, string.Join(", ", relocations.Take(3))));
        }

        return target;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on the GLIBCXX_3.4.32 Vernaux of <paramref name="path"/> after <see cref="Inspect"/>. Writes a
    /// temporary file next to it and renames it over the original (atomic; a hard link or symbolic link to the NuGet cache
    /// is replaced, never written through). Keeps the file's permissions and last-write time, so MSBuild's Copy task
    /// (SkipUnchangedFiles: same size and timestamp) does not copy the unpatched original over it again.
    /// </summary>
    public static PatchOutcome MarkWeak(string path)
    {
        var original = File.ReadAllBytes(path);
        var lastWrite = File.GetLastWriteTimeUtc(path);
        var aux = Inspect(original);
        if (aux.IsWeak)
        {
            return PatchOutcome.AlreadyWeak;
        }

        var patched = (byte[])original.Clone();
        var flags = (ushort)(aux.Flags | ElfFile.VerFlgWeak);
        patched[aux.FlagsFileOffset] = (byte)flags;
        patched[aux.FlagsFileOffset + 1] = (byte)(flags >> 8);
        var check = Inspect(patched);
        var changed = Enumerable.Range(0, original.Length).Count(i => original[i] != patched[i]);
        if (!check.IsWeak || check.FlagsFileOffset != aux.FlagsFileOffset || changed != 1)
        {
            throw new ElfCheckException(Fmt("internal check failed after patching in memory ({0} bytes changed)", changed));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            // Copying first keeps the original's permissions; then its content is replaced by the patched bytes.
            File.Copy(path, temp);
            using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                stream.SetLength(0);
                stream.Write(patched, 0, patched.Length);
                stream.Flush(flushToDisk: true);
            }

            File.SetLastWriteTimeUtc(temp, lastWrite);
            if (!File.ReadAllBytes(temp).SequenceEqual(patched))
            {
                throw new IOException(Fmt("the temporary file {0} does not read back as written", temp));
            }

            if (File.GetLastWriteTimeUtc(path) != lastWrite || new FileInfo(path).Length != original.Length)
            {
                throw new IOException(Fmt("{0} changed while it was being patched", path));
            }

            File.Replace(temp, path, null);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return PatchOutcome.Patched;
    }

    /// <summary>The version names the ELF shared object at <paramref name="path"/> defines (its .gnu.version_d).</summary>
    public static HashSet<string> ReadVersionDefinitions(string path) => ElfFile.Parse(File.ReadAllBytes(path)).ReadVersionDefinitions();

    /// <summary>
    /// Where the dynamic loader would look for libstdc++.so.6 when loading a library with the given RUNPATH from
    /// <paramref name="originDirectory"/>, in the loader's order: LD_LIBRARY_PATH, DT_RUNPATH ($ORIGIN expanded),
    /// the ld.so cache (<c>ldconfig -p</c>), then the default directories. Only existing files are returned.
    /// </summary>
    public static List<string> LibStdCxxCandidates(string? originDirectory, IEnumerable<string> runPath, string? ldLibraryPath, string? ldconfigOutput)
    {
        var directories = new List<string>();
        if (!string.IsNullOrEmpty(ldLibraryPath))
        {
            directories.AddRange(ldLibraryPath!.Split(':', ';').Where(d => d.Length > 0));
        }

        foreach (var entry in runPath)
        {
            if (entry.Contains("$ORIGIN") || entry.Contains("${ORIGIN}"))
            {
                if (originDirectory != null)
                {
                    directories.Add(entry.Replace("${ORIGIN}", originDirectory).Replace("$ORIGIN", originDirectory));
                }
            }
            else
            {
                directories.Add(entry);
            }
        }

        var candidates = directories.Select(d => Path.Combine(d, Library)).ToList();
        candidates.AddRange(ParseLdconfig(ldconfigOutput));
        candidates.AddRange(new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib" }
            .Select(d => Path.Combine(d, Library)));
        return candidates.Where(File.Exists).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The paths <c>ldconfig -p</c> lists for libstdc++.so.6, in order.</summary>
    public static IEnumerable<string> ParseLdconfig(string? output)
    {
        if (output == null)
        {
            yield break;
        }

        foreach (var line in output.Split('\n'))
        {
            var trimmed = line.Trim();
            var arrow = trimmed.IndexOf(" => ", StringComparison.Ordinal);
            if (arrow > 0 && trimmed.StartsWith(Library + " (", StringComparison.Ordinal))
            {
                yield return trimmed.Substring(arrow + 4).Trim();
            }
        }
    }

    /// <summary>Runs <c>ldconfig -p</c> (from /sbin, /usr/sbin or PATH); null when it cannot be run.</summary>
    public static string? RunLdconfig()
    {
        foreach (var exe in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig" })
        {
            if (exe.StartsWith("/", StringComparison.Ordinal) && !File.Exists(exe))
            {
                continue;
            }

            try
            {
                var info = new ProcessStartInfo(exe, "-p")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    CreateNoWindow = true,
                };
                using var process = Process.Start(info);
                if (process == null)
                {
                    continue;
                }

                var stdout = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(10000))
                {
                    process.Kill();
                    continue;
                }

                if (process.ExitCode == 0)
                {
                    return stdout.Result;
                }
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                // Try the next location.
            }
        }

        return null;
    }

    /// <summary>
    /// The first candidate that is an ELF64 shared object for <paramref name="machine"/> (the loader skips libraries of
    /// another architecture), with the version names it defines; null when none is usable.
    /// </summary>
    public static (string Path, HashSet<string> Versions)? FindLoaderLibStdCxx(IEnumerable<string> candidates, ushort machine, ICollection<string>? problems = null)
    {
        foreach (var candidate in candidates)
        {
            try
            {
                var elf = ElfFile.Parse(File.ReadAllBytes(candidate));
                if (elf.Machine != machine)
                {
                    continue;
                }

                return (candidate, elf.ReadVersionDefinitions());
            }
            catch (Exception e) when (e is ElfCheckException or IOException or UnauthorizedAccessException)
            {
                problems?.Add(candidate + ": " + e.Message);
            }
        }

        return null;
    }

    private static string Fmt(string format, params object[] args) => ElfFile.Fmt(format, args);
}

/// <summary>
/// MSBuild task: for each file, when this machine's libstdc++ lacks GLIBCXX_3.4.32, marks that requirement weak
/// (see <see cref="ElfVersionPatcher"/>). Problems are warnings (LSCC001-LSCC003); the file is then left untouched.
/// </summary>
public sealed class MarkLibStdCxxVersionWeak : Microsoft.Build.Utilities.Task
{
    private static readonly Dictionary<string, (string Path, HashSet<string> Versions)?> LibStdCxxCache = new Dictionary<string, (string, HashSet<string>)?>(StringComparer.Ordinal);

    /// <summary>The copies of libLibTorchSharp.so in the build or publish output.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>$(NuGetPackageRoot); files under it are never written.</summary>
    public string? NuGetPackageRoot { get; set; }

    /// <summary>$(NuGetPackageFolders) (semicolon-separated); files under any of them are never written.</summary>
    public string? NuGetPackageFolders { get; set; }

    /// <summary>Patch even when this machine's libstdc++ has GLIBCXX_3.4.32 (e.g. output meant for an older machine).</summary>
    public bool Force { get; set; }

    /// <summary>Use this libstdc++.so.6 instead of looking for the one the loader would use.</summary>
    public string? LibStdCxxPath { get; set; }

    /// <summary>The files this run patched.</summary>
    [Output]
    public ITaskItem[] PatchedFiles { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>True when every file ended in a definite state (patched, already weak, or not needed): nothing was warned about.</summary>
    [Output]
    public bool Settled { get; set; }

    public override bool Execute()
    {
        var patched = new List<ITaskItem>();
        var settled = true;
        foreach (var item in Files)
        {
            var path = Path.GetFullPath(item.ItemSpec);
            if (!File.Exists(path))
            {
                Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: {0} does not exist; nothing to patch.", path);
                settled = false;
                continue;
            }

            var packageFolder = PackageFolders().FirstOrDefault(folder => path.StartsWith(folder, StringComparison.Ordinal));
            if (packageFolder != null)
            {
                Log.LogWarning(null, "LSCC002", null, path, 0, 0, 0, 0, "LibStdCxxCompat: refusing to patch {0}: it is inside the NuGet package folder {1}; only build/publish output is patched.", path, packageFolder);
                settled = false;
                continue;
            }

            try
            {
                if (PatchOne(path))
                {
                    patched.Add(new Microsoft.Build.Utilities.TaskItem(path));
                }
            }
            catch (ElfCheckException e)
            {
                Log.LogWarning(null, "LSCC001", null, path, 0, 0, 0, 0, "LibStdCxxCompat: not patching {0}: {1}. The file was left untouched; TorchSharp may fail to load on this machine.", path, e.Message);
                settled = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.LogWarning(null, "LSCC003", null, path, 0, 0, 0, 0, "LibStdCxxCompat: could not patch {0}: {1}. The file was left untouched.", path, e.Message);
                settled = false;
            }
        }

        PatchedFiles = patched.ToArray();
        Settled = settled;
        return !Log.HasLoggedErrors;
    }

    private bool PatchOne(string path)
    {
        var elf = ElfFile.Parse(File.ReadAllBytes(path));
        var needs = elf.ReadVersionNeeds().Where(n => n.Library == ElfVersionPatcher.Library).ToList();
        var target = needs.FirstOrDefault(n => n.Name == ElfVersionPatcher.Version);
        if (target == null)
        {
            Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: {0} does not require {1}; nothing to do.", path, ElfVersionPatcher.Version);
            return false;
        }

        if (target.IsWeak)
        {
            Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: {0}: {1} reference is already weak; nothing to do.", path, ElfVersionPatcher.Version);
            return false;
        }

        string reason;
        if (Force)
        {
            reason = "LibStdCxxCompatForce is true";
        }
        else
        {
            var libstdcxx = LocateLibStdCxx(path, elf);
            if (libstdcxx == null)
            {
                Log.LogMessage(MessageImportance.Normal, "LibStdCxxCompat: no usable {0} found for {1}; not patching it.", ElfVersionPatcher.Library, path);
                return false;
            }

            var (libPath, versions) = libstdcxx.Value;
            if (versions.Contains(ElfVersionPatcher.Version))
            {
                Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: {0} defines {1}; {2} left as is.", libPath, ElfVersionPatcher.Version, path);
                return false;
            }

            var otherMissing = needs.Where(n => n.Name != ElfVersionPatcher.Version && !n.IsWeak && !versions.Contains(n.Name)).Select(n => n.Name).ToList();
            if (otherMissing.Count > 0)
            {
                throw new ElfCheckException(ElfFile.Fmt("it also requires {0}, which {1} lacks, so marking {2} weak would not make it load", string.Join(", ", otherMissing), libPath, ElfVersionPatcher.Version));
            }

            reason = "this machine's libstdc++ lacks it";
            Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: the loader would use {0}, which does not define {1}.", libPath, ElfVersionPatcher.Version);
        }

        var outcome = ElfVersionPatcher.MarkWeak(path);
        if (outcome == PatchOutcome.AlreadyWeak)
        {
            Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: {0}: {1} reference is already weak; nothing to do.", path, ElfVersionPatcher.Version);
            return false;
        }

        Log.LogMessage(MessageImportance.High, "patched {0}: {1} reference marked weak because {2}", path, ElfVersionPatcher.Version, reason);
        return true;
    }

    private (string Path, HashSet<string> Versions)? LocateLibStdCxx(string path, ElfFile elf)
    {
        List<string> candidates;
        if (!string.IsNullOrEmpty(LibStdCxxPath))
        {
            candidates = new List<string> { LibStdCxxPath! };
        }
        else
        {
            var origin = Path.GetDirectoryName(path);
            var ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            var key = string.Join("|", elf.Machine, origin, ldLibraryPath, string.Join(":", elf.RunPath()));
            lock (LibStdCxxCache)
            {
                if (LibStdCxxCache.TryGetValue(key, out var cached))
                {
                    return cached;
                }
            }

            candidates = ElfVersionPatcher.LibStdCxxCandidates(origin, elf.RunPath(), ldLibraryPath, ElfVersionPatcher.RunLdconfig());
            var problems = new List<string>();
            var found = ElfVersionPatcher.FindLoaderLibStdCxx(candidates, elf.Machine, problems);
            foreach (var problem in problems)
            {
                Log.LogMessage(MessageImportance.Low, "LibStdCxxCompat: skipped {0}", problem);
            }

            lock (LibStdCxxCache)
            {
                LibStdCxxCache[key] = found;
            }

            return found;
        }

        var result = ElfVersionPatcher.FindLoaderLibStdCxx(candidates, elf.Machine);
        return result;
    }

    private IEnumerable<string> PackageFolders()
    {
        var folders = new List<string?> { NuGetPackageRoot, Environment.GetEnvironmentVariable("NUGET_PACKAGES") };
        folders.AddRange((NuGetPackageFolders ?? string.Empty).Split(';'));
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            folders.Add(Path.Combine(home, ".nuget", "packages"));
        }

        return folders
            .Where(f => !string.IsNullOrWhiteSpace(f))
            .Select(f => Path.GetFullPath(f!.Trim()).TrimEnd('/') + "/")
            .Distinct(StringComparer.Ordinal);
    }
}
