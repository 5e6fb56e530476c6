using System.Globalization;
using Experiments.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>What of a training goes on from one epoch to the next, and so what a training state saves and restores.</summary>
/// <param name="Model">The model: its <c>state_dict()</c>, batch norm's running statistics included.</param>
/// <param name="Optimizer">The optimizer: momentum buffers, Adam's moments and step counts, the param groups' options.</param>
/// <param name="Shuffle">The generator each epoch's permutation is drawn from.</param>
/// <param name="Dropouts">The model's dropout layers, whose generators draw the masks (<see cref="Models.Dropout.AllIn"/>).</param>
/// <param name="FusedSgd">The fused SGD step of the affine fast path (its momentum buffers), or null.</param>
/// <param name="Best">Early stopping's best weights.</param>
/// <param name="GlobalGenerator">
/// Whether torch's process-wide generator is part of the training, so saved and restored: only for a user module
/// (<see cref="Models.ModelKind.Module"/>), whose <c>forward</c> may draw from it (torch's own <c>nn.Dropout</c>
/// does). A declared model draws nothing from it once built: its dropout layers have their own generators, and the
/// shuffles, the validation split and the fast path's probe theirs. Restoring it sets it for every trainer in the
/// process; the runner trains one experiment at a time, and where several train at once (the tests) their draws
/// from it interleave anyway, so such a module is not repeatable there with or without the state.
/// </param>
internal sealed record TrainingParts(
    nn.Module<Tensor, Tensor> Model,
    optim.Optimizer Optimizer,
    Generator Shuffle,
    IReadOnlyList<Models.Dropout> Dropouts,
    AffineSgd? FusedSgd,
    BestWeights Best,
    bool GlobalGenerator);

/// <summary>
/// Turns the parts of a training (<see cref="TrainingParts"/>) into the tensors of a training state
/// (<see cref="Checkpoints.TrainingStateFile"/>) and back, exactly: every tensor keeps its dtype and bytes, every
/// generator its full state, the optimizer its own serialization.
/// </summary>
/// <remarks>
/// The learning-rate schedule needs nothing saved: <see cref="LearningRateScheduler"/> computes each step's rate (and
/// one-cycle's momentum) from the epoch and the step alone, and sets it before the step. Nor do the learning curves:
/// each epoch's test loss and accuracy are numbers in the state's metrics (<see cref="LearningCurves"/>).
/// </remarks>
internal static class TrainingStateCodec
{
    public const string ModelPrefix = "model.";
    public const string OptimizerName = "optimizer";
    public const string ShuffleName = "rng.shuffle";
    public const string GlobalName = "rng.global";
    public const string DropoutPrefix = "rng.dropout.";
    public const string FusedWeightName = "fused.weight";
    public const string FusedBiasName = "fused.bias";
    public const string BestPrefix = "best.";

    /// <summary>
    /// Why training with <paramref name="optimizer"/> cannot go on from a saved state, or null when it can. TorchSharp
    /// writes its managed optimizers' state (SGD, Adam, AdamW); L-BFGS is libtorch's own, whose history of steps and
    /// gradients TorchSharp 0.107 does not expose.
    /// </summary>
    public static string? NotResumable(optim.Optimizer optimizer) => optimizer is OptimizerHelper
        ? null
        : "L-BFGS keeps its history of steps and gradients inside libtorch, which TorchSharp 0.107 can neither save nor restore";

    /// <summary>
    /// The state's tensors, all contiguous on the CPU: copies, or views of memory the parts own (write them before the
    /// training goes on). Call inside a dispose scope: the tensors are the scope's.
    /// </summary>
    public static List<Data.SafeTensor> Capture(TrainingParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var noGrad = no_grad();
        var tensors = new List<Data.SafeTensor>();
        foreach (var (name, tensor) in parts.Model.state_dict())
        {
            tensors.Add(new(ModelPrefix + name, Cpu(tensor)));
        }

        var helper = (OptimizerHelper)parts.Optimizer;
        using (var stream = new MemoryStream())
        {
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                helper.save_state_dict(writer);
            }

            tensors.Add(new(OptimizerName, tensor(stream.ToArray())));
        }

        tensors.Add(new(ShuffleName, Cpu(parts.Shuffle.get_state())));
        if (parts.GlobalGenerator)
        {
            lock (Trainer.SeedLock)
            {
                tensors.Add(new(GlobalName, Cpu(random.get_rng_state())));
            }
        }

        for (var i = 0; i < parts.Dropouts.Count; i++)
        {
            if (parts.Dropouts[i].Generator is { } generator)
            {
                tensors.Add(new(DropoutPrefix + Index(i), Cpu(generator.get_state())));
            }
        }

        if (parts.FusedSgd is { WeightBuffer: { } weight, BiasBuffer: { } bias })
        {
            tensors.Add(new(FusedWeightName, Cpu(weight)));
            tensors.Add(new(FusedBiasName, Cpu(bias)));
        }

        var best = parts.Best.Snapshot ?? [];
        for (var i = 0; i < best.Count; i++)
        {
            tensors.Add(new(BestPrefix + Index(i), Cpu(best[i])));
        }

        return tensors;
    }

    /// <summary>
    /// Puts a saved state's <paramref name="tensors"/> back into <paramref name="parts"/>. Throws <see cref="InvalidDataException"/> saying what does not fit the training (a
    /// missing tensor, another shape or dtype, another optimizer).
    /// </summary>
    /// <param name="parts">The training, as created for its first epoch.</param>
    /// <param name="tensors">The state's tensors.</param>
    /// <param name="bestEpoch">Early stopping's best epoch in the state.</param>
    /// <param name="bestLoss">Its loss, or null before any.</param>
    public static void Restore(TrainingParts parts, IReadOnlyDictionary<string, Tensor> tensors, int bestEpoch, double? bestLoss)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(tensors);

        // Outside any dispose scope: the optimizer creates the tensors it does not have yet (SGD's momentum buffers),
        // and keeps them.
        LoadOptimizer(parts.Optimizer, Required(tensors, OptimizerName));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = parts.Model.state_dict();
        if (tensors.Keys.FirstOrDefault(k => k.StartsWith(ModelPrefix, StringComparison.Ordinal) && !state.ContainsKey(k[ModelPrefix.Length..])) is { } extra)
        {
            throw new InvalidDataException($"it has the model entry '{extra[ModelPrefix.Length..]}', which the model does not have");
        }

        foreach (var (name, target) in state)
        {
            Copy(Required(tensors, ModelPrefix + name), target, "the model entry '" + name + "'");
        }

        parts.Shuffle.set_state(GeneratorState(tensors, ShuffleName));
        if (parts.GlobalGenerator)
        {
            var global = GeneratorState(tensors, GlobalName);
            lock (Trainer.SeedLock)
            {
                random.set_rng_state(global);
            }
        }

        var dropoutStates = tensors.Keys.Count(k => k.StartsWith(DropoutPrefix, StringComparison.Ordinal));
        if (dropoutStates != parts.Dropouts.Count(d => d.Generator is not null))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it has {dropoutStates} dropout generators, but the model has {parts.Dropouts.Count}"));
        }

        for (var i = 0; i < parts.Dropouts.Count; i++)
        {
            parts.Dropouts[i].Generator?.set_state(GeneratorState(tensors, DropoutPrefix + Index(i)));
        }

        if (parts.FusedSgd is { WeightBuffer: { } weight, BiasBuffer: { } bias })
        {
            Copy(Required(tensors, FusedWeightName), weight, "the fused SGD step's weight momentum");
            Copy(Required(tensors, FusedBiasName), bias, "the fused SGD step's bias momentum");
        }

        var best = new List<Tensor>();
        while (tensors.TryGetValue(BestPrefix + Index(best.Count), out var weightOfBest))
        {
            best.Add(weightOfBest);
        }

        try
        {
            parts.Best.Load(bestEpoch, bestLoss ?? double.PositiveInfinity, best.Count == 0 ? null : best);
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException(exception.Message, exception);
        }
    }

    private static void LoadOptimizer(optim.Optimizer optimizer, Tensor saved)
    {
        if (optimizer is not OptimizerHelper helper)
        {
            throw new InvalidDataException(NotResumable(optimizer));
        }

        if (saved.dtype != ScalarType.Byte)
        {
            throw new InvalidDataException($"its optimizer state is {saved.dtype}, not bytes");
        }

        using var stream = new MemoryStream(saved.data<byte>().ToArray());
        using var reader = new BinaryReader(stream);
        try
        {
            helper.load_state_dict(reader);
        }
        catch (Exception exception) when (exception is InvalidDataException or ArgumentException or EndOfStreamException or IOException or FormatException or InvalidCastException or NullReferenceException)
        {
            throw new InvalidDataException($"its optimizer state does not fit this {helper.GetType().Name}: {exception.Message}", exception);
        }

        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"its optimizer state has {stream.Length - stream.Position} bytes more than this {helper.GetType().Name} reads"));
        }
    }

    private static Tensor GeneratorState(IReadOnlyDictionary<string, Tensor> tensors, string name)
    {
        var saved = Required(tensors, name);
        return saved.dtype == ScalarType.Byte ? saved : throw new InvalidDataException($"its generator state '{name}' is {saved.dtype}, not bytes");
    }

    private static void Copy(Tensor source, Tensor target, string what)
    {
        if (source.dtype != target.dtype || !source.shape.SequenceEqual(target.shape))
        {
            throw new InvalidDataException($"{what} is {source.dtype} [{string.Join(", ", source.shape)}], but the training's is {target.dtype} [{string.Join(", ", target.shape)}]");
        }

        target.copy_(source);
    }

    private static Tensor Required(IReadOnlyDictionary<string, Tensor> tensors, string name) =>
        tensors.TryGetValue(name, out var tensor) ? tensor : throw new InvalidDataException($"it has no tensor '{name}'");

    private static Tensor Cpu(Tensor tensor) => tensor.detach().cpu().contiguous();

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}
