namespace Experiments.Tests;

/// <summary>
/// The test classes that run no other test beside them: those that start a <see cref="GcPressure"/> thread (it would
/// make every test running at the same time collect garbage all the time) and those that run TorchSharp's own
/// temporary-Scalar code on purpose, as the reference the library's kept-Scalar code must equal bit for bit
/// (another test's allocations could free one of its Scalars while libtorch reads it; see Experiments.Torch.Scalars).
/// xunit runs this collection after the others, one class at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneWithTorchSharp
{
    public const string Name = "Alone with TorchSharp's temporary Scalars";
}
