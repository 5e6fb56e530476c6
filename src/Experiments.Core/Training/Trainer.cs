using System.Diagnostics;
using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Trains a classifier with mini-batch gradient descent on an in-memory dataset and evaluates it on the test split.
/// </summary>
/// <remarks>
/// The training pixels stay one contiguous uint8 tensor. Each epoch draws a fresh permutation from a generator
/// seeded with the experiment's seed, gathers the shuffled pixels once, and takes mini-batches as views of that
/// copy; pixels are scaled to [0, 1] per batch (as torchvision's ToTensor does). The initial weights come from
/// torch's global generator, seeded just before the model is created, so a run is repeatable for a given seed.
/// </remarks>
public static class Trainer
{
    /// <summary>
    /// Trains and evaluates <paramref name="experiment"/>. Throws when the experiment does not fit the dataset or
    /// training fails; <see cref="Running.ExperimentSession"/> turns that into a failed result.
    /// </summary>
    public static ExperimentResult Run(IExperiment experiment, ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(context);
        var settings = experiment.Settings;
        CheckCompatible(experiment, context.Data);

        var epochs = new List<EpochMetrics>(settings.Epochs);
        var trainClock = Stopwatch.StartNew();
        using var model = CreateSeededModel(experiment);
        using (var optimizer = CreateOptimizer(model, settings))
        using (var lossFunction = nn.CrossEntropyLoss())
        using (var shuffleGenerator = new Generator((ulong)settings.Seed))
        {
            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var epochClock = Stopwatch.StartNew();
                var trainLoss = TrainEpoch(model, optimizer, lossFunction, context.Data.Train, settings.BatchSize, shuffleGenerator, context.CancellationToken);
                epochs.Add(new EpochMetrics(epoch, trainLoss, epochClock.Elapsed.TotalSeconds));
                context.Progress?.Report(new EpochReport(epoch, settings.Epochs, trainLoss));
                context.EpochCompleted?.Invoke(model);
            }
        }

        var trainSeconds = trainClock.Elapsed.TotalSeconds;
        var evaluationClock = Stopwatch.StartNew();
        var test = Evaluator.Evaluate(model, context.Data.Test, settings.NumClasses);
        return new ExperimentResult
        {
            Experiment = experiment.Name,
            Dataset = experiment.Dataset,
            Status = ExperimentStatus.Completed,
            Hyperparameters = settings.ToNamedValues(),
            Epochs = epochs,
            Test = test,
            TrainSeconds = trainSeconds,
            EvaluationSeconds = evaluationClock.Elapsed.TotalSeconds,
            Weights = ModelWeights.Capture(model),
        };
    }

    /// <summary>Seeds torch's global generator, then builds the model, so its initial weights depend only on the seed.</summary>
    private static nn.Module<Tensor, Tensor> CreateSeededModel(IExperiment experiment)
    {
        random.manual_seed(experiment.Settings.Seed);
        return experiment.CreateModel();
    }

    private static optim.Optimizer CreateOptimizer(nn.Module<Tensor, Tensor> model, ExperimentSettings settings) => settings.Optimizer switch
    {
        OptimizerKind.Sgd or OptimizerKind.Momentum => optim.SGD(model.parameters(), settings.LearningRate, settings.Momentum),
        _ => throw new NotSupportedException($"Optimizer {settings.Optimizer} is not supported"),
    };

    /// <summary>One pass over the training split in shuffled mini-batches; returns the mean training loss.</summary>
    private static double TrainEpoch(
        nn.Module<Tensor, Tensor> model,
        optim.Optimizer optimizer,
        nn.Module<Tensor, Tensor, Tensor> lossFunction,
        ImageSplit train,
        int batchSize,
        Generator shuffleGenerator,
        CancellationToken cancellationToken)
    {
        model.train();
        var count = train.Count;
        using var epochScope = NewDisposeScope();
        var order = randperm(count, generator: shuffleGenerator);
        var images = train.Images.reshape(count, -1).index_select(0, order);
        var labels = train.Labels.index_select(0, order);
        var lossSum = zeros(1, dtype: ScalarType.Float64);
        for (var start = 0; start < count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            var inputs = images.narrow(0, start, length).to_type(ScalarType.Float32).div_(255f);
            var targets = labels.narrow(0, start, length);

            optimizer.zero_grad();
            var loss = lossFunction.forward(model.forward(inputs), targets);
            loss.backward();
            optimizer.step();
            using (no_grad())
            {
                lossSum.add_(loss.detach().to_type(ScalarType.Float64), alpha: length);
            }
        }

        return lossSum.item<double>() / count;
    }

    private static void CheckCompatible(IExperiment experiment, ImageDataset data)
    {
        var settings = experiment.Settings;
        if (!string.Equals(data.Name, experiment.Dataset, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' trains on '{experiment.Dataset}', but was given '{data.Name}'");
        }

        var pixels = data.Train.Rows * data.Train.Columns;
        if (settings.InputSize != pixels)
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' has inputSize {settings.InputSize}, but '{data.Name}' images have {pixels} pixels");
        }

        if (settings.NumClasses != data.NumClasses)
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' has numClasses {settings.NumClasses}, but '{data.Name}' has {data.NumClasses} classes");
        }
    }
}
