using System.Text;
using Experiments.Data;

namespace Experiments.Core.Tests.Data;

public sealed class SplitTests : IDisposable
{
    private readonly TemporaryDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SplitMix64_gives_the_reference_sequence()
    {
        // The first outputs of SplitMix64 seeded with 0 (Vigna's reference implementation, splitmix64.c).
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.Next());
        Assert.Equal(0x06C45D188009454FUL, random.Next());
    }

    [Theory]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(7, 0.25, 2)] // 1.75
    [InlineData(2, 0.25, 1)] // 0.5 -> 1, and at most count - 1
    [InlineData(2, 0.9, 1)] // 1.8 -> 2, clamped to 1: the class stays in train too
    [InlineData(3, 0.1, 1)] // 0.3 -> 0, raised to 1: the class is in the test split too
    [InlineData(1, 0.25, 0)] // a single example goes where the rounding puts it
    [InlineData(1, 0.5, 1)]
    public void The_test_count_of_a_class_is_rounded_half_away_and_clamped(int count, double fraction, int test) =>
        Assert.Equal(test, StratifiedSplit.TestCount(count, fraction));

    [Fact]
    public void The_split_is_stratified_keeps_source_order_and_depends_on_the_seed()
    {
        // Classes of 10, 7, 2 and 1 rows, interleaved; the feature is the row number.
        int[] sizes = [10, 7, 2, 1];
        var labels = new List<int>();
        for (int round = 0; labels.Count < sizes.Sum(); round++)
        {
            for (int c = 0; c < sizes.Length; c++)
            {
                if (round < sizes[c])
                {
                    labels.Add(c);
                }
            }
        }

        var csv = new StringBuilder();
        for (int i = 0; i < labels.Count; i++)
        {
            csv.Append(i).Append(",c").Append(labels[i]).Append('\n');
        }

        Fixtures.Text(_temp.Combine("data", "split", "data.csv"), csv.ToString());
        var d = Fixtures.Csv("split", 1, ["c0", "c1", "c2", "c3"]);

        (float[] Train, float[] Test, long[] TestLabels) Load(int seed, string cache)
        {
            using var store = new DatasetStore(new DatasetStoreOptions
            {
                DataRoot = _temp.Combine("data"),
                SystemSearchDirectories = [],
                Datasets = [d with { SplitSeed = seed }],
                VerificationCachePath = null,
                DecodedCacheDirectory = _temp.Combine(cache),
            });
            var data = store.Load("split");
            return (Fixtures.Floats(data.Train.Inputs), Fixtures.Floats(data.Test.Inputs), Fixtures.Longs(data.Test.Labels));
        }

        var first = Load(3, "cache-a");
        Assert.Equal([3, 2, 1, 0], Enumerable.Range(0, 4).Select(c => first.TestLabels.Count(l => l == c)));
        Assert.Equal(first.Train.Order(), first.Train); // source order
        Assert.Equal(first.Test.Order(), first.Test);
        Assert.Equal(Enumerable.Range(0, labels.Count).Select(i => (float)i), first.Train.Concat(first.Test).Order());

        var again = Load(3, "cache-b"); // decoded again, not read from the first cache
        Assert.Equal(first.Test, again.Test);

        var other = Load(4, "cache-c");
        Assert.NotEqual(first.Test, other.Test);
        Assert.Equal(first.TestLabels.Order(), other.TestLabels.Order()); // same sizes per class
    }
}
