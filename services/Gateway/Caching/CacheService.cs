using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microservices.Cache.V1;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Replication;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Caching;

/// <summary>
/// The gateway's application layer: what a tenant's Get, Put, Invalidate, Delete, MultiGet and MultiPut do, below
/// the gRPC mapping and above replication. It owns the rules the calls share: keys are stored in the tenant's
/// namespace (<see cref="StoredKey"/>); every write is stamped here (hybrid logical clock) before it goes anywhere;
/// a miss is loaded from the origin (cache-aside, <see cref="CacheAside"/>); a write goes to the origin first when
/// the policy is WriteThrough (to the durable write-back log when WriteBack), then to the replicas; and a Delete
/// removes the row (or logs its delete) before it writes the tombstone. It
/// answers with the replicas' outcome (<see cref="ReplicaRead"/>, <see cref="ReplicaWrite"/>); the caller maps an
/// unmet level to a status. An origin that fails is UNAVAILABLE (<see cref="OriginAccess.Unavailable"/>), and
/// nothing reaches the cache then.
/// </summary>
public sealed partial class CacheService(
    ReplicaCoordinator coordinator, OriginAccess origin, GatewayTelemetry telemetry, TimeProvider time, CacheAside? cacheAside = null,
    WriteBack.WriteBackLog? writeBack = null)
{
    /// <summary>True when Puts write the origin database first (WriteThrough): a failed cache write leaves it written.</summary>
    public bool WritesThrough => origin.WritesThrough;

    /// <summary>True when Puts go to the write-back log first (WriteBack): a failed cache write leaves it logged for the origin.</summary>
    public bool WritesBack => origin.WritesBack;

    /// <summary>The write-back log when the policy is WriteBack; null otherwise.</summary>
    public WriteBack.WriteBackLog? WriteBackLog => origin.WritesBack ? writeBack : null;

    /// <summary>Origin queries made for misses, since start (0 without an origin).</summary>
    public long OriginLoads => cacheAside?.Loads ?? 0;

    /// <summary>Misses that joined an origin query in flight, since start.</summary>
    public long SharedOriginLoads => cacheAside?.SharedLoads ?? 0;

    /// <summary>The key as stored in the cluster: the tenant's namespace, then the user's key ("tenant/key").</summary>
    public static string StoredKey(string tenant, string key) => $"{tenant}/{key}";

    /// <summary>
    /// True when <paramref name="entry"/> is a value a Get returns: not null, not a tombstone (a delete, or a node's
    /// marker of an expired value), not expired at <paramref name="nowMs"/>. An expiry that is not a valid Timestamp
    /// (no node stores one) is taken as expired. <paramref name="expiresAtMs"/> is long.MaxValue without expiry.
    /// </summary>
    public static bool IsLive([NotNullWhen(true)] Entry? entry, long nowMs, out long expiresAtMs)
    {
        expiresAtMs = long.MaxValue;
        return entry is not null && !entry.Tombstone
            && (entry.ExpiresAt is null
                || (ProtoTime.TryToUnixMilliseconds(entry.ExpiresAt, "expires_at", out expiresAtMs) is null && expiresAtMs > nowMs));
    }

    /// <summary>
    /// Reads <paramref name="key"/> of <paramref name="tenant"/> at <paramref name="level"/>. When enough replicas
    /// answered and none holds a live value, loads it from the origin (cache-aside) and writes it to the replicas.
    /// Returns the read, and the live entry (null for a miss) with where it came from. With a session,
    /// <paramref name="atLeast"/> is the timestamp of the newest version of the key the client has seen (0 = none):
    /// replicas older than that are not an answer (<see cref="ReplicaCoordinator.CatchUpAsync"/>).
    /// </summary>
    public async Task<(ReplicaRead Read, Entry? Value, bool FromOrigin)> GetAsync(
        string tenant, string key, ConsistencyLevel level, long atLeast, CancellationToken cancellationToken)
    {
        var storedKey = StoredKey(tenant, key);
        var keyHash = KeyHash.Of(storedKey);
        using var activity = Start("cache.get", keyHash, level);
        var writes = cacheAside?.Observe(storedKey) ?? default;
        var read = await coordinator.CatchUpAsync(
            storedKey, level, await coordinator.ReadAsync(storedKey, keyHash, level, cancellationToken), atLeast, cancellationToken);
        Record(activity, "get", read.Answered, read.Failures.Count);
        if (!read.Satisfied)
        {
            return (read, null, false);
        }

        var value = IsLive(read.Newest, time.GetUtcNow().ToUnixTimeMilliseconds(), out _) ? read.Newest : null;
        var fromOrigin = false;
        if (value is null && cacheAside is not null)
        {
            // Cache-aside: a miss is loaded from the origin (one query per key in flight) and written to the replicas.
            try
            {
                value = await cacheAside.LoadAsync(tenant, key, storedKey, keyHash, level, writes, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw OriginAccess.Unavailable("Get", ex);
            }

            fromOrigin = value is not null;
        }

        telemetry.RecordLookup(value is null ? "miss" : fromOrigin ? "origin" : "hit");
        activity?.SetTag("cache.found", value is not null);
        activity?.SetTag("cache.source", value is null ? "none" : fromOrigin ? "Origin" : "Cache");
        return (read, value, fromOrigin);
    }

    private static Activity? Start(string operation, string storedKey, ConsistencyLevel level)
    {
        var activity = GatewayTelemetry.Source.StartActivity(operation);
        return activity is null ? null : Tag(activity, KeyHash.Of(storedKey), level);
    }

    // A span of a key whose hash is taken already (the read or write uses it too).
    private static Activity? Start(string operation, ulong keyHash, ConsistencyLevel level)
    {
        var activity = GatewayTelemetry.Source.StartActivity(operation);
        return activity is null ? null : Tag(activity, keyHash, level);
    }

    private static Activity Tag(Activity activity, ulong keyHash, ConsistencyLevel level)
    {
        activity.SetTag("cache.key_hash", keyHash.ToString("x16", CultureInfo.InvariantCulture));
        activity.SetTag("cache.consistency", level.ToString());
        return activity;
    }

    private void Record(Activity? activity, string operation, int answered, int failed)
    {
        activity?.SetTag("cache.replicas_answered", answered);
        activity?.SetTag("cache.replicas_failed", failed);
        telemetry.RecordReplicaErrors(failed);
        telemetry.RecordRequest(operation, failed == 0 ? "ok" : "degraded");
    }
}
