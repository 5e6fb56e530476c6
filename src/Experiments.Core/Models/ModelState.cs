using TorchSharp;
using static TorchSharp.torch;

namespace Experiments.Models;

/// <summary>One entry of a model's state: a parameter or a buffer (batch norm's running statistics), as float32.</summary>
/// <param name="Name">The entry's name in <c>state_dict()</c>, e.g. <c>conv1.weight</c> or <c>bn1.running_mean</c>.</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="Values">The values, row-major (integer buffers such as <c>num_batches_tracked</c> converted to float).</param>
/// <param name="IsParameter">True for a trainable parameter, false for a buffer.</param>
public sealed record StateEntry(string Name, IReadOnlyList<long> Shape, float[] Values, bool IsParameter);

/// <summary>A trained model's full state (every parameter and buffer), copied out of the model: what the run history keeps.</summary>
public sealed record ModelState(IReadOnlyList<StateEntry> Entries)
{
    /// <summary>Trainable parameters in the state (every element of every parameter entry).</summary>
    public long ParameterCount => Entries.Where(e => e.IsParameter).Sum(e => (long)e.Values.Length);

    /// <summary>
    /// Copies every entry of <paramref name="model"/>'s <c>state_dict()</c> (parameters and buffers, in its order) to
    /// float arrays on the CPU. A copy: the model may be disposed afterwards.
    /// </summary>
    public static ModelState Capture(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parameterNames = model.named_parameters().Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var entries = new List<StateEntry>();
        foreach (var (name, tensor) in model.state_dict())
        {
            var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            entries.Add(new StateEntry(name, tensor.shape.ToArray(), cpu.data<float>().ToArray(), parameterNames.Contains(name)));
        }

        return new ModelState(entries);
    }

    /// <summary>
    /// Loads this state into <paramref name="model"/>, which must have the same entries (names and shapes); each is
    /// converted back to the entry's own dtype and device.
    /// </summary>
    public void Restore(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.state_dict();
        if (state.Count != Entries.Count)
        {
            throw new ArgumentException($"The model has {state.Count} state entries, but this state has {Entries.Count}", nameof(model));
        }

        foreach (var entry in Entries)
        {
            if (!state.TryGetValue(entry.Name, out var target) || !target.shape.SequenceEqual(entry.Shape))
            {
                throw new ArgumentException($"The model has no state entry '{entry.Name}' of shape [{string.Join(", ", entry.Shape)}]", nameof(model));
            }

            target.copy_(tensor(entry.Values).reshape(entry.Shape.ToArray()).to(target.dtype, target.device));
        }
    }
}
