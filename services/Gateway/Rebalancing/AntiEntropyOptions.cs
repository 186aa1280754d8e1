namespace Microservices.Gateway.Rebalancing;

/// <summary>Anti-entropy: background comparison and repair of replicas (section <c>Gateway:AntiEntropy</c>).</summary>
public sealed class AntiEntropyOptions
{
    /// <summary>Configuration section name, under <see cref="GatewayOptions.Section"/>.</summary>
    public const string Section = "AntiEntropy";

    /// <summary>Whether passes run in the background, one every <see cref="Interval"/>. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time from the end of one background pass to the start of the next; 1 s to 1 day. Default 1 min.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Ranges (ring arcs, or sub-ranges being narrowed) compared per second, averaged, with a burst of one second's
    /// worth; 1 to 1,000,000,000. Default 100 (a ring of 3 nodes with 160 virtual nodes each, 480 arcs, in about 5 s).
    /// </summary>
    public int RangesPerSecond { get; set; } = 100;

    /// <summary>
    /// Bytes of entries scanned and written per second, averaged, with a burst of one second's worth; at least
    /// 65,536. Default 4 MiB.
    /// </summary>
    public long BytesPerSecond { get; set; } = 4L * 1024 * 1024;
}
