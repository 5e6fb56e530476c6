using System.Globalization;

namespace Experiments.Hosting;

/// <summary>
/// The command line of a <c>worker</c> (docs/scale-out.md): what a <c>--parallel</c> coordinator starts, and what a
/// Slurm script or a Kubernetes manifest runs.
/// </summary>
/// <param name="RunKey">The run's key: the worker creates the run of <paramref name="Experiments"/> under it unless it exists.</param>
/// <param name="Experiments">The experiments' names, in catalog order.</param>
internal sealed record WorkerArguments(string RunKey, IReadOnlyList<string> Experiments)
{
    /// <summary><c>--store</c>: the store's connection; null to leave it to <c>EXPERIMENTS_STORE</c> (or the results folder's SQLite file).</summary>
    public string? Store { get; init; }

    /// <summary><c>--results</c>, absolute; null for the project's default.</summary>
    public string? Results { get; init; }

    /// <summary><c>--data-root</c>, absolute; null for the project's default.</summary>
    public string? DataRoot { get; init; }

    public int Threads { get; init; } = 1;

    public bool Force { get; init; }

    public bool Download { get; init; }

    /// <summary>The shortest <c>--lease</c> a worker (and <c>submit</c>, which passes it on) takes: it is renewed every third of it.</summary>
    public const int MinimumLeaseSeconds = 3;

    /// <summary><c>--lease</c> in seconds.</summary>
    public int LeaseSeconds { get; init; } = 60;

    /// <summary><c>--name</c>; null: from the scheduler's environment, else host and pid.</summary>
    public string? Name { get; init; }

    /// <summary>The arguments after the program: <c>worker --run-key KEY ... -- NAMES</c>.</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var arguments = new List<string> { "worker", "--run-key", RunKey };
        void Add(string option, string? value)
        {
            if (value is not null)
            {
                arguments.Add(option);
                arguments.Add(value);
            }
        }

        Add("--store", Store);
        Add("--results", Results);
        Add("--data-root", DataRoot);
        Add("--threads", Threads.ToString(CultureInfo.InvariantCulture));
        Add("--lease", LeaseSeconds.ToString(CultureInfo.InvariantCulture));
        Add("--name", Name);
        if (Force)
        {
            arguments.Add("--force");
        }

        if (Download)
        {
            arguments.Add("--download");
        }

        arguments.AddRange(Experiments);
        return arguments;
    }
}
