namespace Microservices.Gateway.Replication;

/// <summary>
/// This gateway's clock offset from the cache nodes', as last measured: the median over the nodes that answered
/// (<see cref="OffsetMs"/>, positive when the nodes' clocks are ahead of this gateway's), how many answered, how many
/// of them were beyond <see cref="LimitMs"/> even allowing for half the round trip, and whether that is a majority
/// (<see cref="Beyond"/>: then this gateway refuses to stamp writes).
/// </summary>
public sealed record ClockOffset(long OffsetMs, int Measured, int BeyondLimit, long LimitMs)
{
    /// <summary>No measurement yet (or none of the nodes answered): nothing is refused.</summary>
    public static ClockOffset Unmeasured { get; } = new(0, 0, 0, 0);

    /// <summary>True when a majority of the nodes measured are further than <see cref="LimitMs"/> from this gateway's clock.</summary>
    public bool Beyond => Measured > 0 && BeyondLimit > Measured / 2;

    /// <summary>A sentence for errors, logs and the health check.</summary>
    public string Describe() => Measured == 0
        ? "clock offset not measured yet"
        : $"this gateway's clock is {Math.Abs(OffsetMs)} ms {(OffsetMs > 0 ? "behind" : "ahead of")} the cache nodes' (median of {Measured}; " +
          $"{BeyondLimit} of {Measured} beyond {LimitMs} ms, half of Gateway:MaxClockOffset)";
}
