using TorchSharp;

namespace Experiments.Torch;

/// <summary>
/// Numbers handed to TorchSharp, kept alive for as long as libtorch reads them.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107 passes every number of a tensor operation (<c>t.mul_(0.9)</c>, <c>t.add_(u)</c>'s implicit
/// <c>alpha: 1</c>, <c>t / 255</c>) to libtorch as a <see cref="Scalar"/>: a managed object that owns a native
/// <c>c10::Scalar</c> and that nothing disposes. Once its handle has been read the object is garbage, so a garbage
/// collection started by another thread while the native call runs (a progress display, a parallel test, the user's
/// host) can collect it, and the finalizer thread frees the native value while libtorch is still reading it. The
/// symptom is a random failure deep in training: "For integral input tensors, argument alpha must not be a floating
/// point number" in <c>BatchNorm.forward</c>, or a failed check in <c>AdamW.step</c>. TorchSharp has no
/// <c>GC.KeepAlive</c> there (dotnet/TorchSharp#1434 and #1496 are open).
/// </para>
/// <para>
/// So code in this library never lets a number become a Scalar implicitly: it holds one for the whole call
/// (<c>using var rate = lr.ToScalar(); p.add_(g, alpha: rate);</c>, disposed after the call returns) or uses a
/// constant from here, which lives as long as the process. The optimizers and the batch normalization this library
/// trains with are its own for the same reason (TorchSharp's create such temporaries on every step).
/// </para>
/// </remarks>
internal static class Scalars
{
    /// <summary>The integer 1: the <c>alpha</c> of a plain <c>add_</c>/<c>sub_</c>, and a counter's increment.</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>The integer 0.</summary>
    public static Scalar Zero { get; } = 0.ToScalar();
}
