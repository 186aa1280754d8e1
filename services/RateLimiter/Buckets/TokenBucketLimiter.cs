using System.Collections.Concurrent;

namespace Microservices.RateLimiter.Buckets;

/// <summary>
/// Token buckets by key. Lookups are lock-free (a concurrent dictionary); each decision locks only its own
/// bucket. Buckets that have refilled to capacity carry no information and are evicted by <see cref="EvictFull"/>
/// (run periodically, and on demand when the table is at its maximum), so memory is bounded by active keys and
/// never exceeds <c>maxBuckets</c>. Eviction is safe under concurrency: a bucket is marked evicted under its lock,
/// and a caller that finds it so looks the key up again, which yields a fresh, full bucket: the same state.
/// </summary>
public sealed class TokenBucketLimiter
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _sweepLock = new();
    private readonly TimeProvider _time;
    private readonly long _frequency;
    private readonly int _maxBuckets;
    private int _count;

    // A lower bound on the timestamp at which some live bucket becomes full: before it, a sweep cannot evict
    // anything, so a full table answers TooManyBuckets without scanning. Sweeps set it exactly; between sweeps,
    // taking tokens only delays a bucket's fill, and new buckets and limit changes lower it to `now`.
    private long _nextFullAt = long.MaxValue;

    /// <summary>Creates a limiter holding at most <paramref name="maxBuckets"/> live buckets.</summary>
    public TokenBucketLimiter(TimeProvider time, int maxBuckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBuckets, 1);
        _time = time;
        _frequency = time.TimestampFrequency;
        _maxBuckets = maxBuckets;
    }

    /// <summary>Live buckets now.</summary>
    public int LiveBuckets => Volatile.Read(ref _count);

    /// <summary>
    /// Takes <paramref name="tokens"/> (1 to the limit's capacity) from the bucket of <paramref name="key"/>,
    /// all or nothing. A bucket is created full on first use; a different <paramref name="limit"/> for an existing
    /// bucket applies from this call on and clamps its tokens to the new capacity.
    /// </summary>
    public AcquireResult TryAcquire(string key, BucketLimit limit, long tokens) => Take(key, limit, tokens, upTo: false);

    /// <summary>
    /// Takes as many whole tokens as the bucket of <paramref name="key"/> holds, up to <paramref name="tokens"/>
    /// (1 to the limit's capacity), for a caller that hands them out itself (a lease): allowed with
    /// <see cref="AcquireResult.Taken"/> tokens when at least one was there, denied (nothing taken, retry after the
    /// time to one token) otherwise. Buckets and limits as <see cref="TryAcquire"/>.
    /// </summary>
    public AcquireResult TryLease(string key, BucketLimit limit, long tokens) => Take(key, limit, tokens, upTo: true);

    private AcquireResult Take(string key, BucketLimit limit, long tokens, bool upTo)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, limit.Capacity);
        while (true)
        {
            var now = _time.GetTimestamp();
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                bucket = GetOrCreate(key, limit, now);
                if (bucket is null)
                {
                    return AcquireResult.TooManyBuckets(limit.Capacity);
                }
            }

            if (bucket.TryTake(limit, tokens, upTo, now, _frequency, out var result, out var limitChanged))
            {
                if (limitChanged)
                {
                    // A smaller capacity can make the bucket full sooner than the last sweep saw.
                    LowerNextFullAt(now);
                }

                return result;
            }
        }
    }

    /// <summary>
    /// The bucket of <paramref name="key"/> as of now, under its own limit, without taking tokens. A key with no
    /// live bucket is reported full under <paramref name="limit"/>.
    /// </summary>
    public BucketSnapshot Peek(string key, BucketLimit limit)
    {
        while (_buckets.TryGetValue(key, out var bucket))
        {
            if (bucket.TrySnapshot(_time.GetTimestamp(), _frequency, out var snapshot))
            {
                return snapshot;
            }
        }

        return new BucketSnapshot(limit.Capacity, limit, TimeSpan.Zero);
    }

    /// <summary>Forgets the bucket of <paramref name="key"/>, so it is full under <paramref name="limit"/> on next use.</summary>
    public BucketSnapshot Reset(string key, BucketLimit limit)
    {
        if (_buckets.TryRemove(key, out var bucket))
        {
            bucket.Evict();
            Interlocked.Decrement(ref _count);
        }

        return new BucketSnapshot(limit.Capacity, limit, TimeSpan.Zero);
    }

    /// <summary>Evicts every bucket that is full now. Returns how many were evicted.</summary>
    public int EvictFull()
    {
        lock (_sweepLock)
        {
            return EvictFullLocked();
        }
    }

    private int EvictFullLocked()
    {
        var now = _time.GetTimestamp();
        var next = long.MaxValue;
        var evicted = 0;

        // Buckets changed during the scan lower the bound themselves (LowerNextFullAt), after this reset.
        Volatile.Write(ref _nextFullAt, long.MaxValue);
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.TryEvictIfFull(now, _frequency, out var fullAt))
            {
                // Reset may have removed it first; whoever removes it gives the slot back.
                if (_buckets.TryRemove(KeyValuePair.Create(key, bucket)))
                {
                    Interlocked.Decrement(ref _count);
                    evicted++;
                }
            }
            else
            {
                next = Math.Min(next, fullAt);
            }
        }

        LowerNextFullAt(next);
        return evicted;
    }

    private TokenBucket? GetOrCreate(string key, BucketLimit limit, long now)
    {
        if (!TryReserveSlot())
        {
            lock (_sweepLock)
            {
                if (_time.GetTimestamp() >= Volatile.Read(ref _nextFullAt))
                {
                    EvictFullLocked();
                }
            }

            if (!TryReserveSlot())
            {
                return _buckets.TryGetValue(key, out var existing) ? existing : null;
            }
        }

        var fresh = new TokenBucket(limit, now);
        var actual = _buckets.GetOrAdd(key, fresh);
        if (ReferenceEquals(actual, fresh))
        {
            // The last sweep did not see it; `now` is a safe lower bound of when it is full again.
            LowerNextFullAt(now);
        }
        else
        {
            Interlocked.Decrement(ref _count);
        }

        return actual;
    }

    private bool TryReserveSlot()
    {
        if (Interlocked.Increment(ref _count) <= _maxBuckets)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        return false;
    }

    private void LowerNextFullAt(long fullAt)
    {
        var current = Volatile.Read(ref _nextFullAt);
        while (fullAt < current)
        {
            var seen = Interlocked.CompareExchange(ref _nextFullAt, fullAt, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
