using Google.Protobuf.WellKnownTypes;
using Microservices.Cache.V1;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Caching;

/// <summary>Touch: sliding expiration, a later expiry for the value a key holds now.</summary>
public sealed partial class CacheService
{
    /// <summary>
    /// Reads <paramref name="key"/> of <paramref name="tenant"/> at <paramref name="level"/> and, when it holds a live
    /// value, asks its replicas to move that version's expiry to now + <paramref name="ttl"/> (never earlier, never for
    /// another version: a write after the read wins). Returns the read, the live entry read (null: nothing to touch,
    /// or the read's level was not met) and the touch (null when none was sent). No origin load: a miss stays a miss.
    /// <paramref name="atLeast"/> bounds the read as a session's Get (0 = no session).
    /// </summary>
    public async Task<(ReplicaRead Read, Entry? Value, ReplicaTouch? Touch)> TouchAsync(
        string tenant, string key, TimeSpan ttl, ConsistencyLevel level, long atLeast, CancellationToken cancellationToken)
    {
        var storedKey = StoredKey(tenant, key);
        using var activity = Start("cache.touch", storedKey, level);
        var read = await coordinator.ReadAsync(storedKey, level, atLeast, cancellationToken);
        var now = time.GetUtcNow();
        if (!read.Satisfied || !IsLive(read.Newest, now.ToUnixTimeMilliseconds(), out _))
        {
            Record(activity, "touch", read.Answered, read.Failures.Count);
            return (read, null, null);
        }

        var touch = await coordinator.TouchAsync(storedKey, read.Newest.Version, Timestamp.FromDateTimeOffset(now + ttl), level);
        Record(activity, "touch", touch.Answered, touch.Failures.Count);
        activity?.SetTag("cache.touched", touch.Touched);
        return (read, read.Newest, touch);
    }
}
