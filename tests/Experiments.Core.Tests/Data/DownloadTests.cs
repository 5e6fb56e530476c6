using Experiments.Data;
using Experiments.Generated;

namespace Experiments.Core.Tests.Data;

public sealed class DownloadTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();
    private readonly SyntheticDataset _tiny = new();
    private readonly LogLines _log = new();
    private readonly TestHttpServer _server;

    // No proxy: the test server is on 127.0.0.1, and a proxy set in the environment must not intercept it.
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public DownloadTests()
    {
        _server = new TestHttpServer(Serve);
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _temp.Dispose();
    }

    private string DataRoot => _temp.Combine("data");

    private string TinyDirectory => Path.Combine(DataRoot, SyntheticDataset.Name);

    /// <summary>
    /// <c>/good/NAME.gz</c> serves the synthetic file; <c>/missing/</c> answers 404; <c>/corrupt/</c> serves gzip with
    /// damaged bytes; <c>/cutoff/</c> closes the connection halfway; <c>/shortgz/</c> serves a complete response of a
    /// truncated gzip file; <c>/other/</c> serves valid gzip of different content; <c>/html/</c> an HTML page;
    /// <c>/mnist/</c> the repository's real MNIST files.
    /// </summary>
    private TestResponse Serve(string path)
    {
        string[] parts = path.Trim('/').Split('/');
        if (parts.Length != 2 || !parts[1].EndsWith(".gz", StringComparison.Ordinal))
        {
            return TestResponse.NotFound();
        }

        string name = parts[1][..^3];
        if (parts[0] == "mnist")
        {
            string real = Path.Combine(RepositoryPaths.MnistDirectory, parts[1]);
            return File.Exists(real) ? TestResponse.Ok(File.ReadAllBytes(real)) : TestResponse.NotFound();
        }

        if (!_tiny.Contents.TryGetValue(name, out var content))
        {
            return TestResponse.NotFound();
        }

        var gzip = Idx.Gzip(content);
        switch (parts[0])
        {
            case "good":
                return TestResponse.Ok(gzip);
            case "corrupt":
                var corrupt = (byte[])gzip.Clone();
                for (int i = 12; i < corrupt.Length - 8; i++)
                {
                    corrupt[i] ^= 0x5A;
                }

                return TestResponse.Ok(corrupt);
            case "cutoff":
                return TestResponse.CutOff(gzip);
            case "shortgz":
                return TestResponse.Ok(gzip[..(gzip.Length / 2)]);
            case "other":
                return TestResponse.Ok(Idx.Gzip([.. content, 0]));
            case "stall":
                return TestResponse.Stalled(gzip);
            case "flaky":
                return _flakyStalls ? TestResponse.Stalled(gzip) : TestResponse.Ok(gzip);
            case "html":
                return TestResponse.Ok("<!DOCTYPE html><html>Access denied</html>"u8.ToArray());
            default:
                return TestResponse.NotFound();
        }
    }

    /// <summary>Whether <c>/flaky/</c> stalls (else it serves the synthetic files).</summary>
    private volatile bool _flakyStalls = true;

    private DatasetStore Store(params Uri[] mirrors) => Store(TimeSpan.FromSeconds(30), rememberFailures: false, mirrors);

    private DatasetStore Store(TimeSpan idleTimeout, bool rememberFailures, params Uri[] mirrors) => new(new DatasetStoreOptions
    {
        DownloadIdleTimeout = idleTimeout,
        RememberFailures = rememberFailures,
        DataRoot = DataRoot,
        HttpClient = _client,
        SystemSearchDirectories = [],
        AllowDownload = true,
        Mirrors = mirrors,
        Datasets = [_tiny.Info, DatasetCatalog.Mnist],
        VerificationCachePath = CachePath,
        Log = _log.Sink,
    });

    private string CachePath => _temp.Combine("cache.json");

    /// <summary>Whether the verification cache vouches for any file of the synthetic dataset.</summary>
    private bool CacheMentionsTiny() => File.Exists(CachePath) && File.ReadAllText(CachePath).Contains(TinyDirectory, StringComparison.Ordinal);

    private string[] FilesLeft() =>
        Directory.Exists(TinyDirectory) ? [.. Directory.GetFiles(TinyDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : [];

    private static readonly string[] AllFour =
    [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ];

    [Fact]
    public void Downloads_missing_files_verifies_them_and_trusts_them_afterwards()
    {
        using (var store = Store(_server.Mirror("good")))
        {
            var raw = store.Read(SyntheticDataset.Name);
            Assert.Equal(_tiny.Contents[IdxFileNames.TrainImages][16..], raw.TrainImages.Pixels);
        }

        Assert.Equal(AllFour, FilesLeft());
        Assert.Equal(4, _server.Requests.Count);
        Assert.Equal(4, _log.Count("SHA-256 verified) in"));

        // The download recorded the files as verified; they are neither fetched nor hashed again.
        Assert.Equal(4, _log.Count("verified earlier (verification cache)"));
        using (var again = Store(_server.Mirror("good")))
        {
            again.Read(SyntheticDataset.Name);
        }

        Assert.Equal(4, _server.Requests.Count);
        Assert.Equal(0, _log.Count(": SHA-256 verified"));
    }

    [Fact]
    public void Files_already_present_are_not_downloaded_again()
    {
        _tiny.WriteTo(DataRoot, gzip: false, only: [IdxFileNames.TrainImages, IdxFileNames.TestLabels]);
        using var store = Store(_server.Mirror("good"));

        var paths = store.Locate(SyntheticDataset.Name);

        Assert.Equal(["/good/train-labels-idx1-ubyte.gz", "/good/t10k-images-idx3-ubyte.gz"], _server.Requests);
        Assert.Equal(Path.Combine(TinyDirectory, IdxFileNames.TrainImages), paths.TrainImages);
        Assert.Equal(Path.Combine(TinyDirectory, "t10k-images-idx3-ubyte.gz"), paths.TestImages);
    }

    [Theory]
    [InlineData("missing", "HTTP 404 Not Found")]
    [InlineData("corrupt", "corrupt gzip data: decompression failed after")]
    [InlineData("cutoff", "response ended prematurely")]
    [InlineData("shortgz", "SHA-256 mismatch: the")]
    [InlineData("other", "SHA-256 mismatch: the")]
    [InlineData("html", "not gzip data (41 bytes starting with 3C21444F43545950452068746D6C3E3C)")]
    public void A_bad_mirror_is_skipped_for_the_next_one(string bad, string reason)
    {
        using var store = Store(_server.Mirror(bad), _server.Mirror("good"));

        var raw = store.Read(SyntheticDataset.Name);

        Assert.Equal(3, raw.ClassNames.Count);
        Assert.Equal(AllFour, FilesLeft());
        var failures = _log.Lines.Where(l => l.StartsWith($"download of {_server.Mirror(bad)}", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, failures.Count);
        Assert.All(failures, f => Assert.Contains(reason, f, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(8, _server.Requests.Count);
    }

    [Fact]
    public void When_every_mirror_fails_the_error_lists_each_failure_and_nothing_is_left_behind()
    {
        var refused = TestHttpServer.RefusingMirror();
        using var store = Store(_server.Mirror("missing"), _server.Mirror("corrupt"), _server.Mirror("cutoff"), _server.Mirror("shortgz"), refused);

        var e = Assert.Throws<DatasetDownloadException>(() => store.Read(SyntheticDataset.Name));

        Assert.Equal("train-images-idx3-ubyte.gz", e.FileName);
        Assert.Equal(5, e.Failures.Count);
        string file = "train-images-idx3-ubyte.gz";
        Assert.StartsWith($"{_server.Mirror("missing")}{file}: HTTP 404 Not Found", e.Failures[0], StringComparison.Ordinal);
        Assert.StartsWith($"{_server.Mirror("corrupt")}{file}: corrupt gzip data", e.Failures[1], StringComparison.Ordinal);
        Assert.StartsWith($"{_server.Mirror("cutoff")}{file}: ", e.Failures[2], StringComparison.Ordinal);
        Assert.Contains("ended prematurely", e.Failures[2], StringComparison.Ordinal);
        Assert.StartsWith($"{_server.Mirror("shortgz")}{file}: SHA-256 mismatch", e.Failures[3], StringComparison.Ordinal);
        Assert.StartsWith($"{refused}{file}: ", e.Failures[4], StringComparison.Ordinal);
        Assert.Contains("refused", e.Failures[4], StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith($"Cannot download tiny's train-images-idx3-ubyte.gz into {TinyDirectory}/: every mirror failed:", e.Message, StringComparison.Ordinal);
        foreach (string failure in e.Failures)
        {
            Assert.Contains("  " + failure, e.Message, StringComparison.Ordinal);
        }

        Assert.Empty(FilesLeft());
    }

    [Fact]
    public void A_stalled_mirror_is_given_up_after_the_idle_timeout_for_the_next_one()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var store = Store(TimeSpan.FromSeconds(1), rememberFailures: false, _server.Mirror("stall"), _server.Mirror("good"));

        var raw = store.Read(SyntheticDataset.Name);

        Assert.Equal(3, raw.ClassNames.Count);
        Assert.Equal(AllFour, FilesLeft());
        var failures = _log.Lines.Where(l => l.StartsWith($"download of {_server.Mirror("stall")}", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, failures.Count);
        Assert.All(failures, f => Assert.Contains(": no data for 1 s (10 bytes received; a stalled connection)", f, StringComparison.Ordinal));

        // Four stalls of a second each, not the HttpClient's 30 s or the 5 minutes of the whole-file timeout.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public void When_every_mirror_stalls_the_error_names_each_one_and_nothing_is_kept_or_cached()
    {
        using var store = Store(TimeSpan.FromSeconds(1), rememberFailures: false, _server.Mirror("stall"), _server.Mirror("flaky"));

        var e = Assert.Throws<DatasetDownloadException>(() => store.Read(SyntheticDataset.Name));

        Assert.Equal(
            [
                $"{_server.Mirror("stall")}train-images-idx3-ubyte.gz: no data for 1 s (10 bytes received; a stalled connection)",
                $"{_server.Mirror("flaky")}train-images-idx3-ubyte.gz: no data for 1 s (10 bytes received; a stalled connection)",
            ],
            e.Failures);
        Assert.Contains("every mirror failed", e.Message, StringComparison.Ordinal);
        Assert.Empty(FilesLeft());
        Assert.False(CacheMentionsTiny());
    }

    [Fact]
    public void A_stalled_download_is_cancelled_promptly_leaves_no_partial_file_and_is_not_remembered_as_a_failure()
    {
        // An idle timeout far beyond the test: only the cancellation can end the stalled download.
        using var store = Store(TimeSpan.FromMinutes(10), rememberFailures: true, _server.Mirror("flaky"));
        using var cancellation = new CancellationTokenSource();
        Exception? error = null;
        var load = new Thread(() =>
        {
            try
            {
                store.Load(SyntheticDataset.Name, cancellation.Token);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        load.Start();

        // The download is under way once its temporary file exists (after the response's headers).
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!Directory.Exists(TinyDirectory) || Directory.GetFiles(TinyDirectory, "*.download").Length == 0)
        {
            Assert.True(load.IsAlive, $"the load ended before its download stalled: {error}");
            Assert.True(DateTime.UtcNow < deadline, "the download never started");
            Thread.Sleep(20);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        cancellation.Cancel();
        Assert.True(load.Join(TimeSpan.FromSeconds(60)), "the cancelled download did not stop");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Empty(FilesLeft());
        Assert.False(CacheMentionsTiny());
        Assert.DoesNotContain(_log.Lines, l => l.StartsWith("download of", StringComparison.Ordinal)); // not a mirror's failure

        // A cancelled load is not a remembered failure: the next one downloads.
        _flakyStalls = false;
        Assert.Equal(3, store.Load(SyntheticDataset.Name).ClassNames.Count);
        Assert.Equal(AllFour, FilesLeft());
    }

    [Fact]
    public void Without_permission_to_download_nothing_is_fetched()
    {
        using var store = new DatasetStore(new DatasetStoreOptions
        {
            DataRoot = DataRoot,
            SystemSearchDirectories = [],
            Mirrors = [_server.Mirror("good")],
            Datasets = [_tiny.Info],
            VerificationCachePath = null,
        });

        Assert.Throws<DatasetNotFoundException>(() => store.Read(SyntheticDataset.Name));
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void Downloads_real_mnist_and_checks_it_against_the_known_table()
    {
        // The store's own HttpClient, unless a proxy in the environment could intercept requests to 127.0.0.1.
        bool proxied = new[] { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" }.Any(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));
        using var store = new DatasetStore(new DatasetStoreOptions
        {
            DataRoot = DataRoot,
            SystemSearchDirectories = [],
            AllowDownload = true,
            HttpClient = proxied ? _client : null,
            Mirrors = [_server.Mirror("missing"), _server.Mirror("mnist")],
            VerificationCachePath = _temp.Combine("cache.json"),
            Log = _log.Sink,
            Datasets = [DatasetCatalog.Mnist],
        });

        var raw = store.Read("mnist");

        Assert.Equal((60000, 10000), (raw.TrainImages.Count, raw.TestImages.Count));
        Assert.Equal(
            AllFour,
            Directory.GetFiles(Path.Combine(DataRoot, "mnist")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(4, _log.Count("verified earlier (verification cache)"));
    }
}
