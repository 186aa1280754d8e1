using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Reads and writes a key on its replicas: the first N distinct nodes clockwise from the key's hash. Writes go to
/// all N in parallel and are acknowledged after W succeed; reads ask R (more when some fail) and keep the newest
/// version. Versions are stamped here: a hybrid-logical-clock timestamp, this gateway's id, and a version vector
/// of one counter per gateway.
/// </summary>
public sealed partial class ReplicaCoordinator(
    ClusterMembership membership, HybridLogicalClock clock, IOptions<GatewayOptions> options, NodeCalls calls,
    HintStore hints, GatewayTelemetry telemetry)
{
    private readonly string _writer = options.Value.GatewayId;
    private long _writes;
    private long _readRepairs;
    private long _batchReads;

    private int N => membership.ReplicationFactor;

    /// <summary>A new version for a write by this gateway.</summary>
    public ProtoVersion Stamp() => new()
    {
        Timestamp = clock.Next(),
        Writer = _writer,
        Vector = { new VersionCounter { Writer = _writer, Counter = (ulong)Interlocked.Increment(ref _writes) } },
    };

    /// <summary>
    /// Reads <paramref name="key"/> (already namespaced) at <paramref name="level"/>: R reachable replicas, the next
    /// ones when a call fails. Replicas that answered with an older version (or none) are repaired in the
    /// background with the newest one.
    /// </summary>
    public async Task<ReplicaRead> ReadAsync(string key, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var view = membership.View;
        var hash = KeyHash.Of(key);
        var required = Consistency.Required(level, N, view.ReplicaCount(N));
        var failures = new List<string>();
        var answers = await ReplicaCalls.GatherAsync(view.Reachable(hash), required, required,
            node => calls.GetAsync(node, key, cancellationToken), failures, observe: null, cancellationToken).ConfigureAwait(false);

        Entry? newest = null;
        foreach (var (_, reply) in answers)
        {
            newest = Versions.Newer(newest, reply.Entry);
        }

        if (newest is not null)
        {
            clock.Observe(newest.Version.Timestamp);
            RepairStale(newest, answers, view, hash);
        }

        return new ReplicaRead(newest, answers.Count, required, failures);
    }

    /// <summary>
    /// Writes <paramref name="entry"/> (namespaced key, stamped version; a tombstone for a delete) and waits for
    /// <paramref name="level"/>'s number of acknowledgements. Sloppy quorum: a DOWN or failing replica is replaced
    /// by the next reachable node on the ring, and a hint keeps the write for the replica until it is back. During
    /// a membership change the write also goes to the key's owners under the new ring.
    /// </summary>
    public async Task<ReplicaWrite> WriteAsync(Entry entry, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var (preferred, owners, targets, initial) = PlanWrite(membership.View, entry);
        var required = Consistency.Required(level, N, preferred.Length);
        var failures = new List<string>();

        // Stragglers are not cancelled with the caller: a write keeps going to every replica it can reach.
        var answers = await ReplicaCalls.GatherAsync(targets, initial, required,
            node => calls.PutAsync(node, entry),
            failures,
            (node, error) =>
            {
                if (error is not null && owners.Contains(node))
                {
                    hints.Add(node.Name, entry);
                }
            },
            CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);

        var acknowledged = new List<string>(answers.Count);
        foreach (var (node, reply) in answers)
        {
            // A replica that holds a newer version has not lost this write: it was superseded. No room is a failure.
            if (reply.NoRoom)
            {
                failures.Add($"{node.Name}: no room");
            }
            else
            {
                acknowledged.Add(node.Name);
            }
        }

        return new ReplicaWrite(acknowledged, required, preferred.Length, failures);
    }

    /// <summary>
    /// Where a write goes: the first N reachable nodes on the ring from the key (replicas, and stand-ins for the
    /// unreachable ones), plus during a change the owners under the new ring: the <c>initial</c> targets; then the
    /// further reachable nodes, for when a call fails. Owners not among the initial targets get a hint now.
    /// </summary>
    private (ClusterNode[] Preferred, ClusterNode[] Owners, List<ClusterNode> Targets, int Initial) PlanWrite(ClusterView view, Entry entry)
    {
        var hash = KeyHash.Of(entry.Key);
        var preferred = view.Replicas(hash, N);
        var reachable = view.Reachable(hash);
        var targets = reachable.Take(preferred.Length).ToList();
        targets.AddRange(view.PendingOwners(hash, N, targets).Where(node => node.IsReachable));
        var initial = targets.Count;
        var owners = preferred.Concat(view.PendingOwners(hash, N, preferred)).ToArray();
        foreach (var owner in owners)
        {
            if (!targets.Contains(owner))
            {
                hints.Add(owner.Name, entry);
            }
        }

        targets.AddRange(reachable.Skip(preferred.Length).Where(node => !targets.Contains(node)));
        return (preferred, owners, targets, initial);
    }

    // Read repair: replicas of the key that answered an older version, or none, get the newest in the background.
    private void RepairStale(Entry newest, List<(ClusterNode Node, GetResponse Reply)> answers, ClusterView view, ulong hash)
    {
        ClusterNode[]? preferred = null;
        foreach (var (node, reply) in answers)
        {
            if (IsStale(reply.Entry, newest) && (preferred ??= view.Replicas(hash, N)).Contains(node))
            {
                Repair(node, newest);
            }
        }
    }

    // A replica's answer is stale when it has no entry or an older version than the newest seen.
    private static bool IsStale(Entry? held, Entry newest) => held is null || Versions.Compare(held.Version, newest.Version) < 0;

    private void Repair(ClusterNode node, Entry newest)
    {
        telemetry.RecordReadRepair();
        Interlocked.Increment(ref _readRepairs);
        _ = calls.PutAsync(node, newest)
            .ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Read repairs started, since start.</summary>
    public long ReadRepairs => Interlocked.Read(ref _readRepairs);
}
