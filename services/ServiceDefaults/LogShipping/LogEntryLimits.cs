namespace Microservices.ServiceDefaults.LogShipping;

/// <summary>
/// What the log collector accepts of one entry (logs.proto), shared so that shippers send only what it keeps.
/// </summary>
public static class LogEntryLimits
{
    /// <summary>Longest message kept whole, in UTF-8 bytes; longer ones are counted as truncated. Shippers cut here.</summary>
    public const int MaxMessageBytes = 4096;

    /// <summary>Largest response time, in milliseconds: 24 h. Longer entries are rejected; shippers record at most this.</summary>
    public const double MaxResponseTimeMs = 24 * 60 * 60 * 1000;
}
