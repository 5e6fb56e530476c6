using System.Runtime.CompilerServices;
using Experiments.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>
/// One SGD step of the affine fast path with the update fused into the backward pass: the weight gradient's GEMM
/// writes straight into the weights (plain SGD) or into the momentum buffer, so no gradient tensor is allocated and
/// no optimizer runs. The same update as <c>torch.optim.SGD</c> (weight decay, momentum, Nesterov; dampening 0),
/// checked against it step by step in the tests.
/// </summary>
/// <remarks>
/// <para>
/// Written out because of what a step of the seed recipe costs: two GEMMs of 10 x 784 x 100 (about 30 µs each),
/// the 100-row gather (about 20 µs) and, before this class, about fifteen small TorchSharp calls of 1-3 µs each:
/// setting two <c>.grad</c>s, a fresh 31 KB gradient, the optimizer reading them back and updating, a scaling of
/// <c>P - Y</c>, a no-grad guard per step. Here plain SGD is <c>W = (1 - ηλ) W - (η s / B) (P - Y) X</c>, one
/// <c>addmm_</c>, and the bias one <c>addmv_</c> with a vector of ones.
/// </para>
/// <para>
/// With momentum, PyTorch's buffer starts as a copy of the first gradient; a zero buffer gives the same numbers
/// (<c>m · 0 + g = g</c>) without a first-step branch. With Nesterov the step is <c>g + m · buf</c>, so the
/// gradient is formed once per step.
/// </para>
/// </remarks>
internal sealed class AffineSgd : IDisposable
{
    private readonly AffineGradient affine;
    private readonly double momentum;
    private readonly double weightDecay;
    private readonly bool nesterov;
    private readonly Tensor? weightBuffer;   // momentum buffers, zero at first
    private readonly Tensor? biasBuffer;
    private Tensor ones = empty(0).DetachFromDisposeScope();
    private Tensor? lastBatch;
    private Tensor? lastBatchTransposed;

    /// <summary>The weight's momentum buffer, or null without momentum (a training state saves and restores it).</summary>
    internal Tensor? WeightBuffer => weightBuffer;

    /// <summary>The bias's momentum buffer, or null without momentum.</summary>
    internal Tensor? BiasBuffer => biasBuffer;

    public AffineSgd(AffineGradient affine, double momentum, double weightDecay, bool nesterov)
    {
        ArgumentNullException.ThrowIfNull(affine);
        this.affine = affine;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        if (momentum != 0)
        {
            weightBuffer = zeros_like(affine.Weight).DetachFromDisposeScope();
            biasBuffer = zeros_like(affine.Bias).DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// Trains on the model inputs <paramref name="batch"/> × <paramref name="scale"/> and their labels as a row
    /// [1, B] (<paramref name="targetRow"/>) with learning rate <paramref name="learningRate"/>, and adds each
    /// image's log-likelihood to <paramref name="logLikelihoods"/> (float64 [1, ≥ B], position by position; the
    /// epoch's summed loss is minus its sum). Call under <c>no_grad</c>, inside a dispose scope: the temporaries are
    /// the scope's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs per step from the first: no tier-0 code
    public void Step(Tensor batch, Tensor targetRow, float scale, double learningRate, Tensor logLikelihoods)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(targetRow);
        ArgumentNullException.ThrowIfNull(logLikelihoods);
        var count = batch.shape[0];
        var weight = affine.Weight;
        var bias = affine.Bias;
        var logitsT = addmm(affine.BiasColumn, weight, Transposed(batch), beta: 1f, alpha: scale); // [C, B]
        var logProbabilities = logitsT.log_softmax(0);
        var sums = logLikelihoods.shape[1] == count ? logLikelihoods : logLikelihoods.narrow(1, 0, count);
        sums.add_(logProbabilities.gather(0, targetRow), alpha: Scalars.One);
        var delta = logProbabilities.exp_().scatter_add_(0, targetRow, affine.MinusOnes(count)); // P - Y, [C, B]
        var ones = Ones(count);
        // The gradient of the mean loss is (P - Y) X s / B (+ λW) for the weight and (P - Y) 1 / B (+ λb) for the bias.
        // GEMM and GEMV factors are floats (as the float32 kernels apply them anyway).
        var gemmScale = scale / count;
        var rowScale = 1f / count;
        var rate = (float)learningRate;
        var decay = (float)weightDecay;
        var factor = (float)momentum;
        if (weightBuffer is null)
        {
            var keep = 1 - (rate * decay);
            weight.addmm_(delta, batch, beta: keep, alpha: -rate * gemmScale);
            bias.addmv_(delta, ones, beta: keep, alpha: -rate * rowScale);
            return;
        }

        // The factors of the element-wise updates, held until they return (see Torch/Scalars.cs).
        using var negativeRate = (-learningRate).ToScalar();
        if (!nesterov)
        {
            // buf = m buf + g; p -= η buf
            weightBuffer.addmm_(delta, batch, beta: factor, alpha: gemmScale);
            biasBuffer!.addmv_(delta, ones, beta: factor, alpha: rowScale);
            if (weightDecay != 0)
            {
                using var decayFactor = weightDecay.ToScalar();
                weightBuffer.add_(weight, alpha: decayFactor);
                biasBuffer.add_(bias, alpha: decayFactor);
            }

            weight.add_(weightBuffer, alpha: negativeRate);
            bias.add_(biasBuffer, alpha: negativeRate);
            return;
        }

        // g as above; buf = m buf + g; p -= η (g + m buf)
        using var momentumFactor = factor.ToScalar();
        using var bufferRate = (-learningRate * momentum).ToScalar();
        var weightGradient = addmm(weight, delta, batch, beta: decay, alpha: gemmScale);
        var biasGradient = addmv(bias, delta, ones, beta: decay, alpha: rowScale);
        weightBuffer.mul_(momentumFactor).add_(weightGradient, alpha: Scalars.One);
        biasBuffer!.mul_(momentumFactor).add_(biasGradient, alpha: Scalars.One);
        weight.add_(weightGradient, alpha: negativeRate).add_(weightBuffer, alpha: bufferRate);
        bias.add_(biasGradient, alpha: negativeRate).add_(biasBuffer, alpha: bufferRate);
    }

    public void Dispose()
    {
        ones.Dispose();
        lastBatchTransposed?.Dispose();
        weightBuffer?.Dispose();
        biasBuffer?.Dispose();
    }

    /// <summary>
    /// <paramref name="batch"/>ᵀ, a view; kept while the batch is the same tensor (the trainer's kept batch buffer is,
    /// step after step), which saves a dispatch per step.
    /// </summary>
    private Tensor Transposed(Tensor batch)
    {
        if (!ReferenceEquals(batch, lastBatch))
        {
            lastBatchTransposed?.Dispose();
            lastBatchTransposed = batch.t().DetachFromDisposeScope();
            lastBatch = batch;
        }

        return lastBatchTransposed!;
    }

    /// <summary>A vector of <paramref name="count"/> ones, kept between steps (the bias gradient's row sums).</summary>
    private Tensor Ones(long count)
    {
        if (ones.shape[0] < count)
        {
            ones.Dispose();
            ones = torch.ones(count).DetachFromDisposeScope();
        }

        return ones.shape[0] == count ? ones : ones.narrow(0, 0, count);
    }
}
