namespace Microservices.Gateway.Origin;

/// <summary>No connection became free within the acquire timeout.</summary>
public sealed class ConnectionPoolTimeoutException : TimeoutException
{
    /// <summary>Creates the exception with a message that gives the pool's state.</summary>
    public ConnectionPoolTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception without details.</summary>
    public ConnectionPoolTimeoutException()
    {
    }

    /// <summary>Creates the exception with an inner one.</summary>
    public ConnectionPoolTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
