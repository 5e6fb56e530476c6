using Experiments.History;

namespace Experiments.Core.Tests.History;

/// <summary>Results and run descriptions for store tests, without training anything.</summary>
internal static class StoreSamples
{
    public static RunInfo Info(string commandLine = "experiments all") => new()
    {
        CommandLine = commandLine,
        GitCommit = "0123456789abcdef0123456789abcdef01234567",
        GitDirty = true,
        Machine = "test-machine (2 cores, x64)",
        OperatingSystem = "Linux",
        DotnetVersion = ".NET 10.0.0",
        TorchSharpVersion = "0.107.0",
    };

    public static ExperimentResult Completed(string name, double accuracy, double learningRate = 0.001, long seed = 0) => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = ExperimentStatus.Completed,
        Hyperparameters = (new ExperimentSettings { InputSize = 4, NumClasses = 2, Epochs = 2, BatchSize = 100, LearningRate = learningRate, Seed = seed }).ToNamedValues(),
        Epochs = [new EpochMetrics(1, 1.5, 0.25) { TestLoss = 1.25, TestAccuracy = accuracy - 5 }, new EpochMetrics(2, double.NaN, 0.5) { TestLoss = 1.0, TestAccuracy = accuracy }],
        Test = Evaluation(accuracy),
        Validation = Evaluation(accuracy + 1),
        TrainSeconds = 0.75,
        EvaluationSeconds = 0.01,
        Weights = new ModelWeights(2, 4, [0.5f, -0.25f, 1e-7f, float.MaxValue, -1, 0, 2, 3]),
    };

    public static Evaluation Evaluation(double accuracy) => new()
    {
        Accuracy = accuracy,
        Loss = 0.5,
        PerClassAccuracy = [100, double.NaN],
        ConfusionMatrix = [[3, 0], [1, 0]],
        Count = 10_000,
    };

    public static ExperimentResult Failed(string name, string error = "data missing") => new()
    {
        Experiment = name,
        Dataset = "mnist",
        Status = ExperimentStatus.Failed,
        Hyperparameters = [],
        Error = error,
        TrainSeconds = 0.1,
    };
}
