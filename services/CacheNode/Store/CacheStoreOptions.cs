using System.ComponentModel.DataAnnotations;

namespace Microservices.CacheNode.Store;

/// <summary>Configuration of a cache node (section <c>CacheNode</c>).</summary>
public sealed class CacheStoreOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "CacheNode";

    /// <summary>The node's name; the AppHost sets it to the resource name.</summary>
    [Required(AllowEmptyStrings = false)]
    public string NodeName { get; set; } = string.Empty;

    /// <summary>Memory limit in bytes, counting keys, values and per-entry overhead. Default 256 MiB.</summary>
    [Range(64 * 1024L, long.MaxValue)]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Largest value accepted, in bytes. Default 1 MiB; at most 15 MiB, so a stored entry fits every message that
    /// carries it (<see cref="ServiceDefaults.GrpcLimits.MaxConfigurableValueBytes"/>): a larger one could be
    /// written but never read back, scanned or copied.
    /// </summary>
    [Range(1, ServiceDefaults.GrpcLimits.MaxConfigurableValueBytes)]
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How far ahead of this node's clock a write's version timestamp may be; a write further ahead is refused
    /// (INVALID_ARGUMENT), so no version from a clock far off (or made up) can outrank every later write. Keep it
    /// the same as the gateways' <c>Gateway:MaxClockOffset</c>. Default 500 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MaxClockOffset { get; set; } = ServiceDefaults.HybridTime.DefaultMaxClockOffset;

    /// <summary>
    /// How long a tombstone is kept after the delete, and the marker of an expired value after it expired (see
    /// <see cref="CacheStore"/>). Default 10 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan TombstoneGracePeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the sweeper reclaims expired values and old tombstones. Default 1 s: expired values are never
    /// returned, and eviction takes expired ones first, so the sweep only gives memory back sooner.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Entries each shard's expiry sweep examines per interval. Default 256.</summary>
    [Range(1, 1_000_000)]
    public int SweepBatch { get; set; } = 256;
}
