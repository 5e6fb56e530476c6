namespace Experiments.Data;

/// <summary>
/// The stratified test draw of a dataset with no test source (<see cref="DatasetDescription.TestFraction"/>,
/// <see cref="DatasetDescription.SplitSeed"/>). For each class in class-index order, its examples in source order
/// are shuffled by Fisher-Yates driven by one <see cref="SplitMix64"/> stream seeded with the split seed (shared by
/// all classes, consumed class after class), and the first <c>round(fraction x count)</c> of the shuffled examples
/// go to the test split, rounded half away from zero, then clamped to [1, count - 1] when the class has at least two
/// examples (so such a class is in both splits; a class of one example goes where the rounding puts it). Both
/// splits keep the source order. The draw depends only on the labels' sequence per class, the fraction and the
/// seed: the same seed gives the same split, and two sources holding the same examples in the same per-class order
/// (a CSV file and an image folder of the same data) get the same split.
/// </summary>
/// <remarks>
/// Hand-written rather than <see cref="Random"/>: <see cref="Random"/>'s seeded sequence and
/// <c>Random.Shuffle</c>'s algorithm are not guaranteed across .NET versions, and a dataset's split must never change
/// (the run cache and published results depend on it). SplitMix64 (Steele, Lea and Flood 2014) and Fisher-Yates are
/// a few lines each and fully specified here.
/// </remarks>
public static class StratifiedSplit
{
    /// <summary>Which examples go to the test split: <c>result[i]</c> is true for a test example.</summary>
    /// <param name="labels">Each example's class index, in source order.</param>
    /// <param name="classCount">The number of classes (labels are 0 to classCount - 1).</param>
    /// <param name="testFraction">The fraction of each class held out, in (0, 1).</param>
    /// <param name="seed">The split seed.</param>
    public static bool[] DrawTest(ReadOnlySpan<int> labels, int classCount, double testFraction, int seed)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "the test fraction must be in (0, 1)");
        }

        var byClass = new List<int>[classCount];
        for (int c = 0; c < classCount; c++)
        {
            byClass[c] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            byClass[labels[i]].Add(i);
        }

        var isTest = new bool[labels.Length];
        var random = new SplitMix64(unchecked((ulong)(long)seed));
        foreach (var members in byClass)
        {
            int count = members.Count;
            for (int i = count - 1; i > 0; i--)
            {
                int j = random.NextBelow(i + 1);
                (members[i], members[j]) = (members[j], members[i]);
            }

            int test = TestCount(count, testFraction);
            for (int k = 0; k < test; k++)
            {
                isTest[members[k]] = true;
            }
        }

        return isTest;
    }

    /// <summary>How many of a class's <paramref name="count"/> examples go to the test split.</summary>
    public static int TestCount(int count, double testFraction)
    {
        int test = (int)Math.Round(testFraction * count, MidpointRounding.AwayFromZero);
        return count >= 2 ? Math.Clamp(test, 1, count - 1) : test;
    }
}

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014): a 64-bit state
/// advanced by the golden-ratio increment 0x9E3779B97F4A7C15 and mixed by Stafford's variant 13. Deterministic on
/// every platform and .NET version.
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A number in [0, <paramref name="bound"/>): the high 64 bits of <c>Next() x bound</c> (Lemire's multiply-shift,
    /// without the rejection step: one draw per call, a bias below bound / 2^64).
    /// </summary>
    public int NextBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (int)(((UInt128)Next() * (ulong)bound) >> 64);
    }
}
