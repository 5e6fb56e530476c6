using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Experiments.Data;

/// <summary>Where datasets are looked for, whether they may be downloaded, and how.</summary>
public sealed record DatasetStoreOptions
{
    /// <summary>The command that fetches missing datasets, quoted in error messages.</summary>
    public const string DefaultDownloadCommand = "dotnet run -- all --download";

    /// <summary>Datasets live in <c>DataRoot/&lt;name&gt;/</c>; downloads go there too.</summary>
    public string DataRoot { get; init; } = "data";

    /// <summary>Further roots searched, after <see cref="DataRoot"/>, for <c>&lt;root&gt;/&lt;name&gt;/</c> (read only).</summary>
    public IReadOnlyList<string> SystemSearchDirectories { get; init; } = ["/usr/share/datasets"];

    /// <summary>Fetch missing files from the mirrors into <c>DataRoot/&lt;name&gt;/</c>.</summary>
    public bool AllowDownload { get; init; }

    /// <summary>Used for downloads when set (the store does not dispose it); otherwise the store makes its own.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Time allowed for one file's whole download from one mirror; then the next mirror is tried.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A mirror that sends nothing for this long (no response, or no byte of the body) is given up for the next one:
    /// a stalled connection fails in this time, not in <see cref="DownloadTimeout"/>.
    /// </summary>
    public TimeSpan DownloadIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When set, replaces every dataset's own mirrors (tests use a local server).</summary>
    public IReadOnlyList<Uri>? Mirrors { get; init; }

    /// <summary>The datasets the store knows (the generated <c>DatasetCatalog.All</c> in a built project).</summary>
    public IReadOnlyList<DatasetDescription> Datasets { get; init; } = [];

    /// <summary>JSON file remembering verified files; null disables it. Defaults to <see cref="DefaultVerificationCachePath"/>.</summary>
    public string? VerificationCachePath { get; init; } = DefaultVerificationCachePath;

    /// <summary>
    /// When true, a dataset that failed to load fails again at once, without another search or download (for a run
    /// of many experiments); when false (the default), every <see cref="DatasetStore.Load"/> tries afresh.
    /// </summary>
    public bool RememberFailures { get; init; }

    /// <summary>Receives one line per notable step (file verified, download attempt and failure, ...).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Quoted in "not found" and checksum errors as the way to fetch the files.</summary>
    public string DownloadCommand { get; init; } = DefaultDownloadCommand;

    /// <summary>
    /// Folder of the decoded cache of image and CSV datasets (one safetensors file per content key, and a small stamp
    /// index per dataset); null disables it. Defaults to <see cref="DefaultDecodedCacheDirectory"/>.
    /// </summary>
    public string? DecodedCacheDirectory { get; init; } = DefaultDecodedCacheDirectory;

    /// <summary><c>$XDG_CACHE_HOME/experiments/verified-data.json</c>, else <c>~/.cache/experiments/verified-data.json</c>.</summary>
    public static string? DefaultVerificationCachePath => UserCacheDirectory is { } root ? Path.Combine(root, "verified-data.json") : null;

    /// <summary><c>$XDG_CACHE_HOME/experiments/datasets/</c>, else <c>~/.cache/experiments/datasets/</c>.</summary>
    public static string? DefaultDecodedCacheDirectory => UserCacheDirectory is { } root ? Path.Combine(root, "datasets") : null;

    /// <summary><c>$XDG_CACHE_HOME/experiments</c>, else <c>~/.cache/experiments</c>; null when neither is known.</summary>
    private static string? UserCacheDirectory
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            string? root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg) ? xdg : null;
            if (root is null)
            {
                string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                root = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
            }

            return root is null ? null : Path.Combine(root, "experiments");
        }
    }
}

/// <summary>The four files of a dataset, as found (or downloaded).</summary>
public sealed record DatasetFilePaths(string TrainImages, string TrainLabels, string TestImages, string TestLabels);

/// <summary>
/// Finds, downloads, verifies and loads datasets. Each dataset is loaded once per store and shared; the store owns
/// the loaded datasets and disposes them with itself. Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Sources are looked for under <c>&lt;dir&gt;/&lt;Root&gt;/</c> for <see cref="DatasetStoreOptions.DataRoot"/> then
/// each of <see cref="DatasetStoreOptions.SystemSearchDirectories"/> (an absolute <see cref="DatasetDescription.Root"/>
/// is the only place searched). IDX files may be downloaded from the mirrors; image folders and CSV files must be put
/// in place.
/// </para>
/// <para>
/// <b>Checksums</b> (<see cref="DatasetDescription.Sha256"/>, by source path): an IDX or CSV file's entry is the
/// SHA-256 of its content, decompressed for gzip; an image folder's entry is its <i>content hash</i>, the SHA-256 of
/// the UTF-8 lines <c>&lt;class&gt;/&lt;file&gt;\t&lt;file's sha256&gt;\n</c> of every file read (skipped hidden files
/// excluded), in ordinal order of <c>&lt;class&gt;/&lt;file&gt;</c>, e.g. <c>find images -type f -not -name '.*' | sort</c>
/// and <c>sha256sum</c> of each, written as <c>3/0001.png&lt;TAB&gt;hash</c>, then <c>sha256sum</c> of those lines.
/// </para>
/// <para>
/// <b>Image and CSV datasets</b> are decoded once and kept in the decoded cache
/// (<see cref="DatasetStoreOptions.DecodedCacheDirectory"/>), keyed by their content key; with no test source the test
/// split is drawn by <see cref="StratifiedSplit"/>. The internal <c>DecodedDatasets</c> class documents the key and
/// the cache's layout.
/// </para>
/// </remarks>
public sealed class DatasetStore : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Dataset>> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly VerificationCache _cache;
    private readonly DecodedDatasets _decoded;
    private readonly Lock _gate = new();
    private HttpClient? _ownedClient;
    private bool _disposed;

    public DatasetStore(DatasetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _cache = new VerificationCache(options.VerificationCachePath, options.Log);
        _decoded = new DecodedDatasets(options);
    }

    public DatasetStoreOptions Options { get; }

    public IReadOnlyList<DatasetDescription> Datasets => Options.Datasets;

    /// <summary>The dataset's description (files, hashes, class names).</summary>
    /// <exception cref="UnknownDatasetException">The name is not known.</exception>
    public DatasetDescription GetInfo(string name) =>
        Datasets.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UnknownDatasetException(name, [.. Datasets.Select(d => d.Name)]);

    private IdxLayout Layout(string name)
    {
        var description = GetInfo(name);
        return description.Format == DatasetFormat.Idx
            ? new IdxLayout(description)
            : throw new NotSupportedException($"Dataset '{description.Name}' is in format {description.Format}: Read and Locate are for IDX datasets; Load reads every format");
    }

    /// <summary>
    /// The dataset as tensors, read and verified on the first call and shared afterwards. Do not dispose it: the
    /// store does.
    /// </summary>
    /// <param name="name">The dataset's name.</param>
    /// <param name="cancellationToken">
    /// Stops a download under way (its partial file is deleted); a cancelled load is never remembered as a failure.
    /// A caller that finds the load already under way in another thread waits for it under that thread's token.
    /// </param>
    /// <exception cref="DataException">Unknown name, missing files, failed download, or an invalid file.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Dataset Load(string name, CancellationToken cancellationToken = default)
    {
        var description = GetInfo(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lazy = _loaded.GetOrAdd(description.Name, _ => new Lazy<Dataset>(
            () => description.Format == DatasetFormat.Idx ? LoadIdx(description, cancellationToken) : _decoded.Load(description, cancellationToken),
            LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch (Exception e) when (!Options.RememberFailures || e is OperationCanceledException)
        {
            // Forget the failure: the user may fix the files and try again with the same store.
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Dataset>>(description.Name, lazy));
            throw;
        }
    }

    /// <summary>
    /// Reads an IDX dataset and checks its images against the description's shape; its content key is
    /// <see cref="History.RunCacheKey.DatasetKey"/> of the description with every file's SHA-256 as read (the
    /// description's, which the read checked, or the one computed for a file the description gives none for), so a
    /// replaced file without a declared checksum still changes the key.
    /// </summary>
    private Dataset LoadIdx(DatasetDescription description, CancellationToken cancellationToken)
    {
        var layout = new IdxLayout(description);
        var raw = Read(layout, cancellationToken);
        var shape = description.Shape;
        if (shape.Count != 3 || shape[0] != 1 || shape[1] != raw.TrainImages.Rows || shape[2] != raw.TrainImages.Columns)
        {
            throw new DataFormatException(
                raw.TrainImages.FilePath,
                FormattableString.Invariant($"images of 1x{raw.TrainImages.Rows}x{raw.TrainImages.Columns}, but dataset '{description.Name}' is described with examples of [{string.Join(", ", shape)}] ({description.SourceFile}): correct its shape"));
        }

        var hashes = new Dictionary<string, string>(description.Sha256, StringComparer.Ordinal);
        foreach (var (file, actual) in new[]
        {
            (layout.TrainImages, raw.TrainImages.Sha256), (layout.TrainLabels, raw.TrainLabels.Sha256),
            (layout.TestImages, raw.TestImages.Sha256), (layout.TestLabels, raw.TestLabels.Sha256),
        })
        {
            if (file.Sha256 is null)
            {
                hashes[file.Name] = actual ?? throw new InvalidOperationException($"the reader did not hash {file.Name}");
            }
        }

        return raw.ToDataset(description, History.RunCacheKey.DatasetKey(description with { Sha256 = hashes }));
    }

    /// <summary>Reads and verifies the dataset into byte buffers, without tensors (and without caching them).</summary>
    public RawImageDataset Read(string name, CancellationToken cancellationToken = default) => Read(Layout(name), cancellationToken);

    /// <summary>
    /// The folders the dataset's sources are found in now, for every format (an IDX file's folder, an image folder's
    /// parent, a CSV file's folder), distinct, train first, as a load finds them; nothing is read or hashed (a missing
    /// IDX file is downloaded when the options allow it, as by <see cref="Locate(string, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="DatasetNotFoundException">A source is missing.</exception>
    public IReadOnlyList<string> SourceFolders(string name)
    {
        var description = GetInfo(name);
        IEnumerable<string> paths;
        if (description.Format == DatasetFormat.Idx)
        {
            var found = Locate(new IdxLayout(description), CancellationToken.None);
            paths = [found.TrainImages, found.TrainLabels, found.TestImages, found.TestLabels];
        }
        else
        {
            paths = _decoded.SourcePaths(description);
        }

        return [.. paths.Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Finds the dataset's files, downloading the missing ones when allowed. Does not verify files already present.</summary>
    public DatasetFilePaths Locate(string name, CancellationToken cancellationToken = default) => Locate(Layout(name), cancellationToken);

    /// <summary>
    /// Whether the dataset's files, as they are on disk now, are known to hold the expected content without reading
    /// them: it is loaded already, or the verification cache vouches for each file found (same path, size and
    /// last-write time as when it was hashed). False when a file is missing or was never verified; nothing is
    /// downloaded, read or hashed. The run cache uses it to know the dataset's content without loading it.
    /// </summary>
    /// <remarks>For image and CSV datasets: loaded, or <see cref="PeekContentKey"/> knows the key.</remarks>
    public bool IsVerified(string name)
    {
        var description = GetInfo(name);
        if (_loaded.TryGetValue(description.Name, out var lazy) && lazy.IsValueCreated)
        {
            return true;
        }

        if (description.Format != DatasetFormat.Idx)
        {
            return _decoded.PeekContentKey(description) is not null;
        }

        if (description.Test is null)
        {
            return false; // a load fails: it has no test files
        }

        var info = new IdxLayout(description);
        var directories = SearchDirectories(info);
        foreach (var file in info.Files)
        {
            string? path = directories
                .SelectMany(d => new[] { Path.Combine(d, file.GzipName), Path.Combine(d, file.Name) })
                .FirstOrDefault(File.Exists);
            if (path is null)
            {
                return false;
            }

            try
            {
                if (file.Sha256 is null || !_cache.IsVerified(Path.GetFullPath(path), FileStamp.Of(path), file.Sha256))
                {
                    return false;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The dataset's <see cref="Dataset.ContentKey"/> without reading any file's content; null when it cannot be known
    /// so. Loaded: its key. IDX: <see cref="History.RunCacheKey.DatasetKey"/> when every file has a SHA-256 in the
    /// description (a load checks the files against them). Image and CSV datasets: the key the decoded cache's stamp
    /// index recorded, when every source file's path, size and last-write time are as then.
    /// </summary>
    public string? PeekContentKey(string name)
    {
        var description = GetInfo(name);
        if (_loaded.TryGetValue(description.Name, out var lazy) && lazy.IsValueCreated)
        {
            return lazy.Value.ContentKey;
        }

        if (description.Format != DatasetFormat.Idx)
        {
            return _decoded.PeekContentKey(description);
        }

        return description.Sources.SelectMany(s => s.Paths).All(description.Sha256.ContainsKey)
            ? History.RunCacheKey.DatasetKey(description)
            : null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _ownedClient?.Dispose();
        }

        foreach (var lazy in _loaded.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
            }
        }

        _loaded.Clear();
    }

    private RawImageDataset Read(IdxLayout info, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var paths = Locate(info, cancellationToken);
        int classes = info.Description.ClassNames.Count;
        var trainImages = ReadVerified(info.TrainImages, paths.TrainImages, (s, hash) => IdxReader.ReadImages(s, paths.TrainImages, hash), i => i.Sha256);
        var trainLabels = ReadVerified(info.TrainLabels, paths.TrainLabels, (s, hash) => IdxReader.ReadLabels(s, paths.TrainLabels, classes, hash), l => l.Sha256);
        var testImages = ReadVerified(info.TestImages, paths.TestImages, (s, hash) => IdxReader.ReadImages(s, paths.TestImages, hash), i => i.Sha256);
        var testLabels = ReadVerified(info.TestLabels, paths.TestLabels, (s, hash) => IdxReader.ReadLabels(s, paths.TestLabels, classes, hash), l => l.Sha256);
        var raw = new RawImageDataset(info.Name, info.Description.ClassNames, trainImages, trainLabels, testImages, testLabels);
        Log(FormattableString.Invariant($"{info.Name}: {trainImages.Count} train and {testImages.Count} test images of {trainImages.Rows}x{trainImages.Columns} read in {started.Elapsed.TotalSeconds:0.000} s"));
        return raw;
    }

    /// <summary>
    /// Reads a file through <paramref name="read"/>, hashing it in the same pass unless the cache already vouches
    /// for this very file (same path, size and last-write time), then checks the hash.
    /// </summary>
    private T ReadVerified<T>(DatasetFile file, string path, Func<FileStream, bool, T> read, Func<T, string?> sha256)
    {
        using var stream = IdxReader.OpenRead(path);
        if (file.Sha256 is null)
        {
            // Nothing to check it against, but hashed all the same: the hash is part of the dataset's content key.
            return read(stream, true);
        }

        string fullPath = Path.GetFullPath(path);
        var before = FileStamp.Of(stream.SafeFileHandle);
        bool cached = _cache.IsVerified(fullPath, before, file.Sha256);
        var result = read(stream, !cached);
        if (cached)
        {
            Log($"{path}: verified earlier (verification cache)");
            return result;
        }

        string actual = sha256(result) ?? throw new InvalidOperationException("the reader did not hash the file");
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new DataChecksumException(
                path,
                file.Sha256,
                actual,
                $"The file is corrupt or not the expected one: delete it and run with --download ({Options.DownloadCommand}) to fetch it again.");
        }

        Log($"{path}: SHA-256 verified");
        if (FileStamp.Of(stream.SafeFileHandle) == before)
        {
            _cache.Record(fullPath, before, actual);
        }

        return result;
    }

    private DatasetFilePaths Locate(IdxLayout info, CancellationToken cancellationToken)
    {
        var directories = SearchDirectories(info);
        var found = new Dictionary<DatasetFile, string>();
        var missing = new List<DatasetFile>();
        foreach (var file in info.Files)
        {
            string? path = directories
                .SelectMany(d => new[] { Path.Combine(d, file.GzipName), Path.Combine(d, file.Name) })
                .FirstOrDefault(File.Exists);
            if (path is null)
            {
                missing.Add(file);
            }
            else
            {
                found[file] = path;
            }
        }

        if (missing.Count > 0)
        {
            if (!Options.AllowDownload)
            {
                throw NotFound(info, missing, directories);
            }

            string target = directories[0];
            foreach (var file in missing)
            {
                found[file] = Download(info, file, target, cancellationToken);
            }
        }

        return new DatasetFilePaths(found[info.TrainImages], found[info.TrainLabels], found[info.TestImages], found[info.TestLabels]);
    }

    private List<string> SearchDirectories(IdxLayout info) => SearchDirectories(Options, info.Description);

    /// <summary>Where a dataset's sources are looked for, in order: <c>DataRoot/Root</c>, then each system directory's <c>Root</c> (only <c>Root</c> when it is absolute).</summary>
    internal static List<string> SearchDirectories(DatasetStoreOptions options, DatasetDescription description)
    {
        if (Path.IsPathRooted(description.Root))
        {
            return [description.Root];
        }

        var directories = new List<string> { Path.Combine(options.DataRoot, description.Root) };
        foreach (string root in options.SystemSearchDirectories)
        {
            string directory = Path.Combine(root, description.Root);
            if (!directories.Any(d => string.Equals(Path.GetFullPath(d), Path.GetFullPath(directory), StringComparison.Ordinal)))
            {
                directories.Add(directory);
            }
        }

        return directories;
    }

    private DatasetNotFoundException NotFound(IdxLayout info, List<DatasetFile> missing, List<string> directories)
    {
        var text = new System.Text.StringBuilder();
        text.Append(missing.Count == info.Files.Count
            ? $"Dataset '{info.Name}' was not found: all {missing.Count} of its files are missing:"
            : $"Dataset '{info.Name}' is incomplete: {missing.Count} of its {info.Files.Count} files are missing:");
        text.AppendLine();
        foreach (var file in missing)
        {
            text.AppendLine($"  {file.GzipName} (or uncompressed {file.Name})");
        }

        text.AppendLine($"Searched: {string.Join(", ", directories.Select(d => d + Path.DirectorySeparatorChar))}");
        text.AppendLine($"To download them into {directories[0]}{Path.DirectorySeparatorChar} (checked against their SHA-256), run:");
        text.Append($"  {Options.DownloadCommand}");
        if (info.Description.DebianPackage is not null)
        {
            text.AppendLine();
            text.AppendLine($"Or install Debian's copy: sudo apt-get install {info.Description.DebianPackage}");
            text.Append($"  (it installs /usr/share/datasets/{info.Description.Root}/; run with --data-root /usr/share/datasets if that directory is not searched)");
        }

        return new DatasetNotFoundException(info.Name, [.. missing.Select(f => f.Name)], directories, text.ToString());
    }

    /// <summary>
    /// Fetches <c>file.gz</c> from each mirror in turn into a temporary file beside the target, checks that it
    /// decompresses to the expected SHA-256, and only then renames it to its real name.
    /// </summary>
    private string Download(IdxLayout info, DatasetFile file, string directory, CancellationToken cancellationToken)
    {
        string target = Path.Combine(directory, file.GzipName);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetDownloadException(info.Name, file.GzipName, [], $"Cannot create {directory} to download {info.Name}'s {file.GzipName} into: {e.Message}");
        }

        var mirrors = Options.Mirrors ?? info.Description.Mirrors;
        var failures = new List<string>();
        foreach (var mirror in mirrors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var url = new Uri(WithTrailingSlash(mirror), file.GzipName);
            string temp = Path.Combine(directory, $".{file.GzipName}.{Guid.NewGuid():N}.download");
            try
            {
                Log($"downloading {url} to {target}");
                var started = Stopwatch.StartNew();
                long bytes = Fetch(url, temp, cancellationToken);
                string? problem = CheckDownload(temp, file.Sha256 ?? throw new InvalidDataException($"{info.Name}'s {file.Name} has no SHA-256 in its description: a download cannot be verified"));
                if (problem is not null)
                {
                    throw new InvalidDataException(problem);
                }

                var stamp = FileStamp.Of(temp);
                File.Move(temp, target, overwrite: false);
                Log(FormattableString.Invariant($"downloaded {url} ({bytes} bytes, SHA-256 verified) in {started.Elapsed.TotalSeconds:0.0} s"));
                _cache.Record(Path.GetFullPath(target), stamp, file.Sha256!);
                return target;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is HttpRequestException or IOException or InvalidDataException or TimeoutException or TaskCanceledException or UnauthorizedAccessException)
            {
                if (File.Exists(target))
                {
                    // Another process put the file in place meanwhile: it is verified when read.
                    Log($"{target} appeared while downloading it; using it");
                    return target;
                }

                string reason = Describe(e);
                failures.Add($"{url}: {reason}");
                Log($"download of {url} failed: {reason}");
            }
            finally
            {
                TryDelete(temp);
            }
        }

        string message = mirrors.Count == 0
            ? $"Cannot download {info.Name}'s {file.GzipName}: no mirror is configured."
            : $"Cannot download {info.Name}'s {file.GzipName} into {directory}{Path.DirectorySeparatorChar}: every mirror failed:{Environment.NewLine}"
                + string.Join(Environment.NewLine, failures.Select(f => "  " + f));
        throw new DatasetDownloadException(info.Name, file.GzipName, failures, message);
    }

    /// <summary>
    /// Downloads <paramref name="url"/> into a new file; throws on HTTP errors and cut-off bodies, and
    /// <see cref="TimeoutException"/> when the mirror sends nothing for <see cref="DatasetStoreOptions.DownloadIdleTimeout"/>
    /// or the whole file takes longer than <see cref="DatasetStoreOptions.DownloadTimeout"/>.
    /// </summary>
    private long Fetch(Uri url, string path, CancellationToken cancellationToken) =>
        FetchAsync(url, path, cancellationToken).ConfigureAwait(false).GetAwaiter().GetResult();

    private async Task<long> FetchAsync(Uri url, string path, CancellationToken cancellationToken)
    {
        using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        total.CancelAfter(Options.DownloadTimeout);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
        idle.CancelAfter(Options.DownloadIdleTimeout);
        long received = 0;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Experiments", "1.0"));

            // Headers first, then the body read by read: every byte that arrives restarts the idle timer. A body
            // shorter than its Content-Length fails in the read ("response ended prematurely").
            using var response = await Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd(), null, response.StatusCode);
            }

            using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            var buffer = new byte[1 << 16];
            int n;
            idle.CancelAfter(Options.DownloadIdleTimeout);
            while ((n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false)) > 0)
            {
                idle.CancelAfter(Options.DownloadIdleTimeout);
                received += n;
                await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }

            output.Flush(flushToDisk: true);
            return output.Length;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && total.IsCancellationRequested)
        {
            throw new TimeoutException(FormattableString.Invariant($"not finished after {Seconds(Options.DownloadTimeout)} s in all ({received} bytes received; DownloadTimeout)"));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && idle.IsCancellationRequested)
        {
            throw new TimeoutException(FormattableString.Invariant($"no data for {Seconds(Options.DownloadIdleTimeout)} s ({received} bytes received; a stalled connection)"));
        }
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Null when the file is gzip data that decompresses to <paramref name="sha256"/>; else what is wrong.</summary>
    private static string? CheckDownload(string path, string sha256)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        if (n < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
        {
            stream.Position = 0;
            var start = new byte[Math.Min(16, stream.Length)];
            stream.ReadExactly(start);
            return $"not gzip data ({stream.Length} bytes starting with {Convert.ToHexString(start)})";
        }

        stream.Position = 0;
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        try
        {
            while ((n = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                total += n;
            }
        }
        catch (InvalidDataException)
        {
            return $"corrupt gzip data: decompression failed after {total} bytes of output";
        }

        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        return string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"SHA-256 mismatch: the {total} decompressed bytes hash to {actual} but {sha256} is expected (corrupt or truncated download)";
    }

    private HttpClient Client()
    {
        if (Options.HttpClient is { } client)
        {
            return client;
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // No client timeout: FetchAsync times the whole file and the pauses between bytes itself.
            return _ownedClient ??= new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    /// <summary>An exception's message followed by its inner exceptions' (e.g. "... : Connection refused").</summary>
    private static string Describe(Exception e)
    {
        if (e is TaskCanceledException)
        {
            return "timed out";
        }

        var parts = new List<string>();
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            string message = current.Message.TrimEnd('.', ' ');
            if (!parts.Any(p => p.Contains(message, StringComparison.Ordinal)))
            {
                parts.Add(message);
            }
        }

        return string.Join(": ", parts);
    }

    private static Uri WithTrailingSlash(Uri mirror) =>
        mirror.AbsolutePath.EndsWith('/') ? mirror : new UriBuilder(mirror) { Path = mirror.AbsolutePath + "/" }.Uri;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the temporary name is never mistaken for the real file.
        }
    }

    private void Log(string message) => Options.Log?.Invoke(message);
}
