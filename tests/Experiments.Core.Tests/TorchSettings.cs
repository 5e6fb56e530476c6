using System.Runtime.CompilerServices;

// Test classes do not run in parallel: torch's global random generator is shared by the process, and a class that
// creates a module (nn.Linear draws its initial weights from it) between another's manual_seed and its model would
// change that model's weights and break its "same seed, same result" assertions now and then.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Experiments.Core.Tests;

internal static class TorchSettings
{
    /// <summary>
    /// One math thread, as the runner uses by default: other test assemblies run beside this one, and torch's worker
    /// threads spin-wait when the cores are busy (measured: the blog recipe takes 1.2 s on one thread, 9-45 s on two
    /// while other work runs).
    /// </summary>
    [ModuleInitializer]
    internal static void UseOneThread() => TorchSharp.torch.set_num_threads(1);
}
