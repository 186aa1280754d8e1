namespace Microservices.LogCollector.Windows;

/// <summary>What the windows keep of one accepted log entry.</summary>
/// <param name="Service">Emitting service ("unknown" when it was empty).</param>
/// <param name="Second">Unix second of the entry's timestamp.</param>
/// <param name="IsError">ERROR or FATAL.</param>
/// <param name="ResponseTimeMs">Response time in milliseconds, 0 to 24 h; 0 = not a request.</param>
/// <param name="ErrorKey">For errors, what top-error counts group by; otherwise null.</param>
internal readonly record struct AcceptedEntry(string Service, long Second, bool IsError, double ResponseTimeMs, ErrorKey? ErrorKey);
