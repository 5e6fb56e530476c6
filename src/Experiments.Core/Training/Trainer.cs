using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
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
/// </remarks>
public static class Trainer
{
    /// <summary>Rows per chunk of a full-batch (L-BFGS) pass.</summary>
    private const int FullBatchChunk = 20_000;

    private static readonly Lock SeedLock = new();

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

        var epochs = new List<EpochMetrics>(settings.Epochs);
        var trainClock = Stopwatch.StartNew();
        using var model = CreateSeededModel(experiment);
        if (device is not null)
        {
            model.to(device);
        }

        Models.Dropout.SeedAll(model, settings.Seed, device);
        var parameters = model.parameters().ToList();
        var evaluationChunk = Evaluator.ChunkSizeFor(model);
        var isLinear = false;
        string? divergence = null;
        var bestEpoch = 0;
        var stoppedEarly = false;
        var snapshots = context.MeasureTestCurves ? new List<Models.ModelState>(settings.Epochs) : null;
        var batchProgress = context.BatchProgress is { } progress ? new BatchProgressReporter(progress, trainClock, settings.Epochs) : null;
        using (var optimizer = CreateOptimizer(parameters, settings))
        using (var shuffleGenerator = new Generator((ulong)settings.Seed))
        using (var best = new BestWeights(parameters, settings.EarlyStoppingPatience > 0))
        {
            // The fast path gathers its batches on the CPU; on another device the model trains through autograd.
            // Only one linear layer takes the fast path: a stack that is affine in evaluation (flatten, dropout, linear)
            // must still train through autograd, where its dropout runs.
            using var affine = device is null && IsOneLinearLayer(experiment, model) ? AffineGradient.TryCreate(model, settings.InputSize, settings.NumClasses) : null;
            isLinear = affine is not null || experiment.Architecture.Kind == Models.ModelKind.Linear;
            IGradientSource gradients = affine is not null ? affine : new AutogradGradient(model, optimizer);
            // SGD on the affine fast path updates the weights inside its backward pass (see AffineSgd); one-cycle
            // cycles the momentum too, which only the optimizer does.
            using var fusedSgd = affine is not null && settings.Optimizer is (OptimizerKind.Sgd or OptimizerKind.Momentum) && settings.LrSchedule != LearningRateSchedule.OneCycle
                ? new AffineSgd(affine, settings.Momentum, settings.WeightDecay, settings.Nesterov)
                : null;
            var fullBatch = settings.Optimizer == OptimizerKind.Lbfgs;
            var stepsPerEpoch = fullBatch ? 1 : (inputs.Count + settings.BatchSize - 1) / settings.BatchSize;
            var scheduler = new LearningRateScheduler(settings, optimizer, stepsPerEpoch);
            model.train();
            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var epochClock = Stopwatch.StartNew();
                model.train(); // evaluation (validation) switches to eval mode and back; this makes sure of it
                batchProgress?.StartEpoch(epoch, stepsPerEpoch, inputs.Count);
                var trainLoss = fullBatch
                    ? FullBatchEpoch(model, optimizer, affine, inputs, settings, scheduler, epoch, device)
                    : fusedSgd is not null
                        ? FusedSgdEpoch(fusedSgd, inputs, settings.BatchSize, shuffleGenerator, scheduler, epoch, context.CancellationToken)
                        : MiniBatchEpoch(affine, gradients, optimizer, inputs, settings.BatchSize, shuffleGenerator, scheduler, epoch, device, batchProgress, context.CancellationToken);
                Evaluation? validation = null;
                if (double.IsFinite(trainLoss) && inputs.ValidationFeatures is { } validationFeatures)
                {
                    // Evaluation mode under no_grad (dropout off, batch norm on running statistics), then back to training.
                    validation = Evaluator.Evaluate(model, validationFeatures, inputs.ValidationLabels!, settings.NumClasses, evaluationChunk);
                }

                epochs.Add(new EpochMetrics(epoch, trainLoss, epochClock.Elapsed.TotalSeconds, validation?.Loss, validation?.Accuracy));
                // The host's progress display and the snapshot for learning curves are not training: the clock stops
                // for them (a first console write in a fresh process JITs the whole rendering library).
                trainClock.Stop();
                context.Progress?.Report(new EpochReport(epoch, settings.Epochs, trainLoss, validation?.Loss));
                snapshots?.Add(Models.ModelState.Capture(model));
                trainClock.Start();
                if (!double.IsFinite(trainLoss))
                {
                    divergence = string.Create(CultureInfo.InvariantCulture, $"training loss {(double.IsNaN(trainLoss) ? "NaN" : "infinite")} at epoch {epoch}");
                    break;
                }

                bestEpoch = epoch;
                if (settings.EarlyStoppingPatience > 0)
                {
                    best.Offer(epoch, validation!.Loss);
                    bestEpoch = best.Epoch;
                    if (epoch - best.Epoch >= settings.EarlyStoppingPatience)
                    {
                        stoppedEarly = epoch < settings.Epochs;
                        break;
                    }
                }
            }

            if (divergence is null && settings.EarlyStoppingPatience > 0)
            {
                best.Restore();
            }

            // The losses are measured before each update, so the last update (every update, for L-BFGS, whose loss
            // is the one it started from) could still have blown the weights up unnoticed.
            if (divergence is null && !AllFinite(parameters))
            {
                divergence = string.Create(CultureInfo.InvariantCulture, $"weights not finite after epoch {epochs.Count}");
            }
        }

        var trainSeconds = trainClock.Elapsed.TotalSeconds;
        var evaluationClock = Stopwatch.StartNew();
        using var testFeatures = divergence is null ? inputs.TransformImages(context.Data.Test.Inputs) : null;
        var test = testFeatures is null ? null : Evaluator.Evaluate(model, testFeatures, context.Data.Test.Labels, settings.NumClasses, evaluationChunk);
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
        var weights = isLinear ? ModelWeights.Capture(model) : null;
        var state = Models.ModelState.Capture(model);
        var measuredEpochs = snapshots is null
            ? epochs
            : LearningCurves.WithTestCurves(epochs, snapshots, model, testFeatures!, context.Data.Test.Labels, settings.NumClasses, context.CancellationToken);
        var completed = trained with
        {
            Epochs = measuredEpochs,
            Test = test!,
            Validation = finalValidation,
            EvaluationSeconds = evaluationSeconds,
            Weights = weights,
            State = state,
            BestEpoch = bestEpoch,
            StoppedEarly = stoppedEarly,
            Inputs = inputs.Transform(context.Data.ExampleShape),
        };
        return TrainedCheckpoint.Save(experiment, context, model, completed);
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

    internal static optim.Optimizer CreateOptimizer(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, ExperimentSettings settings) => settings.Optimizer switch
    {
        OptimizerKind.Sgd or OptimizerKind.Momentum =>
            optim.SGD(parameters, settings.LearningRate, settings.Momentum, dampening: 0, weight_decay: settings.WeightDecay, nesterov: settings.Nesterov),
        OptimizerKind.Adam =>
            optim.Adam(parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: settings.WeightDecay),
        // Decoupled weight decay: p -= lr · weightDecay · p before the Adam step (PyTorch's AdamW).
        OptimizerKind.AdamW =>
            optim.AdamW(parameters, settings.LearningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: settings.WeightDecay),
        // One iteration (one full-batch evaluation) per step, so that an epoch is one L-BFGS iteration.
        OptimizerKind.Lbfgs => optim.LBFGS(parameters, settings.LearningRate, max_iter: 1, max_eval: 1, tolerange_grad: 1e-9, tolerance_change: 1e-12, history_size: 100),
        _ => throw new NotSupportedException($"Optimizer {settings.Optimizer} is not supported"),
    };

    /// <summary>One pass over the training inputs in shuffled mini-batches; returns the mean training loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    private static double MiniBatchEpoch(
        AffineGradient? affine,
        IGradientSource gradients,
        optim.Optimizer optimizer,
        TrainingInputs inputs,
        int batchSize,
        Generator shuffleGenerator,
        LearningRateScheduler scheduler,
        int epoch,
        Device? device,
        BatchProgressReporter? progress,
        CancellationToken cancellationToken)
    {
        var count = inputs.Count;
        using var epochScope = NewDisposeScope();
        var order = randperm(count, generator: shuffleGenerator);
        var labels = inputs.Labels.index_select(0, order);
        var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        var step = 0;
        for (var start = 0; start < count; start += batchSize, step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            var indices = order.narrow(0, start, length);
            var targets = labels.narrow(0, start, length);
            scheduler.BeforeStep(epoch, step);
            Tensor loss;
            if (device is not null)
            {
                targets = targets.to(device);
            }

            if (affine is not null)
            {
                var (batch, scale) = inputs.GatherScaled(indices);
                loss = affine.Compute(device is null ? batch : batch.to(device), targets, scale);
            }
            else
            {
                var batch = inputs.Gather(indices);
                loss = gradients.Compute(device is null ? batch : batch.to(device), targets);
            }

            optimizer.step();
            lossSum.add_(loss);
            progress?.AfterStep(step + 1, start + length);
        }

        return lossSum.item<double>() / count;
    }

    /// <summary>
    /// One pass over the training inputs in shuffled mini-batches with the fused SGD step of the affine fast path;
    /// returns the mean training loss. The same batches, in the same order, as <see cref="MiniBatchEpoch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    private static double FusedSgdEpoch(
        AffineSgd sgd,
        TrainingInputs inputs,
        int batchSize,
        Generator shuffleGenerator,
        LearningRateScheduler scheduler,
        int epoch,
        CancellationToken cancellationToken)
    {
        var count = inputs.Count;
        using var epochScope = NewDisposeScope();
        using var noGrad = no_grad();
        var order = randperm(count, generator: shuffleGenerator);
        // Each batch's indices and labels (as a row [1, B]), cut in one call each rather than two narrows per step.
        var batches = order.split(batchSize);
        var labelRows = inputs.Labels.index_select(0, order).unsqueeze(0).split(batchSize, dim: 1);
        // Per-position sums of the batches' log-likelihoods, summed once at the end of the epoch.
        var logLikelihoods = zeros(1, batchSize, dtype: ScalarType.Float64);
        for (var step = 0; step < batches.Length; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var (batch, scale) = inputs.GatherScaled(batches[step]);
            sgd.Step(batch, labelRows[step], scale, scheduler.RateAt(epoch, step), logLikelihoods);
        }

        return -logLikelihoods.sum().item<double>() / count;
    }

    /// <summary>One L-BFGS iteration on the whole training set; returns the loss it started from (without the L2 term).</summary>
    private static double FullBatchEpoch(
        nn.Module<Tensor, Tensor> model,
        optim.Optimizer optimizer,
        AffineGradient? affine,
        TrainingInputs inputs,
        ExperimentSettings settings,
        LearningRateScheduler scheduler,
        int epoch,
        Device? device)
    {
        using var epochScope = NewDisposeScope();
        var dataLoss = double.NaN;
        var parameters = model.parameters().ToList();
        scheduler.BeforeStep(epoch, 0);
        optimizer.step(() =>
        {
            using var scope = NewDisposeScope();
            Tensor loss;
            if (affine is not null)
            {
                loss = affine.ComputeFullBatch(inputs, FullBatchChunk);
            }
            else
            {
                optimizer.zero_grad();
                loss = zeros(1, dtype: ScalarType.Float64, device: device).squeeze();
                inputs.ForEachChunk(FullBatchChunk, (x, y) =>
                {
                    if (device is not null)
                    {
                        x = x.to(device);
                        y = y.to(device);
                    }

                    var chunkLoss = nn.functional.cross_entropy(model.forward(x), y, reduction: nn.Reduction.Sum) / inputs.Count;
                    chunkLoss.backward();
                    using var noGrad = no_grad();
                    loss.add_(chunkLoss.detach().to_type(ScalarType.Float64));
                });
            }

            dataLoss = loss.item<double>();
            using var noGrad = no_grad();
            var objective = loss.to_type(ScalarType.Float32);
            if (settings.WeightDecay > 0)
            {
                foreach (var parameter in parameters)
                {
                    parameter.grad!.add_(parameter, alpha: settings.WeightDecay);
                    objective.add_(parameter.square().sum(), alpha: settings.WeightDecay / 2);
                }
            }

            return objective.MoveToOuterDisposeScope();
        });
        return dataLoss;
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

    /// <summary>The weights of the epoch with the lowest validation loss so far, for early stopping.</summary>
    private sealed class BestWeights(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, bool enabled) : IDisposable
    {
        private List<Tensor>? snapshot;
        private double bestLoss = double.PositiveInfinity;

        public int Epoch { get; private set; }

        public void Offer(int epoch, double validationLoss)
        {
            if (!enabled || !(validationLoss < bestLoss))
            {
                return;
            }

            bestLoss = validationLoss;
            Epoch = epoch;
            using var noGrad = no_grad();
            if (snapshot is null)
            {
                snapshot = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToList();
            }
            else
            {
                for (var i = 0; i < parameters.Count; i++)
                {
                    snapshot[i].copy_(parameters[i]);
                }
            }
        }

        public void Restore()
        {
            if (snapshot is null)
            {
                return;
            }

            using var noGrad = no_grad();
            for (var i = 0; i < parameters.Count; i++)
            {
                parameters[i].copy_(snapshot[i]);
            }
        }

        public void Dispose()
        {
            foreach (var tensor in snapshot ?? [])
            {
                tensor.Dispose();
            }
        }
    }
}
