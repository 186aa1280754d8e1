using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Replication;

/// <summary>Batches: one call per node per round, results in request order.</summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>
    /// Reads <paramref name="keys"/> (namespaced). Each key is asked of R of its readable own replicas (as for one
    /// read), chosen so the batch reaches as few nodes as it can, grouped into one MultiGet per node; keys whose
    /// replicas failed are asked of their other own replicas in another round (never of stand-ins, as for one read).
    /// Replicas that answered an older version, or none, are repaired as for one read: in the background at ONE,
    /// before the batch answers at QUORUM and ALL (a key whose repair falls short is not satisfied).
    /// </summary>
    public async Task<ReplicaRead[]> ReadManyAsync(IReadOnlyList<string> keys, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var view = membership.View;
        var required = Consistency.Required(level, view.ReplicaCount(ReplicationFactor));
        var candidates = new ClusterNode[keys.Count][];
        var failures = new List<string>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            var own = view.Replicas(KeyHash.Of(keys[i]), ReplicationFactor);
            candidates[i] = Readable(own, failures[i] = [], out _);
        }

        AskFewestNodesFirst(candidates, required, Interlocked.Increment(ref _batchReads));

        var asked = new int[keys.Count];
        var answered = new int[keys.Count];
        var newest = new Entry?[keys.Count];
        var answers = new List<(ClusterNode Node, List<int> Indexes, MultiGetResponse Reply)>();
        while (true)
        {
            var round = new Dictionary<ClusterNode, List<int>>();
            for (var i = 0; i < keys.Count; i++)
            {
                for (var missing = required - answered[i]; missing > 0 && asked[i] < candidates[i].Length; missing--, asked[i]++)
                {
                    var node = candidates[i][asked[i]];
                    (round.TryGetValue(node, out var list) ? list : round[node] = []).Add(i);
                }
            }

            if (round.Count == 0)
            {
                break;
            }

            // The calls run in parallel; their answers are merged here, once all are in.
            foreach (var (node, indexes, reply, error) in await Task.WhenAll(round.Select(pair => AskAsync(pair.Key, pair.Value))).ConfigureAwait(false))
            {
                if (reply is not null)
                {
                    answers.Add((node, indexes, reply));
                }

                for (var j = 0; j < indexes.Count; j++)
                {
                    var i = indexes[j];
                    if (reply is not null)
                    {
                        answered[i]++;
                        newest[i] = Versions.Newer(newest[i], reply.Results[j].Entry);
                    }
                    else
                    {
                        failures[i].Add(ReplicaCalls.Describe(node, error!));
                    }
                }
            }
        }

        foreach (var entry in newest)
        {
            if (entry is not null)
            {
                clock.Observe(entry.Version.Timestamp);
            }
        }

        // At ONE (or short of answers) stale replicas are repaired in the background; at QUORUM and ALL they are
        // gathered per key, only once one is found, and repaired before the batch answers, as for one read.
        var blocking = level != ConsistencyLevel.One;
        List<ClusterNode>?[]? stale = null;
        foreach (var (node, indexes, reply) in answers)
        {
            for (var j = 0; j < indexes.Count; j++)
            {
                var i = indexes[j];
                if (newest[i] is not { } latest)
                {
                    continue;
                }

                if (!blocking || answered[i] < required)
                {
                    RepairIfStale(node, reply.Results[j].Entry, latest);
                }
                else if (IsStale(reply.Results[j].Entry, latest))
                {
                    ((stale ??= new List<ClusterNode>?[keys.Count])[i] ??= []).Add(node);
                }
            }
        }

        string?[]? unrepaired = null;
        if (stale is not null)
        {
            unrepaired = new string?[keys.Count];
            await Task.WhenAll(Enumerable.Range(0, keys.Count).Where(i => stale[i] is not null).Select(async i =>
                unrepaired[i] = await RepairBeforeAnsweringAsync(newest[i]!, answered[i] - stale[i]!.Count, stale[i]!,
                    new ArraySegment<ClusterNode>(candidates[i], asked[i], candidates[i].Length - asked[i]), required).ConfigureAwait(false)))
                .ConfigureAwait(false);
        }

        var reads = new ReplicaRead[keys.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = new ReplicaRead(newest[i], answered[i], required, failures[i], unrepaired?[i]);
        }

        return reads;

        async Task<(ClusterNode Node, List<int> Indexes, MultiGetResponse? Reply, Exception? Error)> AskAsync(ClusterNode node, List<int> indexes)
        {
            node.BeginRead();
            try
            {
                var reply = await MultiGetAsync(node, indexes, 0, indexes.Count).ConfigureAwait(false);
                calls.Observe(node, null);
                return (node, indexes, reply, null);
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                calls.Observe(node, ex);
                return (node, indexes, null, ex);
            }
            finally
            {
                node.EndRead();
            }
        }

        // Keys indexes[start..start+count] from one node. Answers that do not fit one message (the node or this
        // gateway refuses them with RESOURCE_EXHAUSTED) are asked for in halves: nothing is wrong with the node.
        async Task<MultiGetResponse> MultiGetAsync(ClusterNode node, List<int> indexes, int start, int count)
        {
            var request = new MultiGetRequest { IncludeTombstone = true };
            for (var j = start; j < start + count; j++)
            {
                request.Keys.Add(keys[indexes[j]]);
            }

            try
            {
                return await node.Client.MultiGetAsync(request, deadline: calls.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && count > 1)
            {
                var half = count / 2;
                var first = MultiGetAsync(node, indexes, start, half);
                var second = MultiGetAsync(node, indexes, start + half, count - half);
                var reply = await first.ConfigureAwait(false);
                reply.Results.AddRange((await second.ConfigureAwait(false)).Results);
                return reply;
            }
        }
    }

    /// <summary>
    /// Puts first in each key's <paramref name="candidates"/> (its readable own replicas, SUSPECT ones last) the
    /// <paramref name="required"/> of them that a greedy set cover picks, among the ones that are not SUSPECT when
    /// there are enough: the node that holds the most keys still short of replicas, again and again, so a batch at ONE
    /// over three nodes holding every key makes one call instead of three. Ties go to the node after the previous
    /// batch's (<paramref name="turn"/> rotates the start), so the load spreads. The other candidates keep their ring
    /// order behind, for retries.
    /// </summary>
    private static void AskFewestNodesFirst(ClusterNode[][] candidates, int required, long turn)
    {
        var chosen = new int[candidates.Length];
        var counts = new Dictionary<ClusterNode, int>();
        while (true)
        {
            // Among the replicas not yet chosen of the keys still short, how many keys each node would serve.
            counts.Clear();
            for (var i = 0; i < candidates.Length; i++)
            {
                for (var j = chosen[i]; chosen[i] < required && j < Replicas(i); j++)
                {
                    counts[candidates[i][j]] = counts.GetValueOrDefault(candidates[i][j]) + 1;
                }
            }

            if (counts.Count == 0)
            {
                return;
            }

            var best = Best(counts, turn);
            for (var i = 0; i < candidates.Length; i++)
            {
                var at = chosen[i] < required ? Array.IndexOf(candidates[i], best, chosen[i], Replicas(i) - chosen[i]) : -1;
                if (at >= 0)
                {
                    // Shift the ones before it back by one: the rest stay in ring order.
                    Array.Copy(candidates[i], chosen[i], candidates[i], chosen[i] + 1, at - chosen[i]);
                    candidates[i][chosen[i]++] = best;
                }
            }
        }

        // How many of a key's candidates the cover picks from: all but the SUSPECT ones at the end, while enough are
        // left. The cover reorders only these, so the SUSPECT ones stay last.
        int Replicas(int key)
        {
            var count = candidates[key].Length;
            while (count > required && candidates[key][count - 1].State == MemberState.Suspect)
            {
                count--;
            }

            return count;
        }

        static ClusterNode Best(Dictionary<ClusterNode, int> counts, long turn)
        {
            var nodes = counts.Keys.OrderBy(node => node.Name, StringComparer.Ordinal).ToArray();
            var best = nodes[turn % nodes.Length];
            for (var k = 1; k < nodes.Length; k++)
            {
                var node = nodes[(turn + k) % nodes.Length];
                if (counts[node] > counts[best])
                {
                    best = node;
                }
            }

            return best;
        }
    }

    /// <summary>
    /// Writes <paramref name="entries"/> (namespaced, stamped) under the same rules as one write each
    /// (<see cref="WriteFanOut"/>); each node's share of the first round is queued at once, so it goes in as few
    /// MultiPuts as the node batch bounds allow (<see cref="Batching.NodeBatchLimits"/>).
    /// </summary>
    public Task<ReplicaWrite[]> WriteManyAsync(IReadOnlyList<Entry> entries, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var view = membership.View;
        var writes = new WriteFanOut[entries.Count];
        var byNode = new Dictionary<ClusterNode, List<WriteFanOut>>();
        for (var i = 0; i < entries.Count; i++)
        {
            writes[i] = new WriteFanOut(view, entries[i], KeyHash.Of(entries[i].Key), ReplicationFactor, level, hints);
            foreach (var node in writes[i].Start())
            {
                (byNode.TryGetValue(node, out var list) ? list : byNode[node] = []).Add(writes[i]);
            }
        }

        foreach (var (node, share) in byNode)
        {
            var replies = calls.PutManyAsync(node, share.ConvertAll(write => write.Entry));
            for (var j = 0; j < share.Count; j++)
            {
                _ = FollowAsync(share[j], node, replies[j]);
            }
        }

        return Task.WhenAll(writes.Select(write => write.Decided)).WaitAsync(cancellationToken);
    }
}
