using System.Buffers.Binary;
using System.Text.Json;
using Experiments.Data;
using Experiments.Generated;

namespace Experiments.Core.Tests.Data;

public sealed class DecodedCacheTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly LogLines _log = new();
    private readonly DatasetDescription _pics = Fixtures.Images("pics", ["a", "b"], 2, 2);

    public DecodedCacheTests()
    {
        for (int i = 0; i < 8; i++)
        {
            Fixtures.Gray(Image(i), 2, 2, i * 10);
        }
    }

    public void Dispose() => _temp.Dispose();

    private string Cache => _temp.Combine("cache");

    private string Image(int i) => _temp.Combine("data", "pics", "train", i % 2 == 0 ? "a" : "b", $"{i}.png");

    private DatasetStore Store(string? cache = "default", DatasetDescription? d = null) => new(new DatasetStoreOptions
    {
        DataRoot = _temp.Combine("data"),
        SystemSearchDirectories = [],
        Datasets = [d ?? _pics, .. DatasetCatalog.All],
        VerificationCachePath = null,
        DecodedCacheDirectory = cache == "default" ? Cache : cache,
        Log = _log.Sink,
    });

    private string CacheFile => Directory.GetFiles(Cache, "*.safetensors").Single();

    /// <summary>Loads the dataset; its pixels (train then test, as hex) and its content key.</summary>
    private (string Pixels, string Key) Load(DatasetStore store)
    {
        var data = store.Load("pics");
        return (Convert.ToHexString([.. Fixtures.Bytes(data.Train.Inputs), .. Fixtures.Bytes(data.Test.Inputs)]), data.ContentKey);
    }

    [Fact]
    public void The_second_load_reads_the_cache_without_decoding_the_sources()
    {
        using (var first = Store())
        {
            Load(first);
        }

        Assert.Equal(1, _log.Count("decoded in"));

        // A changed pixel with the same size and last-write time: the cache trusts the stamps, proving it did not decode.
        var before = Load(Store());
        string path = Image(3);
        var stamp = File.GetLastWriteTimeUtc(path);
        long size = new FileInfo(path).Length;
        Fixtures.Gray(path, 2, 2, 99);
        Assert.Equal(size, new FileInfo(path).Length);
        File.SetLastWriteTimeUtc(path, stamp);
        using (var second = Store())
        {
            Assert.Equal(before, Load(second));
        }

        Assert.Equal(2, _log.Count("read from the decoded cache in"));
        Assert.Equal(1, _log.Count("decoded in"));

        File.Delete(CacheFile);
        using (var third = Store())
        {
            Assert.NotEqual(before, Load(third)); // decoded again: now the change shows
        }

        Assert.Equal(2, _log.Count("decoded in"));
    }

    [Fact]
    public void A_changed_image_gives_a_new_key_and_new_data_and_a_touch_only_a_rehash()
    {
        var (firstData, firstKey) = Load(Store());
        string oldCache = CacheFile;

        File.SetLastWriteTimeUtc(Image(2), DateTime.UtcNow.AddMinutes(1)); // touched, not changed
        var touched = Load(Store());
        Assert.Equal((firstData, firstKey), touched);
        Assert.Equal(1, _log.Count("(sources rehashed: their stamps changed but not their content)"));
        Assert.Equal(1, _log.Count("decoded in"));
        using (var peek = Store())
        {
            Assert.Equal(firstKey, peek.PeekContentKey("pics")); // the index was updated
        }

        Fixtures.Gray(Image(2), 2, 2, 123);
        File.SetLastWriteTimeUtc(Image(2), DateTime.UtcNow.AddMinutes(2));
        var (changedData, changedKey) = Load(Store());
        Assert.NotEqual(firstKey, changedKey);
        Assert.NotEqual(firstData, changedData);
        Assert.Equal(2, _log.Count("decoded in"));
        Assert.False(File.Exists(oldCache)); // the stale copy is removed
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void A_corrupt_cache_file_is_deleted_and_the_dataset_decoded_again(string how)
    {
        var first = Load(Store());
        var content = File.ReadAllBytes(CacheFile);
        File.WriteAllBytes(CacheFile, how switch
        {
            "truncated" => content[..^5],
            "garbage" => [.. BitConverter.GetBytes(40L), .. "{ not json at all, not at all! }       "u8.ToArray(), .. content[48..]],
            _ => [],
        });

        var second = Load(Store());

        Assert.Equal(first, second);
        Assert.Equal(1, _log.Count("the decoded cache file is unusable"));
        Assert.Equal(2, _log.Count("decoded in"));
        Assert.Equal(content, File.ReadAllBytes(CacheFile)); // written again, as before
    }

    [Fact]
    public void The_cache_file_is_in_the_safetensors_layout()
    {
        using var store = Store();
        var data = store.Load("pics");

        var bytes = File.ReadAllBytes(CacheFile);
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)length));
        var root = header.RootElement;
        Assert.Equal(data.ContentKey, root.GetProperty("__metadata__").GetProperty("content_key").GetString());
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        var inputs = root.GetProperty("train.inputs");
        Assert.Equal("U8", inputs.GetProperty("dtype").GetString());
        Assert.Equal([data.Train.Count, 1, 2, 2], inputs.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        int begin = inputs.GetProperty("data_offsets")[0].GetInt32(), end = inputs.GetProperty("data_offsets")[1].GetInt32();
        Assert.Equal(Fixtures.Bytes(data.Train.Inputs), bytes[(int)(8 + length + begin)..(int)(8 + length + end)]);
        var labels = root.GetProperty("test.labels");
        Assert.Equal("I64", labels.GetProperty("dtype").GetString());
        int at = (int)(8 + length + labels.GetProperty("data_offsets")[0].GetInt32());
        Assert.Equal(Fixtures.Longs(data.Test.Labels), Enumerable.Range(0, data.Test.Count).Select(i => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + (8 * i)))));
        Assert.Equal(4, root.EnumerateObject().Count(p => p.Name != "__metadata__"));
    }

    [Fact]
    public void PeekContentKey_is_null_before_a_load_and_the_content_key_after()
    {
        using (var before = Store())
        {
            Assert.Null(before.PeekContentKey("pics"));
            Assert.False(before.IsVerified("pics"));
            var data = before.Load("pics");
            Assert.Equal(data.ContentKey, before.PeekContentKey("pics"));
            Assert.True(before.IsVerified("pics"));
        }

        string key = Load(Store()).Key;
        using (var fresh = Store())
        {
            Assert.Equal(key, fresh.PeekContentKey("pics")); // from the stamp index, nothing loaded
            Assert.True(fresh.IsVerified("pics"));
        }

        File.SetLastWriteTimeUtc(Image(0), DateTime.UtcNow.AddHours(1));
        using var changed = Store();
        Assert.Null(changed.PeekContentKey("pics"));
        Assert.False(changed.IsVerified("pics"));
    }

    [Fact]
    public void Without_a_cache_the_content_key_is_the_same_and_nothing_is_written()
    {
        string cached = Load(Store()).Key;
        using var store = Store(cache: null);

        Assert.Equal(cached, store.Load("pics").ContentKey);
        Assert.Equal(1, _log.Count("(not cached: no decoded cache directory)"));
        Assert.Single(Directory.GetFiles(Cache, "*.safetensors"));
        using var fresh = Store(cache: null);
        Assert.Null(fresh.PeekContentKey("pics"));
    }

    [Fact]
    public void The_content_key_depends_on_the_decoding_fields_not_the_name()
    {
        string key = Load(Store()).Key;
        using var renamed = Store(d: _pics with { Name = "pics2" });
        using var reseeded = Store(d: _pics with { SplitSeed = 8 });

        Assert.Equal(key, renamed.Load("pics2").ContentKey);
        Assert.NotEqual(key, reseeded.Load("pics").ContentKey);
    }

    [Fact]
    public void Idx_peek_needs_every_checksum_and_roots_may_differ_from_the_name_or_be_absolute()
    {
        using var store = Store();
        Assert.Equal(Experiments.History.RunCacheKey.DatasetKey(DatasetCatalog.Mnist), store.PeekContentKey("mnist"));

        var tiny = new SyntheticDataset();
        string absolute = _temp.Combine("elsewhere");
        tiny.WriteTo(absolute);
        var unchecked_ = tiny.Info with
        {
            Name = "tiny-abs",
            Root = Path.Combine(absolute, SyntheticDataset.Name),
            Sha256 = new Dictionary<string, string>(tiny.Info.Sha256.Where(s => s.Key != IdxFileNames.TestLabels)),
        };
        using var idx = Store(d: unchecked_);
        Assert.Null(idx.PeekContentKey("tiny-abs"));
        var data = idx.Load("tiny-abs");
        Assert.Equal(5, data.Train.Count);
        Assert.Equal(3, _log.Count("SHA-256 verified")); // the file without an entry is not verified

        tiny.WriteTo(_temp.Combine("data"));
        using var rooted = Store(d: tiny.Info with { Name = "other-name" });
        Assert.Equal(2, rooted.Load("other-name").Test.Count);
    }
}
