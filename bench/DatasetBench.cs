using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Experiments.Data;
using SkiaSharp;
using static System.FormattableString;

namespace Experiments.Bench;

/// <summary>The shipped digits image folder, and the load-time benchmark of image datasets.</summary>
internal static class DatasetBench
{
    /// <summary>
    /// Writes <c>out/&lt;label&gt;/&lt;row index, 4 digits&gt;.png</c> for every row of data/digits/digits.csv.gz: 8x8
    /// grayscale PNG, pixel = round(v x 255 / 16) (half away from zero).
    /// </summary>
    public static int WriteDigitsImages(string repository, string output, TextWriter log)
    {
        string csv = Path.Combine(repository, "data", "digits", "digits.csv.gz");
        using var gzip = new GZipStream(File.OpenRead(csv), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        int row = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var cells = line.Split(',');
            if (cells.Length != 65)
            {
                throw new InvalidDataException($"{csv}: line {row + 1}: {cells.Length} columns, not 65");
            }

            var pixels = new byte[64];
            for (int i = 0; i < 64; i++)
            {
                double v = double.Parse(cells[i], CultureInfo.InvariantCulture);
                pixels[i] = (byte)Math.Round(v * 255 / 16, MidpointRounding.AwayFromZero);
            }

            string label = cells[64];
            WritePng(Path.Combine(output, label, row.ToString("0000", CultureInfo.InvariantCulture) + ".png"), pixels, 8, 8);
            row++;
        }

        log.WriteLine(Invariant($"{row} images written to {output}"));
        return row;
    }

    /// <summary>A grayscale PNG of <paramref name="pixels"/> (row-major), written with SkiaSharp.</summary>
    public static void WritePng(string path, byte[] pixels, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        pixels.AsSpan(0, width * height).CopyTo(bitmap.GetPixelSpan());
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>
    /// Writes (once) <paramref name="count"/> of MNIST's training images as 28x28 PNGs in class folders, then times
    /// the first load (decoding, cold cache), the load from the decoded cache (a new store each time, as a new
    /// process), and MNIST's IDX load.
    /// </summary>
    public static int MeasureLoad(string repository, int count, string? directory, int repetitions, TextWriter log)
    {
        string root = directory ?? Path.Combine(Path.GetTempPath(), Invariant($"experiments-bench-mnist-png-{count}"));
        string images = Path.Combine(root, "images");
        using (var idx = Program.OpenStore())
        {
            var mnist = idx.Read("mnist");
            if (!File.Exists(Path.Combine(root, "complete")))
            {
                var started = Stopwatch.StartNew();
                Parallel.For(0, count, i =>
                {
                    var pixels = mnist.TrainImages.Pixels.AsSpan(i * 784, 784).ToArray();
                    WritePng(Path.Combine(images, mnist.TrainLabels.Labels[i].ToString(CultureInfo.InvariantCulture), Invariant($"{i:00000}.png")), pixels, 28, 28);
                });
                File.WriteAllText(Path.Combine(root, "complete"), "");
                log.WriteLine(Invariant($"wrote {count} PNG files to {images} in {started.Elapsed.TotalSeconds:0.0} s"));
            }
        }

        var description = new DatasetDescription
        {
            Name = "mnist-png",
            Format = DatasetFormat.Images,
            Root = root,
            Shape = [1, 28, 28],
            ClassNames = [.. Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture))],
            Train = new("images"),
            TestFraction = 1.0 / 7,
            SplitSeed = 0,
        };
        string cache = Path.Combine(Path.GetTempPath(), "experiments-bench-decoded-cache-" + Guid.NewGuid().ToString("N")[..8]);
        DatasetStore Store(Action<string>? sink = null) => new(new DatasetStoreOptions
        {
            DataRoot = Path.Combine(repository, "data"),
            SystemSearchDirectories = [],
            Datasets = [description, .. Experiments.Generated.DatasetCatalog.All],
            DecodedCacheDirectory = cache,
            Log = sink,
        });

        // Each load's own peak RSS: the high-water mark is reset (after a full collection) just before it.
        bool resetRefused = false;
        Run Time(Action action)
        {
            resetRefused |= !PeakMemory.Reset();
            double before = PeakMemory.CurrentMegabytes();
            var watch = Stopwatch.StartNew();
            action();
            double seconds = watch.Elapsed.TotalSeconds;
            return new Run(seconds, PeakMemory.PeakMegabytes(), before);
        }

        var first = new List<Run>();
        var second = new List<Run>();
        var mnistLoads = new List<Run>();
        try
        {
            for (int r = 0; r < repetitions; r++)
            {
                if (Directory.Exists(cache))
                {
                    Directory.Delete(cache, recursive: true);
                }

                first.Add(Time(() =>
                {
                    using var store = Store(log.WriteLine);
                    store.Load("mnist-png");
                }));
                for (int k = 0; k < 3; k++)
                {
                    second.Add(Time(() =>
                    {
                        using var store = Store(r == 0 && k == 0 ? log.WriteLine : null);
                        store.Load("mnist-png");
                    }));
                }

                mnistLoads.Add(Time(() =>
                {
                    using var store = Store();
                    store.Load("mnist");
                }));
            }
        }
        finally
        {
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }

        log.WriteLine();
        log.WriteLine(Invariant($"{count} PNG images of 28x28 in {images}; {repetitions} repetitions (seconds):"));
        log.WriteLine();
        log.WriteLine("| load | median | min | max | runs | peak RSS MiB (median, max) | peak above the RSS before, MiB (median) |");
        log.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Row(log, "first load (decode, cold decoded cache)", first);
        Row(log, "second load (decoded cache, new store)", second);
        Row(log, "MNIST IDX (70,000 images, for comparison)", mnistLoads);
        log.WriteLine();
        log.WriteLine(resetRefused
            ? "peak RSS: /proc/self/clear_refs refused, so each peak includes the loads before it"
            : "peak RSS: VmHWM of the process during the load (reset through /proc/self/clear_refs before each), so it includes the runtime and TorchSharp");
        return 0;
    }

    private static void Row(TextWriter log, string name, List<Run> runs)
    {
        var sorted = runs.Select(r => r.Seconds).Order().ToList();
        var peaks = runs.Select(r => r.PeakMegabytes).Order().ToList();
        var growth = runs.Select(r => r.PeakMegabytes - r.BeforeMegabytes).Order().ToList();
        log.WriteLine(Invariant($"| {name} | {Median(sorted):0.000} | {sorted[0]:0.000} | {sorted[^1]:0.000} | {sorted.Count} | {Median(peaks):0}, {peaks[^1]:0} | {Median(growth):0} |"));
    }

    /// <summary>One measured load: its time, the peak RSS during it and the RSS just before it.</summary>
    private sealed record Run(double Seconds, double PeakMegabytes, double BeforeMegabytes);

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
