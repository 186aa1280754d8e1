namespace Microservices.Gateway.WriteBack;

/// <summary>
/// The write-back log and its flusher (section <c>Origin:WriteBack</c>), used when <c>Origin:WritePolicy</c> is
/// <c>WriteBack</c>. Limits are checked at start by <see cref="Origin.OriginOptionsValidator"/>.
/// </summary>
public sealed class WriteBackOptions
{
    /// <summary>
    /// Folder of the log's segment files, absolute or relative to the content root. Empty = <c>writeback</c> under
    /// <c>Gateway:DataPath</c>; one of the two must be set for WriteBack.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Most writes held in the log and not yet in the origin; over it Puts get RESOURCE_EXHAUSTED. 1 to 10,000,000; default 100,000.</summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Most bytes of log records not yet in the origin; over it Puts get RESOURCE_EXHAUSTED. 64 KiB to 16 GiB; default 256 MiB.</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>A segment file is closed and a new one begun past this size; closed segments are deleted once flushed. 64 KiB to 1 GiB; default 16 MiB.</summary>
    public long SegmentBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Most log records the flusher writes to the origin in one transaction. 1 to 10,000; default 500.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>First wait before a failed batch is tried again; doubled (with jitter) each time. 10 ms to 1 min; default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between tries of a failed batch. RetryBaseDelay to 10 min; default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Health turns Degraded when the oldest write not yet in the origin is older than this. 1 s to 1 day; default 30 s.</summary>
    public TimeSpan LagThreshold { get; set; } = TimeSpan.FromSeconds(30);
}
