namespace Microservices.Gateway.WriteBack;

/// <summary>
/// The write-back log holds as many unflushed writes (or bytes) as it may: the write was refused before anything
/// was applied. The caller answers RESOURCE_EXHAUSTED with <see cref="RetryAfter"/>.
/// </summary>
public sealed class WriteBackFullException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>When trying again is worth it: the flusher's next retry when the origin fails, else 1 s.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
