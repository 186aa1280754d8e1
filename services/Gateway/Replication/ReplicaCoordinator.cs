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
    ClusterMembership membership, HybridLogicalClock clock, IOptions<GatewayOptions> options)
{
    private readonly string _writer = options.Value.GatewayId;
    private readonly TimeSpan _timeout = options.Value.ReplicaTimeout;
    private long _writes;

    private int N => membership.ReplicationFactor;

    /// <summary>A new version for a write by this gateway.</summary>
    public ProtoVersion Stamp() => new()
    {
        Timestamp = clock.Next(),
        Writer = _writer,
        Vector = { new VersionCounter { Writer = _writer, Counter = (ulong)Interlocked.Increment(ref _writes) } },
    };

    /// <summary>Reads <paramref name="key"/> (already namespaced) at <paramref name="level"/>.</summary>
    public async Task<ReplicaRead> ReadAsync(string key, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var replicas = membership.View.Replicas(KeyHash.Of(key), N);
        var required = Consistency.Required(level, N, replicas.Length);
        var failures = new List<string>();
        var request = new GetRequest { Key = key, IncludeTombstone = true };
        var answers = await ReplicaCalls.GatherAsync(replicas, required, required,
            node => node.Client.GetAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync,
            failures, cancellationToken).ConfigureAwait(false);

        Entry? newest = null;
        foreach (var (_, reply) in answers)
        {
            newest = Versions.Newer(newest, reply.Entry);
        }

        if (newest is not null)
        {
            clock.Observe(newest.Version.Timestamp);
        }

        return new ReplicaRead(newest, answers.Count, required, failures);
    }

    /// <summary>
    /// Writes <paramref name="entry"/> (namespaced key, stamped version; a tombstone for a delete) to the key's
    /// replicas and waits for <paramref name="level"/>'s number of acknowledgements.
    /// </summary>
    public async Task<ReplicaWrite> WriteAsync(Entry entry, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var replicas = membership.View.Replicas(KeyHash.Of(entry.Key), N);
        var required = Consistency.Required(level, N, replicas.Length);
        var failures = new List<string>();
        var request = new PutRequest { Entry = entry };

        // Stragglers are not cancelled with the caller: a write keeps going to every replica it can reach.
        var answers = await ReplicaCalls.GatherAsync(replicas, replicas.Length, required,
            node => node.Client.PutAsync(request, deadline: Deadline()).ResponseAsync,
            failures, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);

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

        return new ReplicaWrite(acknowledged, required, replicas.Length, failures);
    }

    private DateTime Deadline() => DateTime.UtcNow + _timeout;
}
