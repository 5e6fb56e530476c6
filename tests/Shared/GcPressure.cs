namespace Experiments.Tests;

/// <summary>
/// A thread that allocates and collects garbage as fast as it can until disposed, so that garbage collections start
/// while the test's own thread is inside native TorchSharp calls: what a progress display or a parallel test does
/// now and then, done all the time. Code that lets TorchSharp's temporary Scalars be finalized while libtorch still
/// reads them fails under it within seconds (see Experiments.Torch.Scalars).
/// </summary>
internal sealed class GcPressure : IDisposable
{
    private readonly Thread thread;
    private volatile bool stopping;
    private long collections;

    public GcPressure()
    {
        thread = new Thread(Churn) { IsBackground = true, Name = "GcPressure" };
        thread.Start();
    }

    /// <summary>How many collections the thread has forced so far.</summary>
    public long Collections => Interlocked.Read(ref collections);

    /// <summary>Runs <paramref name="action"/> again and again under pressure for <paramref name="duration"/>; returns how many times it ran.</summary>
    public static long Repeat(TimeSpan duration, Action action)
    {
        using var pressure = new GcPressure();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long runs = 0;
        while (clock.Elapsed < duration)
        {
            action();
            runs++;
        }

        Assert.True(pressure.Collections > 0, "the pressure thread forced no garbage collection");
        return runs;
    }

    private void Churn()
    {
        var garbage = new List<byte[]>();
        while (!stopping)
        {
            for (var i = 0; i < 100; i++)
            {
                garbage.Add(new byte[1000]);
            }

            garbage.Clear();
            GC.Collect(0);
            Interlocked.Increment(ref collections);
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
    }
}
