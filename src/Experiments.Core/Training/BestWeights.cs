using static TorchSharp.torch;

namespace Experiments.Training;

/// <summary>The weights of the epoch with the lowest validation loss so far, for early stopping.</summary>
internal sealed class BestWeights(IReadOnlyList<TorchSharp.Modules.Parameter> parameters, bool enabled) : IDisposable
{
    private List<Tensor>? snapshot;

    /// <summary>The epoch of the kept weights (0 before any).</summary>
    public int Epoch { get; private set; }

    /// <summary>The validation loss of the kept weights (+∞ before any).</summary>
    public double Loss { get; private set; } = double.PositiveInfinity;

    /// <summary>The kept weights, one per parameter in order, or null before any (owned by this object).</summary>
    public IReadOnlyList<Tensor>? Snapshot => snapshot;

    public void Offer(int epoch, double validationLoss)
    {
        if (!enabled || !(validationLoss < Loss))
        {
            return;
        }

        Loss = validationLoss;
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

    /// <summary>
    /// Takes the best epoch, its loss and its weights (one per parameter, in order; copied) from a saved training state;
    /// no weights: none kept yet.
    /// </summary>
    public void Load(int epoch, double loss, IReadOnlyList<Tensor>? weights)
    {
        Epoch = epoch;
        Loss = loss;
        foreach (var tensor in snapshot ?? [])
        {
            tensor.Dispose();
        }

        snapshot = null;
        if (weights is null)
        {
            return;
        }

        if (weights.Count != parameters.Count)
        {
            throw new ArgumentException($"early stopping kept {weights.Count} weights, but the model has {parameters.Count} parameters", nameof(weights));
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            if (!weights[i].shape.SequenceEqual(parameters[i].shape))
            {
                throw new ArgumentException($"early stopping's weight {i} has shape [{string.Join(", ", weights[i].shape)}], but the parameter's is [{string.Join(", ", parameters[i].shape)}]", nameof(weights));
            }
        }

        using var noGrad = no_grad();
        snapshot = parameters.Select((p, i) => weights[i].to(p.dtype, p.device).clone().DetachFromDisposeScope()).ToList();
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
