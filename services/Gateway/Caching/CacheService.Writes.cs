using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Origin;
using Microservices.Gateway.Replication;
using Microservices.Gateway.WriteBack;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Caching;

/// <summary>Put, Invalidate and Delete: stamped first, then the origin (or the write-back log), then the replicas.</summary>
public sealed partial class CacheService
{
    /// <summary>
    /// Writes <paramref name="entry"/> (value, kind and expiry set; key and version are set here) as
    /// <paramref name="key"/> of <paramref name="tenant"/>. One rule for Put, MultiPut and Delete: stamp first, then
    /// the origin (applied only over an older version), then the replicas (likewise), so both keep the same last
    /// write whatever the interleaving; and no cache-aside load overlapping the write caches what it read. Under
    /// write-back "the origin" is the durable log, which the flusher writes to the origin later by the same rule.
    /// The write descends <paramref name="context"/> (a client's causal context; none for a blind write): its version
    /// is stamped after every counter in it, and its vector holds it. INVALID_ARGUMENT naming `context` when a counter
    /// is further ahead of this gateway's clock than the maximum clock offset; nothing is written then.
    /// <paramref name="policy"/> says what replicas do if it is concurrent with what they hold.
    /// With a <paramref name="condition"/>, the key is read at <paramref name="level"/> first and the write is
    /// refused (FAILED_PRECONDITION) when the condition does not hold; otherwise it goes out carrying the condition
    /// for each replica to check again (<see cref="CheckConditionAsync"/>), and a concurrent conditional write that
    /// a replica took first is overridden (<see cref="SettleRaceAsync"/>; the outcome's <c>Written</c> is then the
    /// version that holds).
    /// </summary>
    public async Task<ReplicaWrite> PutAsync(
        string tenant, string key, Entry entry, ConsistencyLevel level, WriteCondition? condition, CancellationToken cancellationToken,
        CausalContext? context = null, ConflictPolicy policy = ConflictPolicy.LastWriterWins)
    {
        entry.Key = StoredKey(tenant, key);
        var keyHash = KeyHash.Of(entry.Key);
        using var activity = Start("cache.put", keyHash, level);
        if (context is { Entries.Count: > 0 } && !coordinator.Observe(context))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "context holds a timestamp more than the maximum clock offset (Gateway:MaxClockOffset) ahead of this gateway's clock: send back a context this cache returned"));
        }

        using var writing = cacheAside?.BeginWrite([entry.Key]);
        var past = await CheckConditionAsync("Put", entry.Key, level, condition, cancellationToken);
        entry.Version = coordinator.Stamp(past is null ? context : context?.Join(past) ?? past);
        entry.KeepSiblings = policy == ConflictPolicy.Siblings;
        entry.Precondition = condition?.ToPrecondition();
        if (origin.WritesThrough || WriteBackLog is not null)
        {
            await WriteOriginAsync(tenant, [(key, entry)], cancellationToken);
        }

        var write = await SettleRaceAsync(entry, await coordinator.WriteAsync(entry, keyHash, level, cancellationToken), level, cancellationToken);
        Record(activity, "put", write.AcknowledgedBy.Count, write.Failures.Count);
        RecordConflict(activity, write, policy);
        return write;
    }

    /// <summary>
    /// Removes <paramref name="key"/> of <paramref name="tenant"/> from the cache alone: a tombstone at
    /// <paramref name="level"/>, under <paramref name="condition"/> as a Put.
    /// </summary>
    public async Task<ReplicaWrite> InvalidateAsync(
        string tenant, string key, ConsistencyLevel level, WriteCondition? condition, CancellationToken cancellationToken)
    {
        var storedKey = StoredKey(tenant, key);
        using var activity = Start("cache.invalidate", storedKey, level);
        var past = await CheckConditionAsync("Invalidate", storedKey, level, condition, cancellationToken);
        var tombstone = new Entry { Key = storedKey, Tombstone = true, Version = coordinator.Stamp(past), Precondition = condition?.ToPrecondition() };
        var write = await SettleRaceAsync(tombstone, await coordinator.WriteAsync(tombstone, level, cancellationToken), level, cancellationToken);
        Record(activity, "invalidate", write.AcknowledgedBy.Count, write.Failures.Count);
        RecordConflict(activity, write, ConflictPolicy.LastWriterWins);
        return write;
    }

    /// <summary>
    /// Deletes <paramref name="key"/> of <paramref name="tenant"/> from the origin, then writes its tombstone at
    /// QUORUM. Stamped first, as a Put; if the origin fails, the cache is untouched and the caller can retry.
    /// Under write-back the delete goes into the log, in order with the Puts, and <c>Existed</c> is read from the
    /// log's pending write of the key or else the origin. FAILED_PRECONDITION without an origin database. A
    /// <paramref name="condition"/> is checked against the cache (read at QUORUM) before the origin is touched, and
    /// sent with the tombstone, as for a Put; the origin row itself has no causal context.
    /// </summary>
    public async Task<(bool Existed, ReplicaWrite Write)> DeleteAsync(
        string tenant, string key, WriteCondition? condition, CancellationToken cancellationToken)
    {
        var store = origin.Require("Delete");
        var storedKey = StoredKey(tenant, key);
        using var activity = Start("cache.delete", storedKey, ConsistencyLevel.Quorum);
        using var writing = cacheAside?.BeginWrite([storedKey]);
        var past = await CheckConditionAsync("Delete", storedKey, ConsistencyLevel.Quorum, condition, cancellationToken);
        var tombstone = new Entry { Key = storedKey, Tombstone = true, Version = coordinator.Stamp(past), Precondition = condition?.ToPrecondition() };
        bool existed;
        try
        {
            existed = WriteBackLog is { } log
                ? await DeleteBackAsync(log, store, tenant, key, tombstone.Version, cancellationToken)
                : await store.DeleteAsync(tenant, key, ToOrigin(tombstone.Version), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not RpcException)
        {
            throw OriginAccess.Unavailable("Delete", ex);
        }

        var write = await SettleRaceAsync(
            tombstone, await coordinator.WriteAsync(tombstone, ConsistencyLevel.Quorum, cancellationToken), ConsistencyLevel.Quorum, cancellationToken);
        Record(activity, "delete", write.AcknowledgedBy.Count, write.Failures.Count);
        RecordConflict(activity, write, ConflictPolicy.LastWriterWins);
        return (existed, write);
    }

    // WriteThrough: the origin before the cache, all rows in one transaction, each with the version it carries to
    // the replicas; on failure nothing reaches the cache. WriteBack: the write-back log before the cache, likewise.
    private async Task WriteOriginAsync(string tenant, IReadOnlyList<(string Key, Entry Entry)> items, CancellationToken cancellationToken)
    {
        if (!origin.WritesThrough && WriteBackLog is null)
        {
            return;
        }

        var now = time.GetUtcNow();
        var rows = items.Select(item => new OriginRow(
            tenant, item.Key, item.Entry.Kind == ValueKind.Text, item.Entry.Value.ToByteArray(), now, ToOrigin(item.Entry.Version))).ToArray();
        try
        {
            await (origin.WritesThrough ? origin.Store!.PutAsync(rows, cancellationToken) : LogAsync(WriteBackLog!, rows));
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not RpcException)
        {
            throw OriginAccess.Unavailable("Put", ex);
        }
    }

    private async Task<bool> DeleteBackAsync(
        WriteBackLog log, IOriginStore store, string tenant, string key, Cache.V1.Version version, CancellationToken cancellationToken)
    {
        var existed = log.Pending(tenant, key) is { } pending
            ? !pending.Deleted
            : await store.GetAsync(tenant, key, cancellationToken) is not null;
        await LogAsync(log, [new OriginRow(tenant, key, true, [], time.GetUtcNow(), ToOrigin(version), Deleted: true)]);
        return existed;
    }

    // Appends to the write-back log; a full log is RESOURCE_EXHAUSTED with a retry-after trailer (seconds), as the
    // rate limiter's refusals, and nothing was written.
    private static async Task LogAsync(WriteBackLog log, IReadOnlyList<OriginRow> rows)
    {
        try
        {
            await log.AppendAsync(rows);
        }
        catch (WriteBackFullException full)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(full.RetryAfter.TotalSeconds));
            throw new RpcException(new Status(StatusCode.ResourceExhausted, full.Message),
                new Metadata { { "retry-after", seconds.ToString(CultureInfo.InvariantCulture) } });
        }
    }

    // A write that met a concurrent version on a replica: counted, and an event on its span naming that version.
    private void RecordConflict(Activity? activity, ReplicaWrite write, ConflictPolicy policy)
    {
        if (write.Conflict is not { } conflict)
        {
            return;
        }

        var outcome = conflict.Conflict switch
        {
            ConflictOutcome.Won => "won",
            ConflictOutcome.Lost => "lost",
            _ => "sibling",
        };
        var name = policy == ConflictPolicy.Siblings ? "siblings" : "last_writer_wins";
        telemetry.RecordConflict(name, outcome);
        var concurrent = conflict.ConcurrentWith is { } version
            ? string.Create(CultureInfo.InvariantCulture, $"{version.Timestamp}@{version.Writer}")
            : string.Empty;
        activity?.SetTag("cache.conflict", outcome);
        activity?.AddEvent(new ActivityEvent("cache.conflict", tags: new ActivityTagsCollection
        {
            ["cache.conflict.policy"] = name,
            ["cache.conflict.outcome"] = outcome,
            ["cache.conflict.concurrent_version"] = concurrent,
        }));
    }

    private static OriginVersion ToOrigin(Cache.V1.Version version) => new(version.Timestamp, version.Writer);
}
