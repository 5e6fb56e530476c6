using System.Text.Json;
using Experiments.Data;
using Experiments.Generated;

namespace Experiments.Core.Tests.Data;

public sealed class DatasetStoreTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly SyntheticDataset _tiny = new();
    private readonly LogLines _log = new();

    public void Dispose() => _temp.Dispose();

    private string CachePath => _temp.Combine("cache", "verified-data.json");

    private DatasetStore Store(string? dataRoot = null, IReadOnlyList<string>? system = null, string? cachePath = "default") => new(new DatasetStoreOptions
    {
        DataRoot = dataRoot ?? _temp.Combine("data"),
        SystemSearchDirectories = system ?? [],
        Datasets = [_tiny.Info, DatasetCatalog.Mnist, DatasetCatalog.FashionMnist],
        VerificationCachePath = cachePath == "default" ? CachePath : cachePath,
        Log = _log.Sink,
    });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_and_verifies_a_dataset_in_the_data_root(bool gzip)
    {
        _tiny.WriteTo(_temp.Combine("data"), gzip);
        using var store = Store();

        var raw = store.Read(SyntheticDataset.Name);

        Assert.Equal(SyntheticDataset.Name, raw.Name);
        Assert.Equal(["zero", "one", "two"], raw.ClassNames);
        Assert.Equal((5, 4, 3), (raw.TrainImages.Count, raw.TrainImages.Rows, raw.TrainImages.Columns));
        Assert.Equal(_tiny.Contents[IdxFileNames.TrainImages][16..], raw.TrainImages.Pixels);
        Assert.Equal(new byte[] { 1, 2 }, raw.TestLabels.Labels);
        Assert.Equal(4, _log.Count("SHA-256 verified"));
    }

    [Fact]
    public void Finds_the_files_in_a_system_directory_when_the_data_root_lacks_them()
    {
        string system = _temp.Combine("usr-share-datasets");
        _tiny.WriteTo(system);
        using var store = Store(system: [system]);

        var paths = store.Locate(SyntheticDataset.Name);
        var raw = store.Read(SyntheticDataset.Name);

        Assert.Equal(Path.Combine(system, SyntheticDataset.Name, "train-images-idx3-ubyte.gz"), paths.TrainImages);
        Assert.Equal(2, raw.TestImages.Count);
    }

    [Fact]
    public void The_data_root_wins_over_system_directories()
    {
        string system = _temp.Combine("system");
        _tiny.WriteTo(system);
        _tiny.WriteTo(_temp.Combine("data"), gzip: false);
        using var store = Store(system: [system]);

        Assert.Equal(Path.Combine(_temp.Combine("data"), SyntheticDataset.Name, "t10k-labels-idx1-ubyte"), store.Locate(SyntheticDataset.Name).TestLabels);
    }

    [Fact]
    public void Unknown_dataset_lists_the_known_ones()
    {
        using var store = new DatasetStore(new DatasetStoreOptions { VerificationCachePath = null, Datasets = DatasetCatalog.All });

        var e = Assert.Throws<UnknownDatasetException>(() => store.Read("cifar-10"));

        Assert.Equal("Unknown dataset 'cifar-10'. Known datasets: digits-csv, digits-images, fashion-mnist, mnist.", e.Message);
        Assert.Throws<UnknownDatasetException>(() => Store().GetInfo("svhn"));
        Assert.Same(DatasetCatalog.FashionMnist, Store().GetInfo("Fashion-MNIST"));
    }

    [Fact]
    public void Missing_dataset_lists_every_missing_file_the_directories_and_the_download_command()
    {
        string system = _temp.Combine("system");
        using var store = Store(system: [system]);

        var e = Assert.Throws<DatasetNotFoundException>(() => store.Read("mnist"));

        string data = Path.Combine(_temp.Combine("data"), "mnist");
        Assert.Equal(
            $"""
            Dataset 'mnist' was not found: all 4 of its files are missing:
              train-images-idx3-ubyte.gz (or uncompressed train-images-idx3-ubyte)
              train-labels-idx1-ubyte.gz (or uncompressed train-labels-idx1-ubyte)
              t10k-images-idx3-ubyte.gz (or uncompressed t10k-images-idx3-ubyte)
              t10k-labels-idx1-ubyte.gz (or uncompressed t10k-labels-idx1-ubyte)
            Searched: {data}/, {Path.Combine(system, "mnist")}/
            To download them into {data}/ (checked against their SHA-256), run:
              dotnet run -- all --download
            """.ReplaceLineEndings(),
            e.Message);
        Assert.Equal(4, e.MissingFiles.Count);
        Assert.Equal([data, Path.Combine(system, "mnist")], e.SearchedDirectories);
    }

    [Fact]
    public void Load_retries_a_failed_dataset_unless_told_to_remember_failures()
    {
        using var forgetful = Store();
        Assert.Throws<DatasetNotFoundException>(() => forgetful.Load(SyntheticDataset.Name));
        _tiny.WriteTo(_temp.Combine("data"), gzip: true);
        Assert.Equal(5, forgetful.Load(SyntheticDataset.Name).Train.Count); // the files appeared: found now

        using var remembering = new DatasetStore(forgetful.Options with { DataRoot = _temp.Combine("other"), RememberFailures = true });
        var first = Assert.Throws<DatasetNotFoundException>(() => remembering.Load(SyntheticDataset.Name));
        _tiny.WriteTo(_temp.Combine("other"), gzip: true);
        var second = Assert.Throws<DatasetNotFoundException>(() => remembering.Load(SyntheticDataset.Name));
        Assert.Same(first, second); // not searched again
    }

    [Fact]
    public void Missing_fashion_mnist_also_suggests_the_debian_package()
    {
        using var store = Store();

        var e = Assert.Throws<DatasetNotFoundException>(() => store.Locate("fashion-mnist"));

        Assert.Contains("dotnet run -- all --download", e.Message, StringComparison.Ordinal);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message, StringComparison.Ordinal);
        Assert.Contains("--data-root /usr/share/datasets", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partial_dataset_lists_only_the_missing_files()
    {
        _tiny.WriteTo(_temp.Combine("data"), only: [IdxFileNames.TrainImages, IdxFileNames.TestImages]);
        using var store = Store();

        var e = Assert.Throws<DatasetNotFoundException>(() => store.Read(SyntheticDataset.Name));

        Assert.StartsWith("Dataset 'tiny' is incomplete: 2 of its 4 files are missing:", e.Message, StringComparison.Ordinal);
        Assert.Equal([IdxFileNames.TrainLabels, IdxFileNames.TestLabels], e.MissingFiles);
        Assert.DoesNotContain("train-images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_modified_file_fails_with_the_expected_and_actual_hash()
    {
        string directory = _tiny.WriteTo(_temp.Combine("data"), gzip: false);
        string path = Path.Combine(directory, IdxFileNames.TestImages);
        var content = File.ReadAllBytes(path);
        content[^1] ^= 1;
        File.WriteAllBytes(path, content);
        using var store = Store();

        var e = Assert.Throws<DataChecksumException>(() => store.Read(SyntheticDataset.Name));

        string expected = _tiny.Info.Sha256[IdxFileNames.TestImages];
        string actual = Idx.Sha256(content);
        Assert.Equal(path, e.FilePath);
        Assert.Equal((expected, actual), (e.ExpectedSha256, e.ActualSha256));
        Assert.Equal(
            $"{path}: SHA-256 mismatch: the decompressed content hashes to {actual} but {expected} is expected. "
            + "The file is corrupt or not the expected one: delete it and run with --download (dotnet run -- all --download) to fetch it again.",
            e.Message);
    }

    [Fact]
    public void A_verified_file_is_not_hashed_again_until_its_size_or_time_changes()
    {
        string directory = _tiny.WriteTo(_temp.Combine("data"), gzip: false);
        using (var first = Store())
        {
            first.Read(SyntheticDataset.Name);
        }

        Assert.Equal(4, _log.Count("SHA-256 verified"));

        // Change one pixel but keep the size and last-write time: a store that trusts the cache does not notice,
        // which proves it did not hash the file again.
        string path = Path.Combine(directory, IdxFileNames.TrainImages);
        var stamp = File.GetLastWriteTimeUtc(path);
        var content = File.ReadAllBytes(path);
        content[20] ^= 0xFF;
        File.WriteAllBytes(path, content);
        File.SetLastWriteTimeUtc(path, stamp);
        using (var second = Store())
        {
            var raw = second.Read(SyntheticDataset.Name);
            Assert.Equal(content[20], raw.TrainImages.Pixels[4]);
        }

        Assert.Equal(4, _log.Count("verified earlier (verification cache)"));
        Assert.Equal(4, _log.Count("SHA-256 verified"));

        // A new last-write time invalidates the entry: the file is hashed and the change caught.
        File.SetLastWriteTimeUtc(path, stamp.AddSeconds(1));
        using var third = Store();
        Assert.Throws<DataChecksumException>(() => third.Read(SyntheticDataset.Name));
    }

    [Fact]
    public void The_cache_entry_matches_only_the_same_path_size_time_and_hash()
    {
        string path = Idx.Write(_temp.Combine("f"), [1, 2, 3]);
        var stamp = new FileStamp(3, new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567));
        new VerificationCache(CachePath, null).Record(path, stamp, "abc");

        var cache = new VerificationCache(CachePath, null); // reads the file back
        Assert.True(cache.IsVerified(path, stamp, "abc"));
        Assert.False(cache.IsVerified(path, stamp with { Length = 4 }, "abc"));
        Assert.False(cache.IsVerified(path, stamp with { LastWriteUtc = stamp.LastWriteUtc.AddTicks(1) }, "abc"));
        Assert.False(cache.IsVerified(path, stamp, "abd"));
        Assert.False(cache.IsVerified(path + "x", stamp, "abc"));
    }

    [Fact]
    public void A_corrupt_cache_file_is_ignored_and_rewritten()
    {
        _tiny.WriteTo(_temp.Combine("data"));
        Idx.Write(CachePath, "{ this is not json"u8.ToArray());
        using var store = Store();

        store.Read(SyntheticDataset.Name);

        Assert.Equal(1, _log.Count("ignoring the verification cache"));
        Assert.Equal(4, _log.Count("SHA-256 verified"));
        using var document = JsonDocument.Parse(File.ReadAllBytes(CachePath));
        Assert.Equal(4, document.RootElement.GetProperty("files").GetArrayLength());
    }

    [Fact]
    public void An_unwritable_cache_is_skipped_without_failing()
    {
        _tiny.WriteTo(_temp.Combine("data"));
        string blocker = Idx.Write(_temp.Combine("not-a-directory"), [0]);
        using var store = Store(cachePath: Path.Combine(blocker, "sub", "verified-data.json"));

        var raw = store.Read(SyntheticDataset.Name);

        Assert.Equal(5, raw.TrainLabels.Count);
        Assert.Equal(1, _log.Count("cannot write the verification cache"));
    }

    [Fact]
    public void Without_a_cache_every_read_hashes()
    {
        _tiny.WriteTo(_temp.Combine("data"));
        using var store = Store(cachePath: null);

        store.Read(SyntheticDataset.Name);
        store.Read(SyntheticDataset.Name);

        Assert.Equal(8, _log.Count("SHA-256 verified"));
    }

    [Fact]
    public void A_label_beyond_the_class_names_is_an_error_naming_the_file()
    {
        _tiny.Contents[IdxFileNames.TestLabels] = Idx.Labels(1, 3);
        var info = _tiny.Info with { Sha256 = new Dictionary<string, string>(_tiny.Info.Sha256) { [IdxFileNames.TestLabels] = Idx.Sha256(_tiny.Contents[IdxFileNames.TestLabels]) } };
        string directory = _tiny.WriteTo(_temp.Combine("data"));
        using var store = new DatasetStore(new DatasetStoreOptions { DataRoot = _temp.Combine("data"), SystemSearchDirectories = [], Datasets = [info], VerificationCachePath = null });

        var e = Assert.Throws<DataFormatException>(() => store.Read(SyntheticDataset.Name));

        Assert.Equal($"{Path.Combine(directory, "t10k-labels-idx1-ubyte.gz")}: label 3 at index 1 is out of range: the dataset has 3 classes (labels 0-2)", e.Message);
    }

    [Fact]
    public void An_idx_dataset_without_checksums_still_keys_its_content()
    {
        // No sha256 in the description: nothing is verified, but the files are hashed into the content key, so a
        // replaced file changes it (and the run cache does not answer with results of the old data).
        var info = _tiny.Info with { Sha256 = new Dictionary<string, string>(StringComparer.Ordinal) };
        _tiny.WriteTo(_temp.Combine("data"));
        string first;
        using (var store = new DatasetStore(new DatasetStoreOptions { DataRoot = _temp.Combine("data"), SystemSearchDirectories = [], Datasets = [info], VerificationCachePath = null }))
        {
            Assert.Null(store.PeekContentKey(SyntheticDataset.Name));
            first = store.Load(SyntheticDataset.Name).ContentKey;
            Assert.Equal(first, store.PeekContentKey(SyntheticDataset.Name));
        }

        _tiny.Contents[IdxFileNames.TestLabels] = Idx.Labels(2, 2);
        _tiny.WriteTo(_temp.Combine("data"));
        using (var store = new DatasetStore(new DatasetStoreOptions { DataRoot = _temp.Combine("data"), SystemSearchDirectories = [], Datasets = [info], VerificationCachePath = null }))
        {
            Assert.NotEqual(first, store.Load(SyntheticDataset.Name).ContentKey);
        }
    }

    [Fact]
    public void Idx_images_of_another_shape_than_described_are_an_error_naming_the_file()
    {
        var info = _tiny.Info with { Shape = [1, 28, 28], SourceFile = "datasets/tiny.yaml" };
        string directory = _tiny.WriteTo(_temp.Combine("data"));
        using var store = new DatasetStore(new DatasetStoreOptions { DataRoot = _temp.Combine("data"), SystemSearchDirectories = [], Datasets = [info], VerificationCachePath = null });

        var e = Assert.Throws<DataFormatException>(() => store.Load(SyntheticDataset.Name));

        Assert.Equal(Path.Combine(directory, "train-images-idx3-ubyte.gz"), e.FilePath);
        Assert.Contains("images of 1x4x3, but dataset 'tiny' is described with examples of [1, 28, 28] (datasets/tiny.yaml)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_cache_lives_in_the_user_cache_directory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");

        Assert.Equal(Path.Combine(root, "experiments", "verified-data.json"), DatasetStoreOptions.DefaultVerificationCachePath);
    }
}
