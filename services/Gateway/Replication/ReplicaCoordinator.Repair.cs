using Microservices.Cache.V1;
using Microservices.Gateway.Membership;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Read repair. After a read at ONE, a replica that answered an older version than the newest seen, or none, gets
/// the newest in the background. A QUORUM or ALL read repairs before it answers (blocking read repair, as Cassandra
/// does since 4.0, CASSANDRA-10726): two reads at QUORUM share a replica, so once one has answered a version, every
/// later one sees it or a newer one (monotonic reads), even when the version came from a write that failed. Reads
/// whose replicas agree do nothing of this.
/// </summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>Stale replicas written back (in the background or before a read answered), since start.</summary>
    public long ReadRepairs => Interlocked.Read(ref _readRepairs);

    private static bool IsStale(Entry? held, Entry newest) => Versions.IsStale(held, newest);

    private void RepairIfStale(ClusterNode node, Entry? held, Entry newest)
    {
        if (IsStale(held, newest))
        {
            telemetry.RecordReadRepair("async");
            Interlocked.Increment(ref _readRepairs);
            _ = RepairAsync(node, newest);
        }
    }

    // Never throws: a repair that fails leaves the replica stale until the next read, its hints or its resync, and
    // says so in the log (the failure detector has heard of the call already).
    private async Task RepairAsync(ClusterNode node, Entry newest)
    {
        try
        {
            await calls.PutAsync(node, newest).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogRepairFailed(logger, node.Name, ex.Message);
        }
    }

    /// <summary>
    /// Writes <paramref name="newest"/> to the <paramref name="stale"/> replicas a read asked, then, while fewer than
    /// <paramref name="required"/> hold it (<paramref name="holding"/> already do), to as many of
    /// <paramref name="spare"/> (the readable own replicas it did not ask, in order) as are still needed. A replica
    /// holds it when it took it, or already holds it or a newer version. Returns null once enough hold it, else what
    /// fell short ("wrote the newest version to 1 of the 2 replicas needed (node-2: Unavailable)"). Never throws; the
    /// writes are not cancelled with the read, as no write is.
    /// </summary>
    private async Task<string?> RepairBeforeAnsweringAsync(
        Entry newest, int holding, IReadOnlyList<ClusterNode> stale, ArraySegment<ClusterNode> spare, int required)
    {
        var failures = new List<string>();
        holding += await WriteBackAsync(newest, stale, failures).ConfigureAwait(false);
        while (holding < required && spare.Count > 0)
        {
            var next = spare[..Math.Min(required - holding, spare.Count)];
            spare = spare[next.Count..];
            holding += await WriteBackAsync(newest, next, failures).ConfigureAwait(false);
        }

        if (holding >= required)
        {
            telemetry.RecordBlockedRead("repaired");
            return null;
        }

        telemetry.RecordBlockedRead("unavailable");
        var shortfall = $"wrote the newest version to {holding} of the {required} replicas needed"
            + (failures.Count > 0 ? $" ({string.Join(", ", failures)})" : string.Empty);
        LogBlockingRepairFailed(logger, shortfall);
        return shortfall;
    }

    // Writes to every node in parallel; returns how many hold it now, and adds why the others do not to failures.
    private async Task<int> WriteBackAsync(Entry newest, IReadOnlyList<ClusterNode> nodes, List<string> failures)
    {
        var outcomes = new Task<string?>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            telemetry.RecordReadRepair("blocking");
            Interlocked.Increment(ref _readRepairs);
            outcomes[i] = WriteBackAsync(nodes[i], newest);
        }

        var holding = 0;
        foreach (var failure in await Task.WhenAll(outcomes).ConfigureAwait(false))
        {
            if (failure is null)
            {
                holding++;
            }
            else
            {
                failures.Add(failure);
            }
        }

        return holding;
    }

    // Null when the node holds the entry or a newer version; else why not.
    private async Task<string?> WriteBackAsync(ClusterNode node, Entry newest)
    {
        try
        {
            var reply = await calls.PutAsync(node, newest).ConfigureAwait(false);
            return reply.NoRoom ? $"{node.Name}: no room" : null;
        }
        catch (Exception ex)
        {
            return ReplicaCalls.Describe(node, ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "A read found its replicas disagreeing and could not repair enough of them before answering: it {Reason}; the read is UNAVAILABLE")]
    private static partial void LogBlockingRepairFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Read repair of {Node} failed ({Reason}); the replica stays stale until its next read, hints or resync")]
    private static partial void LogRepairFailed(ILogger logger, string node, string reason);
}
