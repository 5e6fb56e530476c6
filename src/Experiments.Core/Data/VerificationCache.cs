using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Win32.SafeHandles;

namespace Experiments.Data;

/// <summary>A file's identity for the verification cache: its size and last-write time.</summary>
internal readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static FileStamp Of(SafeFileHandle handle) => new(RandomAccess.GetLength(handle), File.GetLastWriteTimeUtc(handle));

    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return new FileStamp(info.Length, info.LastWriteTimeUtc);
    }
}

/// <summary>
/// Remembers which files were found to have the expected SHA-256, keyed by (full path, size, last-write time UTC),
/// so that a file is hashed only once. Stored as a small JSON file; a missing, unreadable or corrupt cache is
/// treated as empty and a cache that cannot be written is skipped: the cache never makes anything fail.
/// Thread-safe.
/// </summary>
internal sealed class VerificationCache
{
    private const int Version = 1;
    private const int MaxEntries = 1000;

    private readonly string? _path;
    private readonly Action<string>? _log;
    private readonly Lock _gate = new();
    private Dictionary<string, VerificationCacheEntry>? _entries;
    private bool _writeFailed;

    public VerificationCache(string? path, Action<string>? log)
    {
        _path = path;
        _log = log;
    }

    public string? Path => _path;

    /// <summary>Whether the file at <paramref name="fullPath"/>, as it is now, was verified to hash to <paramref name="sha256"/>.</summary>
    public bool IsVerified(string fullPath, FileStamp stamp, string sha256)
    {
        if (_path is null)
        {
            return false;
        }

        lock (_gate)
        {
            _entries ??= Load();
            return _entries.TryGetValue(fullPath, out var entry)
                && entry.Size == stamp.Length
                && entry.LastWriteUtc.Ticks == stamp.LastWriteUtc.Ticks
                && string.Equals(entry.Sha256, sha256, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>Records a verified file and saves the cache (best effort).</summary>
    public void Record(string fullPath, FileStamp stamp, string sha256)
    {
        if (_path is null)
        {
            return;
        }

        lock (_gate)
        {
            _entries ??= Load();
            var entry = new VerificationCacheEntry(fullPath, stamp.Length, stamp.LastWriteUtc, sha256);
            _entries[fullPath] = entry;
            Save(entry);
        }
    }

    private Dictionary<string, VerificationCacheEntry> Load()
    {
        var entries = new Dictionary<string, VerificationCacheEntry>(StringComparer.Ordinal);
        foreach (var entry in ReadFile(logProblems: true) ?? [])
        {
            entries[entry.Path] = entry;
        }

        return entries;
    }

    /// <summary>The cache file's entries; null when it does not exist or cannot be used.</summary>
    private List<VerificationCacheEntry>? ReadFile(bool logProblems)
    {
        try
        {
            if (!File.Exists(_path))
            {
                return null;
            }

            var document = JsonSerializer.Deserialize(File.ReadAllBytes(_path!), VerificationCacheJson.Default.VerificationCacheDocument);
            if (document is null || document.Version != Version || document.Files is null)
            {
                throw new JsonException($"not a version {Version} cache");
            }

            return [.. document.Files.Where(e => e is { Path: not null, Sha256: not null })];
        }
        catch (Exception e)
        {
            // Whatever is wrong with the cache, it only costs a re-hash.
            if (logProblems)
            {
                _log?.Invoke($"ignoring the verification cache {_path}: {e.Message}; it will be rewritten");
            }

            return null;
        }
    }

    private void Save(VerificationCacheEntry added)
    {
        if (_writeFailed)
        {
            return;
        }

        string? temp = null;
        try
        {
            // Merge with what other processes may have written meanwhile, then replace the file atomically.
            var merged = new Dictionary<string, VerificationCacheEntry>(StringComparer.Ordinal);
            foreach (var entry in ReadFile(logProblems: false) ?? [])
            {
                merged[entry.Path] = entry;
            }

            foreach (var entry in _entries!.Values)
            {
                merged[entry.Path] = entry;
            }

            merged[added.Path] = added;
            var files = merged.Values
                .Where(e => e.Path == added.Path || File.Exists(e.Path))
                .OrderBy(e => e.Path, StringComparer.Ordinal)
                .TakeLast(MaxEntries)
                .ToList();

            string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path!))!;
            Directory.CreateDirectory(directory);
            temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(_path)}.{Guid.NewGuid():N}.tmp");
            var document = new VerificationCacheDocument { Version = Version, Files = files };
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(document, VerificationCacheJson.Default.VerificationCacheDocument));
            File.Move(temp, _path!, overwrite: true);
            temp = null;
        }
        catch (Exception e)
        {
            // Never fail because of the cache: carry on without it.
            _writeFailed = true;
            _log?.Invoke($"cannot write the verification cache {_path} ({e.Message}); carrying on without it");
        }
        finally
        {
            if (temp is not null)
            {
                TryDelete(temp);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temporary file is harmless.
        }
    }
}

internal sealed class VerificationCacheDocument
{
    public int Version { get; set; }

    public List<VerificationCacheEntry>? Files { get; set; }
}

/// <summary>One verified file: the SHA-256 its content had when it had this size and last-write time.</summary>
internal sealed record VerificationCacheEntry(string Path, long Size, DateTime LastWriteUtc, string Sha256);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VerificationCacheDocument))]
internal sealed partial class VerificationCacheJson : JsonSerializerContext;
