using System.Globalization;

namespace Experiments.Bench;

/// <summary>One synthetic experiment file and how many experiments it expands to.</summary>
internal sealed record ExperimentFile(string FileName, string Content, int Experiments);

/// <summary>
/// Writes a folder's worth of valid experiment files that exercise the whole generator: most files set every key,
/// a quarter extend <c>e0000.yaml</c> (some through <c>e0001.yaml</c>, a chain of two), and about one in six sweep
/// <c>learningRate</c> (some also <c>batchSize</c>). Values vary from file to file.
/// </summary>
internal static class ExperimentFiles
{
    public static IReadOnlyList<ExperimentFile> Create(int count) =>
        Enumerable.Range(0, count).Select(i => Create(i, variant: 0)).ToList();

    public static string FileName(int index) => "e" + index.ToString("D4", CultureInfo.InvariantCulture) + ".yaml";

    /// <summary>A file that no other file extends, to edit in the incremental runs.</summary>
    public static int LeafIndex(int count) => count >= 4 ? (count / 2) | 2 : count - 1;

    /// <summary>The file at <paramref name="index"/>; another <paramref name="variant"/> changes its epochs and description, not its experiments.</summary>
    public static ExperimentFile Create(int index, int variant)
    {
        var lines = new List<string>
        {
            "# Synthetic experiment written by bench/GeneratorBench.",
            $"description: Synthetic experiment {Text(index)} (variant {Text(variant)})",
        };
        var epochs = Text(1 + ((index + variant) % 20));
        var learningRate = (((index % 50) + 1) / 1000m).ToString(CultureInfo.InvariantCulture);
        var batchSize = Text(50 * (1 + (index % 4)));
        int experiments;

        if (index > 0 && index % 8 == 1)
        {
            // Inherits everything but its own epochs and seed.
            lines.Add("extends: e0000.yaml");
            lines.Add("epochs: " + epochs);
            lines.Add("seed: " + Text(index));
            experiments = 1;
        }
        else if (index > 1 && index % 8 == 5)
        {
            // A chain (e0001 extends e0000) and a sweep.
            lines.Add("extends: e0001.yaml");
            lines.Add("seed: " + Text(index));
            lines.Add("sweep:");
            lines.Add("  learningRate: [0.01, 0.1]");
            experiments = 2;
        }
        else
        {
            lines.Add("dataset: mnist");
            lines.Add("inputSize: 784");
            lines.Add("numClasses: 10");
            lines.Add("epochs: " + epochs);
            if (index % 20 == 7)
            {
                lines.Add("sweep:");
                lines.Add("  batchSize: [50, 100]");
                lines.Add("  learningRate: [0.01, 0.1]");
                experiments = 4;
            }
            else if (index % 10 == 3)
            {
                lines.Add("batchSize: " + batchSize);
                lines.Add("sweep:");
                lines.Add("  learningRate: [0.01, 0.1]");
                experiments = 2;
            }
            else
            {
                lines.Add("batchSize: " + batchSize);
                lines.Add("learningRate: " + learningRate);
                experiments = 1;
            }

            if (index % 3 == 0)
            {
                lines.Add("optimizer: momentum");
                lines.Add("momentum: " + (0.5m + ((index % 5) / 10m)).ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                lines.Add("optimizer: sgd");
            }

            lines.Add("seed: " + Text(index));
        }

        return new ExperimentFile(FileName(index), string.Join("\n", lines) + "\n", experiments);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
