using System.Globalization;
using Experiments.Torch;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Experiments.Models;

/// <summary>
/// Batch normalization with learnable scale and shift and running statistics: PyTorch's <c>nn.BatchNorm1d/2d</c>
/// (<c>affine=True</c>, <c>track_running_stats=True</c>), the same forward as TorchSharp's <c>BatchNorm</c>, and
/// the same state (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, and the Int64 scalar
/// <c>num_batches_tracked</c>, in that order), so checkpoints keep PyTorch's names and load in PyTorch.
/// </summary>
/// <remarks>
/// TorchSharp's own <c>forward</c> (sealed) counts a training batch with <c>num_batches_tracked.add_(1)</c>, two
/// temporary Scalars that a garbage collection on another thread can free while libtorch reads them: the random
/// "For integral input tensors, argument alpha must not be a floating point number" CI failed with. This one counts
/// with <see cref="Scalars.One"/> (see <see cref="Scalars"/>); everything else it hands libtorch is a plain double.
/// </remarks>
public abstract class BatchNorm : nn.Module<Tensor, Tensor>
{
    // Named for TorchSharp's reflection: RegisterComponents (when a parent registers this module) skips fields whose
    // component names are registered already, and Module.to() sets the properties of those names.
    [ComponentName(Name = nameof(weight))]
    private Parameter weightTensor;

    [ComponentName(Name = nameof(bias))]
    private Parameter biasTensor;

    [ComponentName(Name = nameof(running_mean))]
    private Tensor runningMean;

    [ComponentName(Name = nameof(running_var))]
    private Tensor runningVar;

    [ComponentName(Name = nameof(num_batches_tracked))]
    private Tensor batchesTracked;

    /// <param name="name">The module's name.</param>
    /// <param name="features">C, the channels or features normalized one by one.</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="momentum">The running statistics' update factor, or null for their cumulative average (PyTorch's <c>momentum=None</c>).</param>
    private protected BatchNorm(string name, long features, double eps, double? momentum)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        num_features = features;
        this.eps = eps;
        this.momentum = momentum;

        // Registered in PyTorch's order: the parameters, then the buffers. Not readonly: Module.to() replaces them
        // through the properties when it converts or moves the module.
        weightTensor = Kept(nn.Parameter(ones(features)));
        biasTensor = Kept(nn.Parameter(zeros(features)));
        runningMean = Kept(zeros(features));
        runningVar = Kept(ones(features));
        batchesTracked = Kept(tensor(0L));
        register_parameter(nameof(weight), weightTensor);
        register_parameter(nameof(bias), biasTensor);
        register_buffer(nameof(running_mean), runningMean);
        register_buffer(nameof(running_var), runningVar);
        register_buffer(nameof(num_batches_tracked), batchesTracked);
    }

    /// <summary>C: the channels (or features) normalized, each with its own statistics, scale and shift.</summary>
    public long num_features { get; }

    /// <summary>Added to the variance for numerical stability.</summary>
    public double eps { get; }

    /// <summary>The running statistics' update factor, or null for their cumulative average.</summary>
    public double? momentum { get; }

    /// <summary>The learnable scale γ, one per channel (initially 1).</summary>
    public Parameter weight
    {
        get => weightTensor;
        private protected set => weightTensor = Replace(weightTensor, value, nameof(weight));
    }

    /// <summary>The learnable shift β, one per channel (initially 0).</summary>
    public Parameter bias
    {
        get => biasTensor;
        private protected set => biasTensor = Replace(biasTensor, value, nameof(bias));
    }

    /// <summary>The running mean of each channel, which evaluation normalizes with (initially 0).</summary>
    public Tensor running_mean
    {
        get => runningMean;
        private protected set => runningMean = Replace(runningMean, value, nameof(running_mean));
    }

    /// <summary>The running (unbiased) variance of each channel, which evaluation normalizes with (initially 1).</summary>
    public Tensor running_var
    {
        get => runningVar;
        private protected set => runningVar = Replace(runningVar, value, nameof(running_var));
    }

    /// <summary>How many training batches have gone through (an Int64 scalar).</summary>
    public Tensor num_batches_tracked
    {
        get => batchesTracked;
        private protected set => batchesTracked = Replace(batchesTracked, value, nameof(num_batches_tracked));
    }

    /// <summary>
    /// Normalizes each channel: in training mode by the batch's statistics, counting the batch and updating the
    /// running statistics; in evaluation mode by the running statistics.
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInputDimensions(input);

        // TorchSharp's BatchNorm.forward, with a module that always has its running statistics.
        var averagingFactor = momentum ?? 0.0;
        if (training)
        {
            batchesTracked.add_(Scalars.One, Scalars.One);
            averagingFactor = momentum ?? 1.0 / batchesTracked.item<long>();
        }

        return nn.functional.batch_norm(input, runningMean, runningVar, weightTensor, biasTensor, training, averagingFactor, eps);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="input"/> has a number of dimensions this kind does not take.</summary>
    private protected abstract void ValidateInputDimensions(Tensor input);

    // What Module.to() calls (by reflection) with a converted or moved copy: the old tensor is disposed (a buffer
    // already is: Module.to() disposes it), as TorchSharp's own normalization modules do, and the new one takes its
    // place in the module's state under the same name.
    private T Replace<T>(T old, T value, string name)
        where T : Tensor
    {
        ArgumentNullException.ThrowIfNull(value);
        if (ReferenceEquals(old, value) || (!old.IsInvalid && old.Handle == value.Handle))
        {
            return old;
        }

        old.Dispose();
        var replacement = Kept(value);
        if (replacement is Parameter parameter)
        {
            ConditionallyRegisterParameter(name, parameter);
        }
        else
        {
            ConditionallyRegisterBuffer(name, replacement);
        }

        return replacement;
    }

    // The module owns its tensors: a dispose scope around its construction (or around Module.to()) must not dispose them.
    private static T Kept<T>(T tensor)
        where T : Tensor => (T)tensor.DetachFromDisposeScope();
}

/// <summary>
/// Batch normalization of rows [batch, C] or sequences [batch, C, length], channel by channel: PyTorch's
/// <c>nn.BatchNorm1d</c> (see <see cref="BatchNorm"/>).
/// </summary>
/// <param name="features">C, the features normalized one by one.</param>
/// <param name="eps">Added to the variance for numerical stability (PyTorch's default 1e-5).</param>
/// <param name="momentum">The running statistics' update factor (PyTorch's default 0.1), or null for their cumulative average.</param>
public sealed class BatchNorm1d(long features, double eps = 1e-5, double? momentum = 0.1)
    : BatchNorm(nameof(BatchNorm1d), features, eps, momentum)
{
    private protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim is not (2 or 3))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"expected 2D or 3D input, but got {input.ndim}D input."), nameof(input));
        }
    }
}

/// <summary>
/// Batch normalization of images [batch, C, height, width], channel by channel: PyTorch's <c>nn.BatchNorm2d</c>
/// (see <see cref="BatchNorm"/>).
/// </summary>
/// <param name="features">C, the channels normalized one by one.</param>
/// <param name="eps">Added to the variance for numerical stability (PyTorch's default 1e-5).</param>
/// <param name="momentum">The running statistics' update factor (PyTorch's default 0.1), or null for their cumulative average.</param>
public sealed class BatchNorm2d(long features, double eps = 1e-5, double? momentum = 0.1)
    : BatchNorm(nameof(BatchNorm2d), features, eps, momentum)
{
    private protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != 4)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"expected 4D input, but got {input.ndim}D input."), nameof(input));
        }
    }
}
