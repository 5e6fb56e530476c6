using Experiments.Generated;

namespace Experiments.Bench;

/// <summary>
/// The TorchSharp recipes the bench compares: the shipped experiments of <c>experiments/*.yaml</c> (generated into
/// <see cref="ExperimentCatalog"/>), so that the bench measures what <c>dotnet run --project runner -- all</c> runs.
/// </summary>
internal static class Recipes
{
    public static readonly string[] Names = ["seed-recipe", "best-linear", "best-deskewed"];

    /// <summary>
    /// The recipes chosen by the validation search (<c>dotnet run -c Release --project bench -- search</c>), used when
    /// <c>experiments/</c> does not hold the YAML file yet (the generator gains the keys in issue 3's work); the
    /// YAML text of docs/issue4-keys.md says the same.
    /// </summary>
    public static IReadOnlyDictionary<string, ExperimentSettings> BuiltIn { get; } = new Dictionary<string, ExperimentSettings>(StringComparer.Ordinal)
    {
        ["seed-recipe"] = new() { InputSize = 784, NumClasses = 10, Epochs = 5, BatchSize = 100, LearningRate = 0.001 },
        ["best-linear"] = new()
        {
            InputSize = 784,
            NumClasses = 10,
            Epochs = 15,
            BatchSize = 100,
            LearningRate = 0.1,
            Optimizer = OptimizerKind.Momentum,
            Momentum = 0.9,
            Nesterov = true,
            LrSchedule = LearningRateSchedule.Cosine,
        },
        ["best-deskewed"] = new()
        {
            InputSize = 784,
            NumClasses = 10,
            Epochs = 5,
            BatchSize = 100,
            LearningRate = 0.3,
            Optimizer = OptimizerKind.Momentum,
            Momentum = 0.9,
            Nesterov = true,
            WeightDecay = 1e-4,
            LrSchedule = LearningRateSchedule.Cosine,
            Deskew = true,
        },
    };

    /// <summary>The experiment of that name from the catalog, or the built-in recipe; and where it came from.</summary>
    public static (IExperiment Experiment, string Source) Find(string name)
    {
        var shipped = ExperimentCatalog.All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        if (shipped is not null)
        {
            return (shipped, shipped.SourceFile);
        }

        return (new LinearExperiment(name, BuiltIn[name]), "built-in (bench/Recipes.cs)");
    }
}
