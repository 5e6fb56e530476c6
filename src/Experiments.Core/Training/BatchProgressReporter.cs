using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Experiments.Training;

/// <summary>
/// Sends <see cref="BatchReport"/>s to the host at most every <see cref="Interval"/>: a step checks the time stamp (a
/// few nanoseconds) and reports only when it is due, with the training clock stopped around the callback so that the
/// host's display is not training time.
/// </summary>
public sealed class BatchProgressReporter
{
    /// <summary>The least time between two reports.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private static readonly long IntervalTicks = (long)(Interval.TotalSeconds * Stopwatch.Frequency);

    private readonly IProgress<BatchReport> progress;
    private readonly Stopwatch trainClock;
    private readonly int totalEpochs;
    private int epoch;
    private int totalBatches;
    private long epochImages;
    private long epochStart;
    private long excluded; // ticks of this epoch spent in callbacks
    private long nextReport;

    /// <param name="progress">Where the reports go.</param>
    /// <param name="trainClock">The training clock to stop around each report (it may be stopped already).</param>
    /// <param name="totalEpochs">Epochs of the run.</param>
    public BatchProgressReporter(IProgress<BatchReport> progress, Stopwatch trainClock, int totalEpochs)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(trainClock);
        this.progress = progress;
        this.trainClock = trainClock;
        this.totalEpochs = totalEpochs;
    }

    /// <summary>Starts an epoch of <paramref name="batches"/> mini-batches over <paramref name="images"/> images.</summary>
    public void StartEpoch(int epochNumber, int batches, long images)
    {
        epoch = epochNumber;
        totalBatches = batches;
        epochImages = images;
        epochStart = Stopwatch.GetTimestamp();
        excluded = 0;
        nextReport = epochStart + IntervalTicks;
    }

    /// <summary>After a step: <paramref name="batches"/> mini-batches and <paramref name="images"/> images of this epoch done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AfterStep(int batches, long images)
    {
        var now = Stopwatch.GetTimestamp();
        if (now >= nextReport)
        {
            Report(batches, images, now);
        }
    }

    private void Report(int batches, long images, long now)
    {
        var running = trainClock.IsRunning;
        trainClock.Stop();
        var elapsed = (double)(now - epochStart - excluded) / Stopwatch.Frequency;
        progress.Report(new BatchReport(epoch, totalEpochs, batches, totalBatches, images, epochImages, elapsed));
        var after = Stopwatch.GetTimestamp();
        excluded += after - now;
        nextReport = after + IntervalTicks;
        if (running)
        {
            trainClock.Start();
        }
    }
}
