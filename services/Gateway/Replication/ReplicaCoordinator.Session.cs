using System.Globalization;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Session reads: a read that must return a version at least as new as one the client has already seen (its session
/// token's entry for the key), for read-your-writes and monotonic reads at any level and through any gateway. A
/// replica whose answer is older is not an answer: further readable own replicas are asked, the stale ones are
/// repaired, and when none has caught up the read is not satisfied (<see cref="ReplicaRead.Behind"/>).
/// </summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>
    /// Reads <paramref name="key"/> at <paramref name="level"/>, as <see cref="ReadAsync(string, ConsistencyLevel, CancellationToken)"/>,
    /// and then makes sure the answer is at least as new as <paramref name="atLeast"/> (a hybrid-logical-clock
    /// timestamp; 0 = no such bound) with <see cref="CatchUpAsync"/>.
    /// </summary>
    public async Task<ReplicaRead> ReadAsync(string key, ConsistencyLevel level, long atLeast, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(key, level, cancellationToken).ConfigureAwait(false);
        return await CatchUpAsync(key, level, read, atLeast, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="read"/> itself when it is not satisfied, or its newest version is at least
    /// <paramref name="atLeast"/> (by timestamp). Otherwise the replicas it asked are behind the session: every
    /// readable own replica is asked; when one holds a version that new, that is the answer, and the replicas that
    /// hold an older one get it (at ONE in the background; at QUORUM and ALL before the answer, as a read repair, and
    /// the read fails when too few can take it). When none has it, the read is not satisfied, and says so naming
    /// <paramref name="atLeast"/> and what each replica holds. When none holds anything of the key (evicted or
    /// purged everywhere), the answer is a miss.
    /// </summary>
    public async Task<ReplicaRead> CatchUpAsync(string key, ConsistencyLevel level, ReplicaRead read, long atLeast, CancellationToken cancellationToken)
    {
        if (atLeast <= 0 || !read.Satisfied || (read.Newest is { } newestRead && newestRead.Version.Timestamp >= atLeast))
        {
            return read;
        }

        var failures = new List<string>();
        var own = membership.View.Replicas(KeyHash.Of(key), ReplicationFactor);
        var candidates = Readable(own, failures, out _);
        var answers = await ReplicaCalls.GatherAsync(candidates, candidates.Length,
            static (node, read) => read.Calls.GetAsync(node, read.Key, read.CancellationToken),
            (Calls: calls, Key: key, CancellationToken: cancellationToken), failures, cancellationToken).ConfigureAwait(false);

        Entry? newest = null;
        foreach (var (_, reply) in answers)
        {
            newest = Versions.Newer(newest, reply.Entry);
        }

        // No readable replica holds anything of the key: it was evicted, or its delete purged, everywhere. That is a
        // miss, not an older version, as for any read (a Get then loads it from the origin).
        var required = Consistency.Required(level, own.Length);
        if (newest is null)
        {
            telemetry.RecordSessionCatchUp("miss");
            return new ReplicaRead(null, answers.Count, required, failures);
        }

        if (newest.Version.Timestamp < atLeast)
        {
            telemetry.RecordSessionCatchUp("behind");
            var held = answers.Select(a => $"{a.Node.Name}: {(a.Reply.Entry?.Version is { } v ? $"{v.Timestamp}@{v.Writer}" : "nothing")}");
            return read with
            {
                Behind = string.Create(CultureInfo.InvariantCulture,
                    $"no readable replica has caught up with the session's version {atLeast} of this key ({string.Join(", ", held.Concat(failures))}); retry later, or drop the session token to read what the replicas hold"),
            };
        }

        telemetry.RecordSessionCatchUp("caught_up");
        clock.Observe(newest.Version.Timestamp);
        List<ClusterNode>? stale = null;
        foreach (var (node, reply) in answers)
        {
            if (!IsStale(reply.Entry, newest))
            {
                continue;
            }

            if (level == ConsistencyLevel.One)
            {
                RepairIfStale(node, reply.Entry, newest);
            }
            else
            {
                (stale ??= []).Add(node);
            }
        }

        var unrepaired = stale is null
            ? null
            : await RepairBeforeAnsweringAsync(newest, answers.Count - stale.Count, stale, [], required).ConfigureAwait(false);
        return new ReplicaRead(newest, answers.Count, required, failures, unrepaired);
    }
}
