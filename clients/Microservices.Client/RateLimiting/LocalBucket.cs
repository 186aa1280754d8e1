namespace Microservices.RateLimiting;

/// <summary>
/// One source file, compiled into both the client package and the gateway (linked from Gateway.csproj): the local
/// fallback rule they share. A tenant's (in the client: a partition key's) token bucket in this process, with its
/// policy's capacity and rate: it decides the requests the limiter did not decide in time, and is charged for every request the limiter admitted, so the two together
/// stay near one limit (as envoy's local rate limit and gubernator's non-owner path do). Tokens are a double,
/// refilled lazily from <see cref="TimeProvider"/> timestamps; a charge may leave it in debt down to minus its
/// capacity, and it refuses until it is out of debt. One lock per tenant.
/// </summary>
internal sealed class LocalBucket(TimeProvider time, PolicyLimit limit)
{
    private readonly Lock _gate = new();
    private PolicyLimit _limit = limit;
    private double _tokens = limit.Capacity;
    private long _last = time.GetTimestamp();

    /// <summary>Takes one token if there is one; otherwise says how long until there is.</summary>
    public bool TryTake(PolicyLimit limit, out TimeSpan retryAfter) => TryTake(limit, 1, out retryAfter);

    /// <summary>Takes <paramref name="tokens"/> tokens if there are that many; otherwise says how long until there are.</summary>
    public bool TryTake(PolicyLimit limit, int tokens, out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill(limit);
            if (_tokens >= tokens)
            {
                _tokens -= tokens;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((tokens - _tokens) / _limit.RefillPerSecond);
            return false;
        }
    }

    /// <summary>True when the bucket is full again: it holds nothing a new bucket would not.</summary>
    public bool IsFull(PolicyLimit limit)
    {
        lock (_gate)
        {
            Refill(limit);
            return _tokens >= _limit.Capacity;
        }
    }

    /// <summary>Takes <paramref name="tokens"/> the limiter already granted, into debt if need be.</summary>
    public void Charge(PolicyLimit limit, int tokens)
    {
        lock (_gate)
        {
            Refill(limit);
            _tokens = Math.Max(-_limit.Capacity, _tokens - tokens);
        }
    }

    // Adds what the rate gave since the last access, up to the capacity; a changed limit applies from now on.
    private void Refill(PolicyLimit limit)
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_limit.Capacity, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * _limit.RefillPerSecond));
        _last = now;
        if (limit != _limit)
        {
            _limit = limit;
            _tokens = Math.Min(_tokens, limit.Capacity);
        }
    }
}
