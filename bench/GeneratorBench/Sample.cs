using System.Globalization;

namespace Experiments.Bench;

/// <summary>Repeated measurements of one quantity (milliseconds or seconds).</summary>
internal sealed class Sample
{
    private readonly List<double> values = [];

    public IReadOnlyList<double> Values => values;

    public bool IsEmpty => values.Count == 0;

    public double Median
    {
        get
        {
            var sorted = values.Order().ToList();
            var middle = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    public double Min => values.Min();

    public void Add(double value) => values.Add(value);

    /// <summary>"median / min", e.g. <c>12.3 / 11.0</c>, or a dash when nothing was measured.</summary>
    public string Format(string format) => IsEmpty
        ? "-"
        : Median.ToString(format, CultureInfo.InvariantCulture) + " / " + Min.ToString(format, CultureInfo.InvariantCulture);
}
