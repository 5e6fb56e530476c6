namespace Experiments.History;

/// <summary>
/// A command asked the run history for something it does not hold or that cannot be read as asked (a run id, an
/// experiment, a <c>--baseline</c>). The message says what was asked and what exists; the commands print it and
/// exit with the usage error code.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UsageException()
    {
    }
}
