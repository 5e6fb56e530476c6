using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Experiments.Results;
using TorchSharp;

namespace Experiments.Data;

/// <summary>
/// Loads the datasets that are decoded from their files (<see cref="DatasetFormat.Images"/>,
/// <see cref="DatasetFormat.Csv"/>), through the decoded cache.
/// </summary>
/// <remarks>
/// <para>
/// <b>Content key.</b> SHA-256 (lower-case hex) of the UTF-8 text <see cref="DescriptionText"/> (format, shape, class
/// names, sources, split fields, divisor, colour, resize, CSV options, one <c>key: value</c> line each) followed by a
/// line <c>file: &lt;split&gt; &lt;path&gt; &lt;sha256&gt;</c> per source file in listing order (for an image folder
/// <c>images/3/0001.png</c>, class by class; for a CSV file its path and the SHA-256 of its decompressed content).
/// The dataset's name is not part of it: a renamed dataset keeps its key.
/// </para>
/// <para>
/// <b>Decoded cache.</b> In <see cref="DatasetStoreOptions.DecodedCacheDirectory"/>: <c>&lt;key&gt;.safetensors</c>
/// holds <c>train.inputs</c>, <c>train.labels</c>, <c>test.inputs</c>, <c>test.labels</c> (see
/// <see cref="SafeTensorsFile"/>), and <c>&lt;name&gt;-&lt;location hash&gt;.index</c> (one per dataset and place of
/// its files) remembers the SHA-256 of the stamp listing (each file's path, size and last-write time), the content key
/// it gave and each source's content hash. When the listing is unchanged the tensor file is read without reading any
/// source; when it changed, the sources are hashed, and a tensor file of the same key is used again; otherwise the
/// sources are decoded and the cache written (atomically, and only after a successful load).
/// </para>
/// </remarks>
internal sealed class DecodedDatasets
{
    private const string IndexHeader = "experiments decoded-dataset index v1";

    /// <summary>Sources of at most this many bytes in all are kept in memory between hashing and decoding.</summary>
    private const long KeepInMemory = 1L << 30;

    private readonly DatasetStoreOptions _options;

    public DecodedDatasets(DatasetStoreOptions options)
    {
        _options = options;
    }

    /// <summary>The canonical text of the description's decoding fields, the start of the content key.</summary>
    public static string DescriptionText(DatasetDescription d)
    {
        var text = new StringBuilder("experiments decoded dataset v1\n");
        void Line(string key, string value) => text.Append(key).Append(": ").Append(value).Append('\n');

        // The decoders are part of what the tensors are: another SkiaSharp (its JPEG decoder, its resampling) or Sep
        // may give other values from the same files, so an upgrade decodes again rather than reusing old tensors.
        Line("decoder", d.Format == DatasetFormat.Images ? ImageDecoderVersion : CsvReaderVersion);
        static string Json(string? value) => value is null ? "null" : JsonSerializer.Serialize(value);
        static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
        Line("format", d.Format.ToString().ToLowerInvariant());
        Line("shape", string.Join(",", d.Shape.Select(s => s.ToString(CultureInfo.InvariantCulture))));
        Line("classes", "[" + string.Join(",", d.ClassNames.Select(c => Json(c))) + "]");
        Line("train", Json(d.Train.Path));
        Line("test", Json(d.Test?.Path));
        if (d.Test is null)
        {
            Line("testFraction", Number(d.TestFraction));
            Line("splitSeed", d.SplitSeed.ToString(CultureInfo.InvariantCulture));
        }

        Line("inputDivisor", Number(d.InputDivisor));
        if (d.Format == DatasetFormat.Images)
        {
            var images = d.Images ?? new ImageOptions();
            Line("color", images.Color.ToString().ToLowerInvariant());
            Line("resize", images.Resize ? "true" : "false");
        }
        else
        {
            var csv = d.Csv ?? new CsvOptions();
            Line("headerLines", csv.HeaderLines.ToString(CultureInfo.InvariantCulture));
            Line("labelColumn", csv.LabelColumn?.ToString(CultureInfo.InvariantCulture) ?? "last");
            Line("labelColumnName", Json(csv.LabelColumnName));
            Line("separator", Json(csv.Separator.ToString()));
        }

        return text.ToString();
    }

    private static readonly string ImageDecoderVersion = "skiasharp " + AssemblyVersion(typeof(SkiaSharp.SKCodec)) + " native " + SkiaSharp.SkiaSharpVersion.Native;

    private static readonly string CsvReaderVersion = "sep " + AssemblyVersion(typeof(nietras.SeparatedValues.Sep));

    private static string AssemblyVersion(Type type) =>
        type.Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? type.Assembly.GetName().Version?.ToString() ?? "unknown";

    public Dataset Load(DatasetDescription d, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        Validate(d);
        var sources = Locate(d);
        var files = List(d, sources);
        string? indexPath = IndexPath(d, sources);
        string stamps = StampHash(d, sources, files);

        // 1. Nothing changed since the index was written: the tensor file, without reading any source.
        if (indexPath is not null && ReadIndex(indexPath) is { } index && index.Stamps == stamps && Covers(d, sources, index.SourceHashes))
        {
            CheckChecksums(d, sources, index.SourceHashes);
            if (TryReadCache(d, index.Key, started, "") is { } cached)
            {
                return cached;
            }
        }

        // 2. Hash every source (keeping the bytes for decoding when they fit in memory).
        cancellationToken.ThrowIfCancellationRequested();
        var (hashes, contents) = HashFiles(d, files, cancellationToken);
        var sourceHashes = SourceHashes(d, sources, files, hashes);
        CheckChecksums(d, sources, sourceHashes);
        string key = ContentKey(d, files, hashes);
        if (indexPath is not null && TryReadCache(d, key, started, " (sources rehashed: their stamps changed but not their content)") is { } reused)
        {
            WriteIndex(indexPath, stamps, key, sourceHashes);
            return reused;
        }

        // 3. Decode, split (each example straight into its split's tensor), cache (streamed from the tensors).
        var (train, test) = Decode(d, sources, files, contents, cancellationToken);
        var dataset = Build(d, train, test, key);
        string where = "not cached: no decoded cache directory";
        try
        {
            if (_options.DecodedCacheDirectory is { } directory && indexPath is not null)
            {
                string path = CachePath(key)!;
                where = WriteCache(d, path, key, train, test) ? "cached in " + path : "not cached";
                WriteIndex(indexPath, stamps, key, sourceHashes);
            }
        }
        catch
        {
            dataset.Dispose();
            throw;
        }

        Log(FormattableString.Invariant($"{d.Name}: {Counts(d, train.Count, test.Count)} decoded in {started.Elapsed.TotalSeconds:0.00} s ({where})"));
        return dataset;
    }

    /// <summary>The content key from the stamp index, without reading any source's content; null when unknown.</summary>
    public string? PeekContentKey(DatasetDescription d)
    {
        try
        {
            Validate(d);
            var sources = Locate(d);
            var files = List(d, sources);
            if (IndexPath(d, sources) is not { } indexPath || ReadIndex(indexPath) is not { } index || index.Stamps != StampHash(d, sources, files)
                || !Covers(d, sources, index.SourceHashes))
            {
                return null;
            }

            CheckChecksums(d, sources, index.SourceHashes);
            return index.Key;
        }
        catch (Exception e) when (e is DataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Where a source was found: its description, the split it feeds and the path it is read from.</summary>
    private sealed record Located(DatasetSource Source, string Split, string Path);

    private static void Validate(DatasetDescription d)
    {
        string where = d.SourceFile.Length > 0 ? $" ({d.SourceFile})" : "";
        if (d.Format == DatasetFormat.Images)
        {
            int channels = (d.Images ?? new ImageOptions()).Color == ImageColor.Rgb ? 3 : 1;
            if (d.Shape.Count != 3 || d.Shape[0] != channels || d.Shape[1] < 1 || d.Shape[2] < 1)
            {
                throw new DataException($"Dataset '{d.Name}'{where}: an image dataset's shape is [channels, height, width] with {channels} channel{(channels == 1 ? "" : "s")} for its colour, not [{string.Join(", ", d.Shape)}]");
            }
        }
        else if (d.Shape.Count != 1 || d.Shape[0] < 1)
        {
            throw new DataException($"Dataset '{d.Name}'{where}: a CSV dataset's shape is [features], not [{string.Join(", ", d.Shape)}]");
        }

        if (d.Test is null && !(d.TestFraction > 0 && d.TestFraction < 1))
        {
            throw new DataException($"Dataset '{d.Name}'{where}: with no test source, testFraction must be in (0, 1), not {d.TestFraction.ToString(CultureInfo.InvariantCulture)}");
        }

        if (d.ClassNames.Count == 0)
        {
            throw new DataException($"Dataset '{d.Name}'{where}: no classes");
        }
    }

    /// <summary>The full paths the description's sources were found at (train first); throws when one is missing.</summary>
    public IReadOnlyList<string> SourcePaths(DatasetDescription d) => [.. Locate(d).Select(l => Path.GetFullPath(l.Path))];

    private List<Located> Locate(DatasetDescription d)
    {
        var directories = DatasetStore.SearchDirectories(_options, d);
        var found = new List<Located>();
        var missing = new List<DatasetSource>();
        foreach (var (source, split) in d.Test is null ? [(d.Train, "train")] : new[] { (d.Train, "train"), (d.Test, "test") })
        {
            string? path = directories.Select(dir => Path.Combine(dir, source.Path))
                .FirstOrDefault(p => d.Format == DatasetFormat.Images ? Directory.Exists(p) : File.Exists(p));
            if (path is null)
            {
                missing.Add(source);
            }
            else
            {
                found.Add(new Located(source, split, path));
            }
        }

        if (missing.Count > 0)
        {
            throw NotFound(d, missing, directories);
        }

        return found;
    }

    private DatasetNotFoundException NotFound(DatasetDescription d, List<DatasetSource> missing, List<string> directories)
    {
        string kind = d.Format == DatasetFormat.Images ? "image folder" : "CSV file";
        var text = new StringBuilder();
        int count = d.Sources.Count;
        text.Append(missing.Count == count
            ? $"Dataset '{d.Name}' was not found: {(count == 1 ? "its " + kind + " is" : "all " + count + " of its sources are")} missing:"
            : $"Dataset '{d.Name}' is incomplete: {missing.Count} of its {count} sources are missing:");
        text.AppendLine();
        foreach (var source in missing)
        {
            text.AppendLine($"  {source.Path}{(d.Format == DatasetFormat.Images ? "/" : "")} ({kind})");
        }

        text.AppendLine($"Searched: {string.Join(", ", directories.Select(dir => dir + Path.DirectorySeparatorChar))}");
        text.Append($"Put the {(d.Format == DatasetFormat.Images ? "folders" : "files")} in place, e.g. in {directories[0]}{Path.DirectorySeparatorChar}: a {d.Format.ToString().ToLowerInvariant()} dataset has no download (--download fetches only IDX datasets from their mirrors).");
        if (d.DebianPackage is not null)
        {
            text.AppendLine();
            text.Append($"Or install Debian's copy: sudo apt-get install {d.DebianPackage} (it installs /usr/share/datasets/{d.Root}/)");
        }

        return new DatasetNotFoundException(d.Name, [.. missing.Select(s => s.Path)], directories, text.ToString());
    }

    private static List<SourceFile> List(DatasetDescription d, List<Located> sources)
    {
        var files = new List<SourceFile>();
        foreach (var source in sources)
        {
            if (d.Format == DatasetFormat.Images)
            {
                files.AddRange(ImageFolderReader.List(source.Path, source.Source.Path, d.ClassNames));
            }
            else
            {
                var info = new FileInfo(source.Path);
                files.Add(new SourceFile(source.Source.Path, "", source.Path, info.Length, info.LastWriteTimeUtc, -1));
            }
        }

        return files;
    }

    /// <summary>SHA-256 of the description, where the sources were found, and each file's path, size and last-write time.</summary>
    private static string StampHash(DatasetDescription d, List<Located> sources, List<SourceFile> files)
    {
        var text = new StringBuilder(DescriptionText(d));
        foreach (var source in sources)
        {
            text.Append("source: ").Append(source.Split).Append(' ').Append(Path.GetFullPath(source.Path)).Append('\n');
        }

        // Line by line into the hash: a cached load of 60,000 images hashes 60,000 of these lines.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        var buffer = new byte[4096];
        foreach (var file in files)
        {
            if (!System.Text.Unicode.Utf8.TryWrite(buffer, CultureInfo.InvariantCulture, $"{file.Key}\t{file.Length}\t{file.LastWriteUtc.Ticks}\n", out int written))
            {
                buffer = new byte[Encoding.UTF8.GetMaxByteCount(file.Key.Length) + 64];
                System.Text.Unicode.Utf8.TryWrite(buffer, CultureInfo.InvariantCulture, $"{file.Key}\t{file.Length}\t{file.LastWriteUtc.Ticks}\n", out written);
            }

            hash.AppendData(buffer, 0, written);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string ContentKey(DatasetDescription d, List<SourceFile> files, string[] hashes)
    {
        var text = new StringBuilder(DescriptionText(d));
        for (int i = 0; i < files.Count; i++)
        {
            text.Append("file: ").Append(files[i].Key).Append(' ').Append(hashes[i]).Append('\n');
        }

        return Sha256(text.ToString());
    }

    private string? IndexPath(DatasetDescription d, List<Located> sources)
    {
        if (_options.DecodedCacheDirectory is not { } directory)
        {
            return null;
        }

        string location = Sha256(DescriptionText(d) + string.Join("\n", sources.Select(s => Path.GetFullPath(s.Path))))[..16];
        return Path.Combine(directory, $"{d.Name}-{location}.index");
    }

    private string? CachePath(string key) =>
        _options.DecodedCacheDirectory is { } directory ? Path.Combine(directory, key + ".safetensors") : null;

    private static (string[] Hashes, byte[]?[] Contents) HashFiles(DatasetDescription d, List<SourceFile> files, CancellationToken cancellationToken)
    {
        var hashes = new string[files.Count];
        var contents = new byte[]?[files.Count];
        bool keep = files.Sum(f => f.Length) <= KeepInMemory;
        ForEachInOrder(files.Count, cancellationToken, i =>
        {
            byte[] content = d.Format == DatasetFormat.Csv ? CsvDatasetReader.ReadContent(files[i].FullPath) : ReadFile(files[i].FullPath);
            hashes[i] = Convert.ToHexStringLower(SHA256.HashData(content));
            if (keep)
            {
                contents[i] = content;
            }
        });
        return (hashes, contents);
    }

    /// <summary>Each source's content hash: a CSV file's SHA-256, an image folder's content hash.</summary>
    private static Dictionary<string, string> SourceHashes(DatasetDescription d, List<Located> sources, List<SourceFile> files, string[] hashes)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            string prefix = source.Source.Path + "/";
            var indices = Enumerable.Range(0, files.Count)
                .Where(i => d.Format == DatasetFormat.Csv ? files[i].Key == source.Source.Path : files[i].Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToList();
            result[source.Source.Path] = d.Format == DatasetFormat.Csv
                ? hashes[indices[0]]
                : ImageFolderReader.ContentHash([.. indices.Select(i => files[i])], [.. indices.Select(i => hashes[i])]);
        }

        return result;
    }

    /// <summary>
    /// Whether an index records the hash of every source the description gives a SHA-256 for: one that does not
    /// (damaged, or written for another description) cannot vouch for the files, which are then hashed again.
    /// </summary>
    private static bool Covers(DatasetDescription d, List<Located> sources, IReadOnlyDictionary<string, string> recorded) =>
        sources.All(source => !d.Sha256.ContainsKey(source.Source.Path) || recorded.ContainsKey(source.Source.Path));

    private static void CheckChecksums(DatasetDescription d, List<Located> sources, IReadOnlyDictionary<string, string> actual)
    {
        foreach (var source in sources)
        {
            if (d.Sha256.TryGetValue(source.Source.Path, out var expected) && actual.TryGetValue(source.Source.Path, out var hash)
                && !string.Equals(expected, hash, StringComparison.OrdinalIgnoreCase))
            {
                string what = d.Format == DatasetFormat.Images ? "folder's content" : "file";
                throw new DataChecksumException(
                    source.Path,
                    expected,
                    hash,
                    $"The {what} is not the expected one: put the right {(d.Format == DatasetFormat.Images ? "images" : "file")} in place, or update its sha256 in {(d.SourceFile.Length > 0 ? d.SourceFile : "the dataset's description")} if the change is meant.");
            }
        }
    }

    /// <summary>
    /// Decodes the sources into the train and test splits (the caller owns them). Each source's bytes are dropped
    /// once decoded; without a test source the stratified draw (which needs only the labels) comes first, so that each
    /// example is decoded straight into its split's tensor.
    /// </summary>
    private static (DataSplit Train, DataSplit Test) Decode(DatasetDescription d, List<Located> sources, List<SourceFile> files, byte[]?[] contents, CancellationToken cancellationToken)
    {
        var splits = new List<DataSplit>();
        try
        {
            for (int s = 0; s < sources.Count; s++)
            {
                string prefix = sources[s].Source.Path + "/";
                var indices = Enumerable.Range(0, files.Count)
                    .Where(i => d.Format == DatasetFormat.Csv ? i == s : files[i].Key.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
                if (d.Format == DatasetFormat.Csv)
                {
                    int i = indices[0];
                    var examples = CsvDatasetReader.Parse(contents[i] ?? CsvDatasetReader.ReadContent(files[i].FullPath), files[i].FullPath, d);
                    contents[i] = null;
                    var isTest = d.Test is null ? StratifiedSplit.DrawTest(examples.Labels, d.ClassNames.Count, d.TestFraction, d.SplitSeed) : null;
                    splits.Add(examples.ToSplit(d.Shape, isTest, false));
                    if (isTest is not null)
                    {
                        splits.Add(examples.ToSplit(d.Shape, isTest, true));
                    }
                }
                else
                {
                    var isTest = d.Test is null
                        ? StratifiedSplit.DrawTest(indices.Select(i => files[i].Label).ToArray(), d.ClassNames.Count, d.TestFraction, d.SplitSeed)
                        : null;
                    splits.AddRange(DecodeImages(d, sources[s], files, indices, contents, isTest, cancellationToken));
                }
            }

            return (splits[0], splits[1]);
        }
        catch
        {
            foreach (var split in splits)
            {
                split.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// One image folder's examples: one split, or with <paramref name="isTest"/> the train and the test split, each
    /// image decoded straight into its place in its split's tensor.
    /// </summary>
    private static DataSplit[] DecodeImages(DatasetDescription d, Located source, List<SourceFile> files, int[] indices, byte[]?[] contents, bool[]? isTest, CancellationToken cancellationToken)
    {
        int channels = d.Shape[0], height = d.Shape[1], width = d.Shape[2];
        int features = d.Features;
        bool resize = d.Images?.Resize ?? false;
        long bytes = (long)indices.Length * features;
        if (bytes > Array.MaxLength)
        {
            throw new DataFormatException(
                source.Path,
                FormattableString.Invariant($"{indices.Length} images of [{string.Join(", ", d.Shape)}] decode to {bytes / (1 << 20)} MB, more than the {Array.MaxLength / (1 << 20)} MB one split can hold in memory: resize them to a smaller shape, or use fewer"));
        }

        int parts = isTest is null ? 1 : 2;
        var counts = new int[parts];
        var part = new int[indices.Length];
        var position = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            part[k] = isTest is not null && isTest[k] ? 1 : 0;
            position[k] = counts[part[k]]++;
        }

        var inputs = new torch.Tensor?[parts];
        var labels = new torch.Tensor?[parts];
        try
        {
            var values = new long[parts][];
            for (int p = 0; p < parts; p++)
            {
                inputs[p] = torch.empty([counts[p], channels, height, width], torch.ScalarType.Byte);
                values[p] = new long[counts[p]];
            }

            ForEachInOrder(indices.Length, cancellationToken, k =>
            {
                var file = files[indices[k]];
                var target = SafeTensorsFile.Memory(inputs[part[k]]!, (long)position[k] * features, features);
                ImageFolderReader.Decode(contents[indices[k]] ?? ReadFile(file.FullPath), file.FullPath, channels, height, width, resize, target);
                contents[indices[k]] = null;
                values[part[k]][position[k]] = file.Label;
            });
            var result = new DataSplit[parts];
            for (int p = 0; p < parts; p++)
            {
                labels[p] = torch.tensor(values[p], [counts[p]], torch.ScalarType.Int64);
                result[p] = new DataSplit(inputs[p]!, labels[p]!);
            }

            return result;
        }
        catch
        {
            foreach (var tensor in inputs.Concat(labels))
            {
                tensor?.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> for 0 to count - 1 on every core; when some fail, the failure of the lowest index
    /// is thrown (the same error whatever the scheduling).
    /// </summary>
    private static void ForEachInOrder(int count, CancellationToken cancellationToken, Action<int> body)
    {
        var failures = new Exception?[count];
        Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellationToken }, (i, state) =>
        {
            if (state.LowestBreakIteration < i)
            {
                return;
            }

            try
            {
                body(i);
            }
            catch (Exception e)
            {
                failures[i] = e;
                state.Break();
            }
        });
        if (failures.FirstOrDefault(f => f is not null) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    private static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    private Dataset? TryReadCache(DatasetDescription d, string key, Stopwatch started, string note)
    {
        if (CachePath(key) is not { } path || !File.Exists(path))
        {
            return null;
        }

        Dictionary<string, torch.Tensor>? tensors = null;
        try
        {
            (tensors, var metadata) = SafeTensorsFile.Read(path);
            if (!metadata.TryGetValue("content_key", out var stored) || stored != key)
            {
                throw new InvalidDataException($"its content key is {stored ?? "missing"}, not {key}");
            }

            var inputType = d.Format == DatasetFormat.Csv ? torch.ScalarType.Float32 : torch.ScalarType.Byte;
            DataSplit SplitOf(string split)
            {
                if (!tensors.TryGetValue(split + ".inputs", out var inputs) || !tensors.TryGetValue(split + ".labels", out var labels))
                {
                    throw new InvalidDataException($"no {split}.inputs or {split}.labels tensor");
                }

                if (inputs.dtype != inputType || !inputs.shape.Skip(1).SequenceEqual(d.Shape.Select(s => (long)s)) || labels.dtype != torch.ScalarType.Int64
                    || labels.dim() != 1 || labels.shape[0] != inputs.shape[0])
                {
                    throw new InvalidDataException($"{split} tensors of {inputs.dtype} [{string.Join(", ", inputs.shape)}] and {labels.dtype} [{string.Join(", ", labels.shape)}] do not fit the dataset");
                }

                return new DataSplit(inputs, labels);
            }

            var train = SplitOf("train");
            var test = SplitOf("test");
            var dataset = new Dataset(d, train, test, key);
            Log(FormattableString.Invariant($"{d.Name}: {Counts(d, train.Count, test.Count)} read from the decoded cache in {started.Elapsed.TotalSeconds:0.00} s ({path}){note}"));

            // The dataset owns its four tensors from here; any other tensor in the file is of no use.
            foreach (var (name, tensor) in tensors)
            {
                if (name is not ("train.inputs" or "train.labels" or "test.inputs" or "test.labels"))
                {
                    tensor.Dispose();
                }
            }

            tensors = null;
            return dataset;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            DisposeAll(tensors);
            Log($"{path}: the decoded cache file is unusable ({e.Message}): deleted; decoding again");
            TryDelete(path);
            return null;
        }
        catch
        {
            // Anything else (the log sink, a native error) still frees what was read.
            DisposeAll(tensors);
            throw;
        }
    }

    private static void DisposeAll(Dictionary<string, torch.Tensor>? tensors)
    {
        foreach (var tensor in tensors?.Values ?? Enumerable.Empty<torch.Tensor>())
        {
            tensor.Dispose();
        }
    }

    private bool WriteCache(DatasetDescription d, string path, string key, DataSplit train, DataSplit test)
    {
        try
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["format"] = "pt",
                ["content_key"] = key,
                ["dataset"] = d.Name,
                ["class_names"] = JsonSerializer.Serialize(d.ClassNames),
                ["description"] = DescriptionText(d),
            };
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, stream => SafeTensorsFile.Write(
                stream,
                [
                    new SafeTensor("train.inputs", train.Inputs),
                    new SafeTensor("train.labels", train.Labels),
                    new SafeTensor("test.inputs", test.Inputs),
                    new SafeTensor("test.labels", test.Labels),
                ],
                metadata));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"cannot write the decoded cache file {path} ({e.Message}); carrying on without it");
            return false;
        }
    }

    private sealed record Index(string Stamps, string Key, Dictionary<string, string> SourceHashes);

    private static Index? ReadIndex(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var lines = File.ReadAllLines(path);
            if (lines.Length < 3 || lines[0] != IndexHeader || !lines[1].StartsWith("stamps ", StringComparison.Ordinal) || !lines[2].StartsWith("key ", StringComparison.Ordinal))
            {
                return null;
            }

            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in lines.Skip(3))
            {
                var parts = line.Split('\t');
                if (parts.Length == 3 && parts[0] == "source")
                {
                    hashes[parts[1]] = parts[2];
                }
            }

            return new Index(lines[1]["stamps ".Length..], lines[2]["key ".Length..], hashes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable index only costs a rehash.
            return null;
        }
    }

    private void WriteIndex(string path, string stamps, string key, Dictionary<string, string> sourceHashes)
    {
        var previous = ReadIndex(path);
        var text = new StringBuilder(IndexHeader).Append('\n').Append("stamps ").Append(stamps).Append('\n').Append("key ").Append(key).Append('\n');
        foreach (var (source, hash) in sourceHashes)
        {
            text.Append("source\t").Append(source).Append('\t').Append(hash).Append('\n');
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.Write(path, Encoding.UTF8.GetBytes(text.ToString()));
            if (previous is not null && previous.Key != key && CachePath(previous.Key) is { } stale)
            {
                // The sources changed: the old decoded copy is of no use here any more.
                TryDelete(stale);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"cannot write the decoded cache index {path} ({e.Message}); carrying on without it");
        }
    }

    /// <summary>The dataset of the splits; on a failure both splits are disposed.</summary>
    private static Dataset Build(DatasetDescription d, DataSplit train, DataSplit test, string key)
    {
        try
        {
            return new Dataset(d, train, test, key);
        }
        catch
        {
            train.Dispose();
            test.Dispose();
            throw;
        }
    }

    private static string Counts(DatasetDescription d, int train, int test) => d.Format == DatasetFormat.Images
        ? $"{train} train and {test} test images of {string.Join('x', d.Shape)}"
        : $"{train} train and {test} test rows of {d.Shape[0]} features";

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale cache file only takes room.
        }
    }

    private void Log(string message) => _options.Log?.Invoke(message);
}
