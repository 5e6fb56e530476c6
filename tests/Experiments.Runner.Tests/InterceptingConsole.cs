using Spectre.Console;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Experiments.Runner.Tests;

/// <summary>
/// A wide test console whose writes go through <see cref="Write(IRenderable)"/>, so that a test can make them fail
/// (a broken pipe, a closed terminal) at the moment it chooses.
/// </summary>
internal abstract class InterceptingConsole : IAnsiConsole
{
    protected TestConsole Inner { get; } = new TestConsole().Width(250);

    public string Output => Inner.Output;

    public Profile Profile => Inner.Profile;

    public IAnsiConsoleCursor Cursor => Inner.Cursor;

    public IAnsiConsoleInput Input => Inner.Input;

    public IExclusivityMode ExclusivityMode => Inner.ExclusivityMode;

    public RenderPipeline Pipeline => Inner.Pipeline;

    public void Clear(bool home) => Inner.Clear(home);

    public void WriteAnsi(Action<AnsiWriter> action) => Inner.WriteAnsi(action);

    public abstract void Write(IRenderable renderable);
}
