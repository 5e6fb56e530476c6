using System.Globalization;

namespace Experiments.Bench;

/// <summary>The command line of the benchmark.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        Generator benchmark: times the experiment generator at several numbers of YAML files.

          --sizes 10,100,1000      numbers of experiment files
          --repeat 5               measured runs of each in-process case (also cold processes)
          --warmup 3               unmeasured runs before the in-process cases
          --warmup-seconds 3       seconds of runs over every size first, so the JIT has optimised the generator
          --build-repeat 3         measured `dotnet build` runs of each build case (0 skips the builds)
          --update-benchmarks-md   write the results into BENCHMARKS.md at the repository root
          --note "text"            a sentence on the conditions (load) added to BENCHMARKS.md
          --repository path        the repository root (default: where the benchmark was built)
          --keep-temp              keep the temporary build projects
        """;

    public IReadOnlyList<int> Sizes { get; init; } = [10, 100, 1000];

    public int Repeat { get; init; } = 5;

    public int Warmup { get; init; } = 3;

    public int WarmupSeconds { get; init; } = 3;

    public int BuildRepeat { get; init; } = 3;

    public bool UpdateBenchmarksMarkdown { get; init; }

    public string? Note { get; init; }

    public string? RepositoryRoot { get; init; }

    public bool KeepTemp { get; init; }

    /// <summary>Internal: run once cold with this many files and print the times.</summary>
    public int? ColdChild { get; init; }

    /// <summary>The options, or null when help was asked for.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--sizes" => options with { Sizes = Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Integer).ToList() },
                "--repeat" => options with { Repeat = Integer(Value()) },
                "--warmup" => options with { Warmup = Integer(Value()) },
                "--warmup-seconds" => options with { WarmupSeconds = Integer(Value()) },
                "--build-repeat" => options with { BuildRepeat = Integer(Value()) },
                "--update-benchmarks-md" => options with { UpdateBenchmarksMarkdown = true },
                "--note" => options with { Note = Value() },
                "--repository" => options with { RepositoryRoot = Path.GetFullPath(Value()) },
                "--keep-temp" => options with { KeepTemp = true },
                "--cold-child" => options with { ColdChild = Integer(Value()) },
                "-h" or "--help" => null,
                _ => throw new ArgumentException($"Unknown option '{args[i]}'.\n\n{Usage}"),
            };
            if (options is null)
            {
                return null;
            }
        }

        if (options.Sizes.Count == 0 || options.Sizes.Any(s => s < 1) || options.Repeat < 1 || options.Warmup < 0 || options.WarmupSeconds < 0 || options.BuildRepeat < 0)
        {
            throw new ArgumentException("Sizes and --repeat must be at least 1; --warmup and --build-repeat at least 0.");
        }

        return options;
    }

    private static int Integer(string text) => int.Parse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
}
