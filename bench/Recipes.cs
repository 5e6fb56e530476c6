using Experiments.Generated;

namespace Experiments.Bench;

/// <summary>
/// The TorchSharp recipes the bench compares: the shipped experiments of <c>experiments/*.yaml</c> (generated into
/// <see cref="ExperimentCatalog"/>), so that the bench measures what <c>dotnet run --project runner -- all</c> runs.
/// </summary>
internal static class Recipes
{
    public static readonly string[] Names = ["seed-recipe", "best-linear", "best-deskewed"];

    /// <summary>The shipped experiment of that name, and the file it comes from.</summary>
    public static (IExperiment Experiment, string Source) Find(string name)
    {
        var shipped = ExperimentCatalog.All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"experiments/{name}.yaml is missing: the bench compares the shipped recipes");
        return (shipped, shipped.SourceFile);
    }
}
