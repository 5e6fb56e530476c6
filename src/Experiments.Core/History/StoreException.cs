namespace Experiments.History;

/// <summary>
/// The run history cannot be used: it is missing, corrupt, from a newer version of the framework, or cannot be
/// written. The message names the file and says what to do; the file itself is never changed or deleted.
/// </summary>
public sealed class StoreException : Exception
{
    public StoreException(string message)
        : base(message)
    {
    }

    public StoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StoreException()
    {
    }
}
