namespace Microservices.Gateway.RateLimiting;

/// <summary>
/// The tokens this gateway holds for one tenant, leased in advance from the tenant's bucket at the limiter
/// (<c>RateLimiter.Lease</c>), so that a request takes one here without a call, as Doorman's clients hold capacity
/// leases. Leased tokens are gone from the bucket, so every gateway together never admits more than the bucket
/// grants; tokens not used within <see cref="RateLimitOptions.LeaseLifetime"/> of the last grant are dropped.
/// <para>
/// Sizing: a lease asks for the tenant's recent rate (tokens used per second between grants, smoothed) times a
/// quarter of the lifetime, at least 1 and at most a tenth of the bucket's capacity, so that several gateways share
/// a burst and a holder never sits on much of it. A new lease is asked for when half the last one is used.
/// Nothing is leased until the limiter has told the bucket's capacity, nor for a bucket under
/// <see cref="MinCapacity"/> tokens, where one token held is too large a share: those requests all ask the limiter.
/// A grant of none tells the bucket is empty: requests are then denied here until the limiter's retry_after.
/// </para>
/// Thread-safe: one short lock per tenant, held for a few arithmetic steps.
/// </summary>
internal sealed class LeasedTokens(TimeProvider time, TimeSpan lifetime)
{
    // After a failed lease call the next one waits this long (requests meanwhile go to the limiter one by one).
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private long _tokens;
    private long _expiresAt;
    private long _emptyUntil;
    private long _nextRefillAt;
    private bool _refilling;
    private long _lowWater;
    private long _usedSinceGrant;
    private long _grantedAt;
    private double _rate;
    private long _maxLease;

    /// <summary>The smallest bucket leased from (a lease is then at most 2 tokens).</summary>
    public const long MinCapacity = 20;

    /// <summary>What <see cref="TryTake"/> found.</summary>
    public enum Take
    {
        /// <summary>A held token was taken: the request is admitted.</summary>
        Taken,

        /// <summary>The bucket was empty at the last grant and has no token yet: the request is denied.</summary>
        Empty,

        /// <summary>No token held: the limiter decides the request.</summary>
        None,
    }

    /// <summary>
    /// Takes one held token. <paramref name="refill"/> tells the caller to lease more now (it then must call
    /// <see cref="Granted"/> or <see cref="Failed"/>); <paramref name="retryAfter"/> is set for <see cref="Take.Empty"/>.
    /// </summary>
    public Take TryTake(out bool refill, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        retryAfter = TimeSpan.Zero;
        lock (_gate)
        {
            if (_tokens > 0 && now >= _expiresAt)
            {
                _tokens = 0;
            }

            var outcome = Take.None;
            if (_tokens > 0)
            {
                _tokens--;
                _usedSinceGrant++;
                outcome = Take.Taken;
            }
            else if (now < _emptyUntil)
            {
                retryAfter = time.GetElapsedTime(now, _emptyUntil);
                outcome = Take.Empty;
            }
            else
            {
                _usedSinceGrant++;
            }

            refill = !_refilling && _maxLease > 0 && _tokens <= _lowWater && now >= _nextRefillAt && outcome != Take.Empty;
            _refilling |= refill;
            return outcome;
        }
    }

    /// <summary>
    /// Takes a held token for a request the limiter denied (its bucket was empty at that instant, while this
    /// gateway still held some of it). False when none is held.
    /// </summary>
    public bool TryTakeHeld()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_tokens <= 0 || now >= _expiresAt)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }

    /// <summary>Learns the bucket's capacity from a limiter's answer; leasing starts once it is known and large enough.</summary>
    public void Capacity(long capacity)
    {
        lock (_gate)
        {
            _maxLease = MaxLease(capacity);
        }
    }

    // A tenth of the capacity; nothing for a bucket too small to lease from.
    private static long MaxLease(long capacity) => capacity >= MinCapacity ? capacity / 10 : 0;

    /// <summary>Tokens to ask for in the next lease.</summary>
    public long NextSize()
    {
        lock (_gate)
        {
            var wanted = Math.Ceiling(_rate * lifetime.TotalSeconds / 4);
            return (long)Math.Clamp(wanted, 1, Math.Min(_maxLease, int.MaxValue));
        }
    }

    /// <summary>
    /// Adds a lease of <paramref name="granted"/> tokens from a bucket of <paramref name="capacity"/>; a grant of
    /// none marks the bucket empty for <paramref name="retryAfter"/>.
    /// </summary>
    public void Granted(long granted, long capacity, TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            var elapsed = _grantedAt == 0 ? 0 : time.GetElapsedTime(_grantedAt, now).TotalSeconds;
            if (elapsed > 0)
            {
                var recent = _usedSinceGrant / Math.Max(elapsed, 0.001);
                _rate = _rate == 0 ? recent : (_rate + recent) / 2;
            }

            _grantedAt = now;
            _usedSinceGrant = 0;
            _maxLease = MaxLease(capacity);
            _refilling = false;
            if (granted > 0)
            {
                _tokens += granted;
                _expiresAt = now + (long)(lifetime.TotalSeconds * time.TimestampFrequency);
                _lowWater = _tokens / 2;
                _emptyUntil = 0;
            }
            else
            {
                _emptyUntil = now + (long)(retryAfter.TotalSeconds * time.TimestampFrequency);
            }
        }
    }

    /// <summary>The lease call failed: held tokens stay until they expire; the next lease waits a second.</summary>
    public void Failed()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _refilling = false;
            _nextRefillAt = now + (long)(RetryInterval.TotalSeconds * time.TimestampFrequency);
        }
    }

    /// <summary>Tokens held now (expired ones dropped), for metrics and tests.</summary>
    public long Held
    {
        get
        {
            var now = time.GetTimestamp();
            lock (_gate)
            {
                return now >= _expiresAt ? 0 : _tokens;
            }
        }
    }
}
