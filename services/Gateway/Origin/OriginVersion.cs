namespace Microservices.Gateway.Origin;

/// <summary>
/// The version of the write that last changed an origin row: the same hybrid-logical-clock timestamp and writer
/// (gateway id) the cache nodes store, ordered the same way (timestamp, then writer, ordinal). An origin write is
/// applied only when its version is newer than the row's, so the origin and the cache keep the same last write.
/// Rows typed in by hand carry <see cref="None"/>, older than any write.
/// </summary>
/// <param name="Timestamp">Hybrid logical clock: unix milliseconds in the high 48 bits, a counter in the low 16.</param>
/// <param name="Writer">The gateway that stamped it.</param>
public readonly record struct OriginVersion(long Timestamp, string Writer)
{
    /// <summary>The version of a row no gateway wrote: older than every stamped one.</summary>
    public static OriginVersion None { get; } = new(0, string.Empty);
}
