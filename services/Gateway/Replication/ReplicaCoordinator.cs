using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Reads and writes a key on its own replicas: the first N distinct nodes clockwise from the key's hash (N is the
/// replication factor, or the number of nodes on a smaller ring). Writes go to all of them in parallel, with stand-ins
/// and hints for those that cannot take it (<see cref="WriteFanOut"/>), and are acknowledged when W own replicas hold
/// them; reads ask R readable own replicas (UP first, SUSPECT last; never DOWN or RECOVERING ones), the next ones when
/// a call fails, and keep the newest version; which UP replicas a read asks first is the <see cref="ReplicaSelector"/>'s
/// choice. Only own replicas count, for reads and writes alike, so R + W &gt; N
/// means a read meets the last acknowledged write. Versions are stamped here: a hybrid-logical-clock timestamp, this
/// gateway's id, and a version vector (<see cref="CausalContext"/>): the write's causal past, its own dot included.
/// </summary>
public sealed partial class ReplicaCoordinator(
    ClusterMembership membership, HybridLogicalClock clock, IOptions<GatewayOptions> options, NodeCalls calls,
    HintStore hints, ReplicaSelector selector, GatewayTelemetry telemetry, ILogger<ReplicaCoordinator> logger)
{
    private readonly string _writer = options.Value.GatewayId;
    private long _readRepairs;
    private long _batchReads;

    private int ReplicationFactor => membership.ReplicationFactor;

    /// <summary>
    /// A new version for a write by this gateway: a fresh timestamp, and a vector holding its own dot (this gateway,
    /// that timestamp) joined with <paramref name="context"/>, the causal past the write descends (none for a blind
    /// write), pruned to <see cref="CausalContext.MaxEntries"/>.
    /// </summary>
    public ProtoVersion Stamp(CausalContext? context = null)
    {
        var timestamp = clock.Next();
        var version = new ProtoVersion { Timestamp = timestamp, Writer = _writer };
        if (context is null || context.Entries.Count == 0)
        {
            version.Vector.Add(new VersionCounter { Writer = _writer, Counter = (ulong)timestamp });
        }
        else
        {
            version.Vector.Add(CausalContext.Of(version).Join(context).Pruned().ToVector());
        }

        return version;
    }

    /// <summary>
    /// Reads <paramref name="key"/> (already namespaced) at <paramref name="level"/>: R of its readable own replicas,
    /// the next ones when a call fails; never a stand-in, which may not hold the key, nor a RECOVERING replica, which
    /// may have restarted empty. Replicas that answered with an older version (or none) get the newest one: at ONE in
    /// the background; at QUORUM and ALL before the read answers (<see cref="RepairBeforeAnsweringAsync"/>), and when
    /// too few replicas can take it the read is not satisfied (<see cref="ReplicaRead.Unrepaired"/>).
    /// </summary>
    public Task<ReplicaRead> ReadAsync(string key, ConsistencyLevel level, CancellationToken cancellationToken) =>
        ReadAsync(key, KeyHash.Of(key), level, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync(string, ConsistencyLevel, CancellationToken)"/>, with the key's hash
    /// (<see cref="KeyHash.Of"/>) already taken.
    /// </summary>
    internal async Task<ReplicaRead> ReadAsync(string key, ulong keyHash, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var own = membership.View.Replicas(keyHash, ReplicationFactor);
        var required = Consistency.Required(level, own.Length);
        var candidates = Readable(own, failures, out var up);
        selector.Order(candidates.AsSpan(0, up));
        var notes = failures.Count;
        var answers = await ReplicaCalls.GatherAsync(candidates, required,
            static (node, read) => read.Calls.GetAsync(node, read.Key, read.CancellationToken),
            (Calls: calls, Key: key, CancellationToken: cancellationToken), failures, cancellationToken).ConfigureAwait(false);

        Entry? newest = null;
        foreach (var (node, reply) in answers)
        {
            newest = Versions.Newer(newest, reply.Entry);
            telemetry.RecordReplicaRead(node.Name);
        }

        if (newest is null)
        {
            return new ReplicaRead(newest, answers.Count, required, failures);
        }

        clock.Observe(newest.Version.Timestamp);
        if (level == ConsistencyLevel.One || answers.Count < required)
        {
            foreach (var (node, reply) in answers)
            {
                RepairIfStale(node, reply.Entry, newest);
            }

            return new ReplicaRead(newest, answers.Count, required, failures);
        }

        // Replicas that agree cost nothing more: the stale ones are gathered only once one is found.
        List<ClusterNode>? stale = null;
        foreach (var (node, reply) in answers)
        {
            if (IsStale(reply.Entry, newest))
            {
                (stale ??= []).Add(node);
            }
        }

        if (stale is null)
        {
            return new ReplicaRead(newest, answers.Count, required, failures);
        }

        // GatherAsync asks candidates in order and returns once every call it started has ended: the ones not asked
        // are those after the answers and the failures it added.
        var asked = answers.Count + failures.Count - notes;
        var unrepaired = await RepairBeforeAnsweringAsync(newest, answers.Count - stale.Count, stale,
            new ArraySegment<ClusterNode>(candidates, asked, candidates.Length - asked), required).ConfigureAwait(false);
        return new ReplicaRead(newest, answers.Count, required, failures, unrepaired);
    }

    /// <summary>
    /// Writes <paramref name="entry"/> (namespaced key, stamped version; a tombstone for a delete) and waits until
    /// <paramref name="level"/>'s number of own replicas hold it, or all of them have answered. Stragglers are not
    /// cancelled with the caller: a write keeps going to every replica it can reach.
    /// </summary>
    public Task<ReplicaWrite> WriteAsync(Entry entry, ConsistencyLevel level, CancellationToken cancellationToken) =>
        WriteAsync(entry, KeyHash.Of(entry.Key), level, cancellationToken);

    /// <summary>
    /// As <see cref="WriteAsync(Entry, ConsistencyLevel, CancellationToken)"/>, with the key's hash
    /// (<see cref="KeyHash.Of"/>) already taken.
    /// </summary>
    internal Task<ReplicaWrite> WriteAsync(Entry entry, ulong keyHash, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var write = new WriteFanOut(membership.View, entry, keyHash, ReplicationFactor, level, hints);
        foreach (var node in write.Start())
        {
            _ = FollowAsync(write, node, calls.PutAsync(node, entry));
        }

        return write.Decided.WaitAsync(cancellationToken);
    }

    // Hears how a write's call went; a node that did not take it is replaced by the next stand-in, and so on. Never
    // throws: every failure of a call is an outcome of the write.
    private async Task FollowAsync(WriteFanOut write, ClusterNode node, Task<PutResponse> call)
    {
        while (true)
        {
            PutResponse? reply = null;
            Exception? error = null;
            try
            {
                reply = await call.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = ex;
            }

            // A newer version is stored there: this gateway's next stamps come after it.
            if (reply is { Applied: false, NoRoom: false, Current: { } current })
            {
                clock.Observe(current.Timestamp);
            }

            if (write.Record(node, reply, error) is not { } next)
            {
                return;
            }

            (node, call) = (next, calls.PutAsync(next, write.Entry));
        }
    }

    // The own replicas a read may ask, in ring order but SUSPECT ones last (the first `up` are not SUSPECT); the
    // others (DOWN, RECOVERING, JOINING) are noted as failures, so they neither answer nor count for the level. States
    // are read once, as they may change. When all are UP, `own` itself is returned.
    private static ClusterNode[] Readable(ClusterNode[] own, List<string> failures, out int up)
    {
        Span<MemberState> states = stackalloc MemberState[own.Length];
        var allUp = true;
        for (var i = 0; i < own.Length; i++)
        {
            states[i] = own[i].State;
            allUp &= states[i] == MemberState.Up;
        }

        if (allUp)
        {
            up = own.Length;
            return own;
        }

        var readable = new List<ClusterNode>(own.Length);
        var suspect = new List<ClusterNode>();
        for (var i = 0; i < own.Length; i++)
        {
            switch (states[i])
            {
                case MemberState.Up or MemberState.Leaving:
                    readable.Add(own[i]);
                    break;
                case MemberState.Suspect:
                    suspect.Add(own[i]);
                    break;
                default:
                    failures.Add($"{own[i].Name}: {states[i].ToString().ToUpperInvariant()}");
                    break;
            }
        }

        up = readable.Count;
        readable.AddRange(suspect);
        return [.. readable];
    }
}
