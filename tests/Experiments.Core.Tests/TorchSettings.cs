using System.Runtime.CompilerServices;

namespace Experiments.Core.Tests;

internal static class TorchSettings
{
    /// <summary>
    /// One math thread, as the runner uses by default: test classes run in parallel, and torch's worker threads
    /// spin-wait when the cores are busy (measured: the blog recipe takes 1.2 s on one thread, 9-45 s on two
    /// while other work runs).
    /// </summary>
    [ModuleInitializer]
    internal static void UseOneThread() => TorchSharp.torch.set_num_threads(1);
}
