using System.Diagnostics;
using System.Globalization;
using Experiments.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// Trains a classifier on an in-memory dataset and evaluates it on the test split (and on a validation split held out
/// of the training images, when the settings ask for one).
/// </summary>
/// <remarks>
/// <para>
/// Before the first epoch, <see cref="TrainingInputs"/> holds out the validation images, deskews and augments the rest
/// as asked, and keeps the model's float inputs as one contiguous tensor. Each epoch draws a fresh permutation from
/// a generator seeded with the experiment's seed and gathers each mini-batch's rows from that tensor. The initial
/// weights come from torch's global generator, seeded just before the model is created, so a run is repeatable for a
/// given seed.
/// </para>
/// <para>
/// A model whose <c>forward</c> is a single affine map (every generated model that returns logits) trains on the
/// fast path of <see cref="AffineGradient"/>; any other model through autograd. With SGD (momentum, Nesterov and
/// weight decay included) the fast path updates the weights inside its backward pass (<see cref="AffineSgd"/>);
/// otherwise the gradients go to the TorchSharp optimizer (Adam, L-BFGS, and every autograd model). A NaN or
/// infinite training loss ends training with <see cref="ExperimentStatus.Diverged"/>.
/// </para>
/// <para>
/// The epochs themselves are <see cref="TrainingLoop"/>'s: after each it writes the training state into the
/// experiment's folder, and it can start from such a state (<see cref="Checkpoints.CheckpointOptions.ResumeFrom"/>),
/// the final weights then the same, bit for bit, as those of an uninterrupted training. A state it cannot go on from
/// is named in <see cref="ExperimentResult.ResumeError"/>, and the training starts from the first epoch instead.
/// The trainer leaves the last state in place whatever the outcome: the host removes it once it has recorded a
/// result that makes it useless (<see cref="Checkpoints.TrainingStateFile.IsSpentBy"/>), so that a result that
/// cannot be recorded loses nothing.
/// </para>
/// </remarks>
public static class Trainer
{
    /// <summary>Guards torch's global generator: seeding it and building a model, or saving and restoring its state.</summary>
    internal static readonly Lock SeedLock = new();

    /// <summary>From this many epochs on, converting the training pixels to floats once pays (see <see cref="TrainingInputs"/>).</summary>
    private const int FloatCacheEpochs = 10;

    /// <summary>
    /// Trains and evaluates <paramref name="experiment"/>. Throws when the experiment does not fit the dataset or
    /// training fails; <see cref="Running.ExperimentSession"/> turns that into a failed result.
    /// </summary>
    public static ExperimentResult Run(IExperiment experiment, ExperimentContext context)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(context);
        var settings = experiment.Settings;
        settings.Validate();
        CheckCompatible(experiment, context.Data);
        var device = ResolveDevice(settings.Device);

        var preprocessClock = Stopwatch.StartNew();
        var cacheFloats = settings.Optimizer == OptimizerKind.Lbfgs || settings.Epochs >= FloatCacheEpochs;
        using var inputs = TrainingInputs.Prepare(context.Data, settings, cacheFloats);
        var preprocessSeconds = preprocessClock.Elapsed.TotalSeconds;

        // The test features before training: the learning curves measure them after every epoch, and the final
        // evaluation measures them once more.
        var evaluationClock = Stopwatch.StartNew();
        using var testFeatures = inputs.TransformImages(context.Data.Test.Inputs);
        evaluationClock.Stop();

        var trainClock = Stopwatch.StartNew();
        var (startedModel, startedLoop, resumeError) = Start(experiment, context, inputs, device, testFeatures, trainClock);
        using var model = startedModel;
        using var loop = startedLoop;
        var evaluationChunk = Evaluator.ChunkSizeFor(model);
        loop.Train();
        var epochs = loop.Epochs;
        var divergence = loop.Divergence;

        // A resumed training's time is that of every run that trained it: the earlier ones' up to the saved epoch, then this one's.
        var trainSeconds = loop.EarlierTrainSeconds + trainClock.Elapsed.TotalSeconds;
        evaluationClock.Start();
        var test = divergence is null ? Evaluator.Evaluate(model, testFeatures, context.Data.Test.Labels, settings.NumClasses, evaluationChunk) : null;
        if (test is not null && !double.IsFinite(test.Loss))
        {
            // Finite weights so large that the logits overflow: as diverged as a NaN loss.
            divergence = string.Create(CultureInfo.InvariantCulture, $"test loss not finite after epoch {epochs.Count} (the weights blew up)");
        }

        // What every outcome reports; a diverged run has nothing more (no model worth evaluating).
        var trained = new ExperimentResult
        {
            Experiment = experiment.Name,
            Dataset = experiment.Dataset,
            ClassNames = context.Data.ClassNames,
            Status = divergence is null ? ExperimentStatus.Completed : ExperimentStatus.Diverged,
            Hyperparameters = settings.ToNamedValues(),
            Epochs = epochs,
            TrainSeconds = trainSeconds,
            PreprocessSeconds = preprocessSeconds,
            DivergenceReason = divergence,
            Model = Summarize(experiment, model), // the architecture, diverged or not
            ResumedFromEpoch = loop.ResumedFromEpoch,
            ResumeError = resumeError,
            TrainingStateError = loop.StateError,
        };
        if (divergence is not null)
        {
            return trained;
        }

        var finalValidation = inputs.ValidationFeatures is { } features
            ? Evaluator.Evaluate(model, features, inputs.ValidationLabels!, settings.NumClasses, evaluationChunk)
            : null;
        var evaluationSeconds = evaluationClock.Elapsed.TotalSeconds;
        // Weight templates (one row per class over the pixels) exist only for one linear layer; a deeper model's first
        // matrix (fc1 [256, 784], or a CNN's [120, 400]) is not one.
        var weights = loop.IsLinear ? ModelWeights.Capture(model) : null;
        var state = Models.ModelState.Capture(model);
        var completed = trained with
        {
            Test = test!,
            Validation = finalValidation,
            EvaluationSeconds = evaluationSeconds,
            Weights = weights,
            State = state,
            BestEpoch = loop.BestEpoch,
            StoppedEarly = loop.StoppedEarly,
            Inputs = inputs.Transform(context.Data.ExampleShape),
        };
        return TrainedCheckpoint.Save(experiment, context, model, completed);
    }

    /// <summary>
    /// The model and its training loop, ready for the first epoch, or for the one after the state of
    /// <see cref="Checkpoints.CheckpointOptions.ResumeFrom"/>. A state that cannot be gone on from (gone, damaged, of
    /// another training, or one whose tensors do not fit the model) does not fail the experiment: by then the restore
    /// may have overwritten the optimizer and part of the model, so both are built again, and the training starts
    /// from the first epoch; the returned error says why (the state itself is left as it is).
    /// </summary>
    private static (nn.Module<Tensor, Tensor> Model, TrainingLoop Loop, string? ResumeError) Start(
        IExperiment experiment, ExperimentContext context, TrainingInputs inputs, Device? device, Tensor testFeatures, Stopwatch trainClock)
    {
        var (model, loop) = Build(experiment, context, inputs, device, testFeatures, trainClock);
        if (context.Checkpoints?.ResumeFrom is not { } directory)
        {
            return (model, loop, null);
        }

        try
        {
            loop.Resume(directory);
            return (model, loop, null);
        }
        catch (DataFormatException exception)
        {
            loop.Dispose();
            model.Dispose();
            var (fresh, freshLoop) = Build(experiment, context, inputs, device, testFeatures, trainClock);
            trainClock.Restart(); // the attempt was not training
            return (fresh, freshLoop, $"{exception.Message}; so it trained from the first epoch");
        }
    }

    /// <summary>A seeded model on its device, its dropout layers seeded, and its training loop for the first epoch.</summary>
    private static (nn.Module<Tensor, Tensor> Model, TrainingLoop Loop) Build(
        IExperiment experiment, ExperimentContext context, TrainingInputs inputs, Device? device, Tensor testFeatures, Stopwatch trainClock)
    {
        var settings = experiment.Settings;
        var model = CreateSeededModel(experiment);
        try
        {
            if (device is not null)
            {
                model.to(device);
            }

            Models.Dropout.SeedAll(model, settings.Seed, device);
            var curves = context.MeasureTestCurves
                ? new LearningCurves(testFeatures, context.Data.Test.Labels, settings.NumClasses, Evaluator.ChunkSizeFor(model))
                : null;
            return (model, new TrainingLoop(experiment, context, model, inputs, device, trainClock, curves));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The device of <paramref name="kind"/>, or null for the CPU (where tensors already are: nothing moves). CUDA
    /// without a CUDA backend in the process is an error before anything trains.
    /// </summary>
    internal static Device? ResolveDevice(ComputeDevice kind)
    {
        switch (kind)
        {
            case ComputeDevice.Cpu:
                return null;
            case ComputeDevice.Cuda:
                if (!cuda.is_available())
                {
                    throw new ArgumentException(
                        "device 'cuda' needs TorchSharp's CUDA build (the TorchSharp-cuda-linux or TorchSharp-cuda-windows package instead of " +
                        "TorchSharp-cpu) and an NVIDIA GPU with its driver; this process has only the CPU backend (torch.cuda.is_available() is false). " +
                        "Use 'device: cpu', or reference the CUDA package.");
                }

                return CUDA;
            default:
                throw new NotSupportedException($"device {kind} is not supported");
        }
    }

    /// <summary>
    /// The architecture the result reports: <see cref="IExperiment.Architecture"/>, measured from the model when the
    /// build could not know it (a user module, no layers, or no parameter count).
    /// </summary>
    private static Models.ModelSummary Summarize(IExperiment experiment, nn.Module<Tensor, Tensor> model)
    {
        var declared = experiment.Architecture;
        if (declared.Kind != Models.ModelKind.Module && declared.Layers.Count > 0 && declared.ParameterCount >= 0)
        {
            return declared;
        }

        var inputShape = declared.InputShape.Count > 0 ? declared.InputShape : [experiment.Settings.InputSize];
        var measured = Models.ModelSummary.Measure(model, inputShape, declared.Kind, string.IsNullOrEmpty(declared.Architecture) ? null : declared.Architecture);
        return measured;
    }

    /// <summary>
    /// Seeds torch's global generator, then builds the model, so its initial weights depend only on the seed. The
    /// two happen under one lock, so that trainers on other threads (tests run in parallel) cannot draw from the
    /// generator in between.
    /// </summary>
    private static nn.Module<Tensor, Tensor> CreateSeededModel(IExperiment experiment)
    {
        lock (SeedLock)
        {
            random.manual_seed(experiment.Settings.Seed);
            return experiment.CreateModel();
        }
    }

    private static void CheckCompatible(IExperiment experiment, Dataset data)
    {
        var settings = experiment.Settings;
        if (!string.Equals(data.Name, experiment.Dataset, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' trains on '{experiment.Dataset}', but was given '{data.Name}'");
        }

        var features = data.Train.Features;
        if (settings.InputSize != features)
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' has inputSize {settings.InputSize}, but '{data.Name}' examples have {features} values");
        }

        if (settings.NumClasses != data.NumClasses)
        {
            throw new ArgumentException($"Experiment '{experiment.Name}' has numClasses {settings.NumClasses}, but '{data.Name}' has {data.NumClasses} classes");
        }
    }
}
