namespace Experiments.Runner.Tests;

public sealed class BatchProgressDisplayTests
{
    [Fact]
    public void Time_left_counts_the_rest_of_this_epoch_and_the_epochs_after_it_at_this_speed()
    {
        // Epoch 2 of 5, 20,000 of 60,000 images done in 10 s (2,000 img/s): 40,000 + 3 × 60,000 = 220,000 images left.
        var report = new BatchReport(Epoch: 2, TotalEpochs: 5, Batch: 200, TotalBatches: 600, Images: 20_000, EpochImages: 60_000, ElapsedSeconds: 10);

        Assert.Equal(2000, report.ImagesPerSecond);
        Assert.Equal("1:50", SpectreProgressHandler.BatchTimeLeft(report));
        Assert.Equal("1:01:20", SpectreProgressHandler.BatchTimeLeft(report with { TotalEpochs = 124 })); // 40,000 + 122 × 60,000 images: 3,680 s
        Assert.Equal("?", SpectreProgressHandler.BatchTimeLeft(report with { Images = 0, ElapsedSeconds = 0 }));
    }
}
