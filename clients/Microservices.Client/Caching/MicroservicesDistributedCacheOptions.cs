using System.ComponentModel.DataAnnotations;
using Microservices.Gateway.V1;

namespace Microservices.Client.Caching;

/// <summary>
/// How <see cref="MicroservicesDistributedCache"/> uses the gateway's Cache, bound from
/// <c>Microservices:DistributedCache</c>. The connection itself (address, API key, deadline, retries) is the Cache
/// client's: <c>Microservices:Cache</c>.
/// </summary>
public sealed class MicroservicesDistributedCacheOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Microservices:DistributedCache";

    /// <summary>
    /// Put before every key, so several caches can share one tenant (for example <c>"orders:"</c>). Default empty.
    /// The gateway limits the whole key to 250 UTF-8 bytes.
    /// </summary>
    [MaxLength(200)]
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>
    /// Consistency of every call. Default <see cref="Consistency.Unspecified"/>: the gateway's default, QUORUM, so a
    /// read sees the last acknowledged write.
    /// </summary>
    public Consistency Consistency { get; set; } = Consistency.Unspecified;

    /// <summary>
    /// Time to live of an entry set without any expiration. Default (and at most) 30 days, the gateway's longest TTL:
    /// an entry that "never expires" in <c>IDistributedCache</c> terms lives that long, unless evicted first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DefaultExpiration { get; set; } = TimeSpan.FromDays(30);
}
