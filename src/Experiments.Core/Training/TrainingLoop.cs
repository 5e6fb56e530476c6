using System.Diagnostics;
using System.Globalization;
using Experiments.Checkpoints;
using Experiments.Data;
using Experiments.History;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// The epochs of one training: the optimizer, the shuffle generator, the fast paths and early stopping, epoch after
/// epoch until the last, divergence or early stopping; after every finished epoch, the training state that lets an
/// interrupted training go on from there (<see cref="TrainingStateFile"/>), and, when asked, the start from such a state.
/// </summary>
internal sealed class TrainingLoop : IDisposable
{
    private readonly IExperiment experiment;
    private readonly ExperimentContext context;
    private readonly ExperimentSettings settings;
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly TrainingInputs inputs;
    private readonly Device? device;
    private readonly Stopwatch trainClock;
    private readonly List<TorchSharp.Modules.Parameter> parameters;
    private readonly optim.Optimizer optimizer;
    private readonly Generator shuffleGenerator;
    private readonly BestWeights best;
    private readonly AffineGradient? affine;
    private readonly AffineSgd? fusedSgd;
    private readonly IGradientSource gradients;
    private readonly LearningRateScheduler scheduler;
    private readonly BatchProgressReporter? batchProgress;
    private readonly bool fullBatch;
    private readonly int stepsPerEpoch;
    private readonly int evaluationChunk;
    private readonly List<EpochMetrics> epochs;
    private readonly TrainingParts parts;
    private readonly RunCacheKey? key;
    private readonly LearningCurves? curves;
    private bool finished;

    /// <param name="experiment">What trains.</param>
    /// <param name="context">The host's dataset, progress, cancellation and checkpoint folder.</param>
    /// <param name="model">The model, seeded, on its device, its dropout layers seeded.</param>
    /// <param name="inputs">The prepared training (and validation) inputs.</param>
    /// <param name="device">The device, or null for the CPU.</param>
    /// <param name="trainClock">The training clock, running; stopped around what is not training (progress, learning curves, the state's writes).</param>
    /// <param name="curves">Measures the test loss and accuracy after each epoch, or null when they are not measured.</param>
    public TrainingLoop(IExperiment experiment, ExperimentContext context, nn.Module<Tensor, Tensor> model, TrainingInputs inputs, Device? device, Stopwatch trainClock, LearningCurves? curves)
    {
        this.experiment = experiment;
        this.context = context;
        settings = experiment.Settings;
        this.model = model;
        this.inputs = inputs;
        this.device = device;
        this.trainClock = trainClock;
        this.curves = curves;
        epochs = new List<EpochMetrics>(settings.Epochs);
        parameters = model.parameters().ToList();
        optimizer = OptimizerFactory.Create(parameters, settings);
        shuffleGenerator = new Generator((ulong)settings.Seed);
        best = new BestWeights(parameters, settings.EarlyStoppingPatience > 0);
        batchProgress = context.BatchProgress is { } progress ? new BatchProgressReporter(progress, trainClock, settings.Epochs) : null;

        // The fast path gathers its batches on the CPU; on another device the model trains through autograd.
        // Only one linear layer takes the fast path: a stack that is affine in evaluation (flatten, dropout, linear)
        // must still train through autograd, where its dropout runs.
        affine = device is null && IsOneLinearLayer(experiment, model) ? AffineGradient.TryCreate(model, settings.InputSize, settings.NumClasses) : null;
        IsLinear = affine is not null || experiment.Architecture.Kind == Models.ModelKind.Linear;
        gradients = affine is not null ? affine : new AutogradGradient(model, optimizer);
        // SGD on the affine fast path updates the weights inside its backward pass (see AffineSgd); one-cycle
        // cycles the momentum too, which only the optimizer does.
        fusedSgd = affine is not null && settings.Optimizer is (OptimizerKind.Sgd or OptimizerKind.Momentum) && settings.LrSchedule != LearningRateSchedule.OneCycle
            ? new AffineSgd(affine, settings.Momentum, settings.WeightDecay, settings.Nesterov)
            : null;
        fullBatch = settings.Optimizer == OptimizerKind.Lbfgs;
        stepsPerEpoch = fullBatch ? 1 : (inputs.Count + settings.BatchSize - 1) / settings.BatchSize;
        scheduler = new LearningRateScheduler(settings, optimizer, stepsPerEpoch);
        evaluationChunk = Evaluator.ChunkSizeFor(model);
        parts = new TrainingParts(model, optimizer, shuffleGenerator, Models.Dropout.AllIn(model), fusedSgd, best, GlobalGenerator: experiment.Architecture.Kind == Models.ModelKind.Module);
        key = RunCacheKey.For(experiment, context.Data.ContentKey);
    }

    /// <summary>Whether the model is one linear layer (weight templates exist).</summary>
    public bool IsLinear { get; }

    /// <summary>Every epoch trained, resumed ones included.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => epochs;

    /// <summary>Why training diverged, or null.</summary>
    public string? Divergence { get; private set; }

    /// <summary>The epoch whose weights the model kept (early stopping's best, else the last).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Whether early stopping ended training before the last epoch.</summary>
    public bool StoppedEarly { get; private set; }

    /// <summary>The last finished epoch of the state training went on from, or null when it started from scratch.</summary>
    public int? ResumedFromEpoch { get; private set; }

    /// <summary>Training seconds of the runs before this one (those that trained the resumed epochs).</summary>
    public double EarlierTrainSeconds { get; private set; }

    /// <summary>Why a per-epoch training state could not be written (the first failure), or null.</summary>
    public string? StateError { get; private set; }

    /// <summary>Trains from the first epoch, or from the one after the state <see cref="Resume"/> restored.</summary>
    public void Train()
    {
        var stop = finished;
        model.train();
        for (var epoch = epochs.Count + 1; !stop && epoch <= settings.Epochs; epoch++)
        {
            stop = TrainEpoch(epoch);
        }

        if (Divergence is null && settings.EarlyStoppingPatience > 0)
        {
            best.Restore();
        }

        // The losses are measured before each update, so the last update (every update, for L-BFGS, whose loss
        // is the one it started from) could still have blown the weights up unnoticed.
        if (Divergence is null && !AllFinite(parameters))
        {
            Divergence = string.Create(CultureInfo.InvariantCulture, $"weights not finite after epoch {epochs.Count}");
        }
    }

    /// <summary>Trains epoch <paramref name="epoch"/>; true when training stops after it (divergence, early stopping).</summary>
    private bool TrainEpoch(int epoch)
    {
        context.CancellationToken.ThrowIfCancellationRequested();
        var epochClock = Stopwatch.StartNew();
        model.train(); // evaluation (validation) switches to eval mode and back; this makes sure of it
        batchProgress?.StartEpoch(epoch, stepsPerEpoch, inputs.Count);
        var trainLoss = fullBatch
            ? TrainingEpochs.FullBatchEpoch(model, optimizer, affine, inputs, settings, scheduler, epoch, device)
            : fusedSgd is not null
                ? TrainingEpochs.FusedSgdEpoch(fusedSgd, inputs, settings.BatchSize, shuffleGenerator, scheduler, epoch, context.CancellationToken)
                : TrainingEpochs.MiniBatchEpoch(affine, gradients, optimizer, inputs, settings.BatchSize, shuffleGenerator, scheduler, epoch, device, batchProgress, context.CancellationToken);
        Evaluation? validation = null;
        if (double.IsFinite(trainLoss) && inputs.ValidationFeatures is { } validationFeatures)
        {
            // Evaluation mode under no_grad (dropout off, batch norm on running statistics), then back to training.
            validation = Evaluator.Evaluate(model, validationFeatures, inputs.ValidationLabels!, settings.NumClasses, evaluationChunk);
        }

        var metrics = new EpochMetrics(epoch, trainLoss, epochClock.Elapsed.TotalSeconds, validation?.Loss, validation?.Accuracy);
        // The learning curves' test evaluation and the host's progress display are not training: the clock stops
        // for them (a first console write in a fresh process JITs the whole rendering library). The evaluation
        // changes nothing the next epoch depends on (see LearningCurves).
        trainClock.Stop();
        epochs.Add(curves?.Measure(metrics, model) ?? metrics);
        context.Progress?.Report(new EpochReport(epoch, settings.Epochs, trainLoss, validation?.Loss));
        trainClock.Start();
        if (!double.IsFinite(trainLoss))
        {
            Divergence = string.Create(CultureInfo.InvariantCulture, $"training loss {(double.IsNaN(trainLoss) ? "NaN" : "infinite")} at epoch {epoch}");
            return true;
        }

        BestEpoch = epoch;
        var stop = false;
        if (settings.EarlyStoppingPatience > 0)
        {
            best.Offer(epoch, validation!.Loss);
            BestEpoch = best.Epoch;
            stop = EarlyStopNow(epoch);
        }

        // Neither is the state's write: it is what lets an interrupted training go on from here.
        trainClock.Stop();
        SaveState(epoch);
        trainClock.Start();
        return stop;
    }

    /// <summary>Whether early stopping ends training after <paramref name="epoch"/>; sets <see cref="StoppedEarly"/>.</summary>
    private bool EarlyStopNow(int epoch)
    {
        if (epoch - best.Epoch < settings.EarlyStoppingPatience)
        {
            return false;
        }

        StoppedEarly = epoch < settings.Epochs;
        return true;
    }

    /// <summary>
    /// Writes the state after <paramref name="epoch"/> into the experiment's folder, replacing the previous one. A
    /// failure (a full disk) does not stop training: it is remembered in <see cref="StateError"/>, and the previous
    /// epoch's state stays, as good to go on from as ever.
    /// </summary>
    private void SaveState(int epoch)
    {
        if (context.Checkpoints is not { } checkpoints)
        {
            return;
        }

        var notResumable = TrainingStateCodec.NotResumable(optimizer);
        var info = new TrainingStateInfo
        {
            Experiment = experiment.Name,
            Key = key,
            Epoch = epoch,
            TotalEpochs = settings.Epochs,
            Optimizer = settings.Optimizer.ToString().ToLowerInvariant(),
            NotResumable = notResumable,
            TrainSeconds = EarlierTrainSeconds + trainClock.Elapsed.TotalSeconds,
            Epochs = [.. epochs],
            BestEpoch = best.Epoch,
            BestLoss = double.IsFinite(best.Loss) ? best.Loss : null,
        };
        try
        {
            using var scope = NewDisposeScope();
            TrainingStateFile.Write(checkpoints.Directory, info, notResumable is null ? TrainingStateCodec.Capture(parts) : []);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            StateError ??= string.Create(CultureInfo.InvariantCulture, $"the training state after epoch {epoch} could not be written into '{checkpoints.Directory}' ({exception.Message}), so an interruption would lose more than the epoch under way");
        }
    }

    /// <summary>
    /// Restores the state in <paramref name="directory"/>, before <see cref="Train"/>, which then goes on from there
    /// (or trains nothing more, when training was over there: the last epoch, or early stopping). Throws
    /// <see cref="DataFormatException"/> naming the file and what does not fit; the parts may then be half
    /// restored, and this loop and its model are not to be trained.
    /// </summary>
    public void Resume(string directory)
    {
        var path = TrainingStateFile.PathIn(directory);
        TrainingStateInfo info;
        Dictionary<string, Tensor> tensors;
        try
        {
            (info, tensors) = TrainingStateFile.Read(directory);
        }
        catch (Exception exception) when (exception is InvalidDataException or FileNotFoundException)
        {
            throw new DataFormatException(path, $"cannot resume from it: {exception.Message}", exception);
        }

        try
        {
            if (info.ProblemFor(experiment, key) is { } problem)
            {
                throw new DataFormatException(path, $"cannot resume from it: {problem}");
            }

            TrainingStateCodec.Restore(parts, tensors, info.BestEpoch, info.BestLoss);
        }
        catch (Exception exception) when (exception is InvalidDataException or System.Runtime.InteropServices.ExternalException)
        {
            // ExternalException: libtorch refusing what the checks above let through (a generator state of another size).
            throw new DataFormatException(path, $"cannot resume from it: {exception.Message}", exception);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }

        epochs.AddRange(info.Epochs);
        EarlierTrainSeconds = info.TrainSeconds;
        ResumedFromEpoch = info.Epoch;
        BestEpoch = settings.EarlyStoppingPatience > 0 ? best.Epoch : info.Epoch;
        finished = info.Epoch >= settings.Epochs || (settings.EarlyStoppingPatience > 0 && EarlyStopNow(info.Epoch));
    }

    /// <summary>Whether the model is declared as one linear layer and holds nothing that acts only in training (dropout).</summary>
    private static bool IsOneLinearLayer(IExperiment experiment, nn.Module<Tensor, Tensor> model) =>
        experiment.Architecture.Kind == Models.ModelKind.Linear
        && !model.modules().Any(m => m is Models.Dropout or TorchSharp.Modules.Dropout);

    private static bool AllFinite(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return parameters.All(p => isfinite(p).all().item<bool>());
    }

    public void Dispose()
    {
        fusedSgd?.Dispose();
        affine?.Dispose();
        best.Dispose();
        shuffleGenerator.Dispose();
        optimizer.Dispose();
    }
}
