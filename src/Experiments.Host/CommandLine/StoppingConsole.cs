using Spectre.Console;
using Spectre.Console.Rendering;

namespace Experiments.Hosting;

/// <summary>
/// The console of a run, which a stop (a signal) may have taken away: once <paramref name="stopping"/> is cancelled,
/// output that cannot be written (EIO from a terminal that was closed, a pipe whose reader went with it) is dropped,
/// with everything after it, so that the run is still recorded as interrupted and its result files written. Before a
/// stop, such a failure propagates as it always did.
/// </summary>
internal sealed class StoppingConsole(IAnsiConsole inner, CancellationToken stopping) : IAnsiConsole
{
    /// <summary>A closed terminal fails the write (EIO) a moment before its SIGHUP is handled; this long is waited for it.</summary>
    private static readonly TimeSpan HangupGrace = TimeSpan.FromSeconds(2);

    private volatile bool lost;

    public Profile Profile => inner.Profile;

    public IAnsiConsoleCursor Cursor => inner.Cursor;

    public IAnsiConsoleInput Input => inner.Input;

    public IExclusivityMode ExclusivityMode => inner.ExclusivityMode;

    public RenderPipeline Pipeline => inner.Pipeline;

    public void Clear(bool home) => Guard(() => inner.Clear(home));

    public void WriteAnsi(Action<AnsiWriter> action) => Guard(() => inner.WriteAnsi(action));

    public void Write(IRenderable renderable) => Guard(() => inner.Write(renderable));

    private void Guard(Action write)
    {
        if (lost)
        {
            return;
        }

        try
        {
            write();
        }
        catch (IOException) when (stopping.WaitHandle.WaitOne(HangupGrace))
        {
            lost = true;
        }
    }
}
