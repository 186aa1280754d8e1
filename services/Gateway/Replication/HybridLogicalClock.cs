using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// A hybrid logical clock (<see cref="HybridTime"/>: unix milliseconds in the high 48 bits and a counter in the low
/// 16). Every value it issues is greater than the last, even when the wall clock stalls or steps back, and stays
/// close to wall time. <see cref="Observe"/> folds in a timestamp seen elsewhere, so this gateway's next write
/// orders after it, but only one at most <see cref="GatewayOptions.MaxClockOffset"/> ahead of this gateway's wall
/// clock: a timestamp from further ahead (a node's clock far off, or a version written with a made-up time) is
/// not taken, so it cannot drag every later write into the future or make the clock overflow.
/// </summary>
public sealed class HybridLogicalClock(TimeProvider time, IOptions<GatewayOptions> options)
{
    private readonly TimeSpan _maxOffset = options.Value.MaxClockOffset;
    private long _last;
    private ClockOffset _offset = ClockOffset.Unmeasured;

    /// <summary>
    /// This gateway's last measured offset from the cache nodes' clocks (<see cref="ClockOffsetMonitor"/>); while it
    /// is <see cref="ClockOffset.Beyond"/> the limit, <see cref="Next"/> refuses to stamp.
    /// </summary>
    public ClockOffset Offset
    {
        get => Volatile.Read(ref _offset);
        set => Volatile.Write(ref _offset, value);
    }

    /// <summary>
    /// The next timestamp: greater than every one issued or observed before. Throws UNAVAILABLE (naming the offset)
    /// while this gateway's clock is beyond the limit from the cache nodes' (<see cref="Offset"/>): a write stamped
    /// then could order wrongly against another gateway's, so it is refused, not stamped.
    /// </summary>
    public long Next()
    {
        if (Offset is { Beyond: true } offset)
        {
            RpcErrors.Throw(global::Grpc.Core.StatusCode.Unavailable, $"writes are refused by this gateway: {offset.Describe()}; " +
                "correct its clock (NTP) or use another gateway");
        }

        var wall = HybridTime.FromWallMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = wall > last ? wall : last + 1;
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>
    /// Makes later timestamps greater than <paramref name="timestamp"/>, when it is at most the maximum clock
    /// offset ahead of wall time. Returns false (and changes nothing) for one further ahead.
    /// </summary>
    public bool Observe(long timestamp)
    {
        if (!HybridTime.IsWithinOffset(timestamp, time.GetUtcNow().ToUnixTimeMilliseconds(), _maxOffset))
        {
            return false;
        }

        var last = Volatile.Read(ref _last);
        while (timestamp > last)
        {
            var seen = Interlocked.CompareExchange(ref _last, timestamp, last);
            if (seen == last)
            {
                return true;
            }

            last = seen;
        }

        return true;
    }
}
