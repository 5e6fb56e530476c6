using System.Runtime.CompilerServices;
using Experiments.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// One epoch of training, each way the trainer trains: shuffled mini-batches through a gradient source and the
/// optimizer, shuffled mini-batches with the fused SGD step of the affine fast path, or one full-batch L-BFGS iteration.
/// </summary>
internal static class TrainingEpochs
{
    /// <summary>Rows per chunk of a full-batch (L-BFGS) pass.</summary>
    private const int FullBatchChunk = 20_000;

    /// <summary>One pass over the training inputs in shuffled mini-batches; returns the mean training loss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    public static double MiniBatchEpoch(
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
            lossSum.add_(loss, alpha: Scalars.One);
            progress?.AfterStep(step + 1, start + length);
        }

        return lossSum.item<double>() / count;
    }

    /// <summary>
    /// One pass over the training inputs in shuffled mini-batches with the fused SGD step of the affine fast path;
    /// returns the mean training loss. The same batches, in the same order, as <see cref="MiniBatchEpoch"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    public static double FusedSgdEpoch(
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
    public static double FullBatchEpoch(
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
        // The numbers of the closure's calls, held while the optimizer runs it (see Torch/Scalars.cs).
        using var count = inputs.Count.ToScalar();
        using var decay = settings.WeightDecay.ToScalar();
        using var halfDecay = (settings.WeightDecay / 2).ToScalar();
        using var two = 2.ToScalar();
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

                    var chunkLoss = nn.functional.cross_entropy(model.forward(x), y, reduction: nn.Reduction.Sum).div(count);
                    chunkLoss.backward();
                    using var noGrad = no_grad();
                    loss.add_(chunkLoss.detach().to_type(ScalarType.Float64), alpha: Scalars.One);
                });
            }

            dataLoss = loss.item<double>();
            using var noGrad = no_grad();
            var objective = loss.to_type(ScalarType.Float32);
            if (settings.WeightDecay > 0)
            {
                foreach (var parameter in parameters)
                {
                    parameter.grad!.add_(parameter, alpha: decay);
                    objective.add_(parameter.pow(two).sum(), alpha: halfDecay);
                }
            }

            return objective.MoveToOuterDisposeScope();
        });
        return dataLoss;
    }
}
