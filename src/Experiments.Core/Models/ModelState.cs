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
}
