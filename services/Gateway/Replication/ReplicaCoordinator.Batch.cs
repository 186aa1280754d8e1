using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Replication;

/// <summary>Batches: one call per node per round, results in request order.</summary>
public sealed partial class ReplicaCoordinator
{
    /// <summary>
    /// Reads <paramref name="keys"/> (namespaced). Each key is asked of R of its N replicas, chosen so the batch
    /// reaches as few nodes as it can, grouped into one MultiGet per node; keys whose replicas failed are asked of
    /// their other replicas, then the stand-ins, in another round. Replicas that answered an older version, or none,
    /// are repaired in the background, as for one read.
    /// </summary>
    public async Task<ReplicaRead[]> ReadManyAsync(IReadOnlyList<string> keys, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var view = membership.View;
        var required = Consistency.Required(level, N, view.ReplicaCount(N));
        var candidates = new ClusterNode[keys.Count][];
        for (var i = 0; i < keys.Count; i++)
        {
            candidates[i] = view.Reachable(KeyHash.Of(keys[i]));
        }

        AskFewestNodesFirst(candidates, required, Interlocked.Increment(ref _batchReads));

        var asked = new int[keys.Count];
        var answered = new int[keys.Count];
        var newest = new Entry?[keys.Count];
        var failures = new List<string>?[keys.Count];
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
                        (failures[i] ??= []).Add(ReplicaCalls.Describe(node, error!));
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

        var preferred = new ClusterNode[]?[keys.Count];
        foreach (var (node, indexes, reply) in answers)
        {
            for (var j = 0; j < indexes.Count; j++)
            {
                var i = indexes[j];
                if (newest[i] is { } latest && IsStale(reply.Results[j].Entry, latest)
                    && (preferred[i] ??= view.Replicas(KeyHash.Of(keys[i]), N)).Contains(node))
                {
                    Repair(node, latest);
                }
            }
        }

        var reads = new ReplicaRead[keys.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            reads[i] = new ReplicaRead(newest[i], answered[i], required, (IReadOnlyList<string>?)failures[i] ?? []);
        }

        return reads;

        async Task<(ClusterNode Node, List<int> Indexes, MultiGetResponse? Reply, Exception? Error)> AskAsync(ClusterNode node, List<int> indexes)
        {
            var request = new MultiGetRequest { IncludeTombstone = true };
            foreach (var i in indexes)
            {
                request.Keys.Add(keys[i]);
            }

            try
            {
                var reply = await node.Client.MultiGetAsync(request, deadline: calls.Deadline(), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                calls.Observe(node, null);
                return (node, indexes, reply, null);
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                calls.Observe(node, ex);
                return (node, indexes, null, ex);
            }
        }
    }

    /// <summary>
    /// Puts first in each key's <paramref name="candidates"/> the <paramref name="required"/> of its replicas (the
    /// first N reachable) that a greedy set cover picks: the node that holds the most keys still short of replicas,
    /// again and again, so a batch at ONE over three nodes holding every key makes one call instead of three. Ties
    /// go to the node after the previous batch's (<paramref name="turn"/> rotates the start), so the load spreads.
    /// The other candidates keep their ring order behind, for retries.
    /// </summary>
    private void AskFewestNodesFirst(ClusterNode[][] candidates, int required, long turn)
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

        // A key's replicas: its first N reachable nodes.
        int Replicas(int key) => Math.Min(N, candidates[key].Length);

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
    /// Writes <paramref name="entries"/> (namespaced, stamped) with one MultiPut per node, to each key's first N
    /// reachable nodes (and new owners during a change); owners not reached get hints, as for one write.
    /// </summary>
    public async Task<ReplicaWrite[]> WriteManyAsync(IReadOnlyList<Entry> entries, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var view = membership.View;
        var preferred = new ClusterNode[entries.Count][];
        var replicas = new ClusterNode[entries.Count][];
        var owners = new ClusterNode[entries.Count][];
        for (var i = 0; i < entries.Count; i++)
        {
            (preferred[i], owners[i], var targets, var initial) = PlanWrite(view, entries[i]);
            replicas[i] = [.. targets.Take(initial)];
        }

        var acknowledged = entries.Select(_ => new List<string>()).ToArray();
        var failures = entries.Select(_ => new List<string>()).ToArray();
        var byNode = new Dictionary<ClusterNode, List<int>>();
        for (var i = 0; i < entries.Count; i++)
        {
            foreach (var node in replicas[i])
            {
                (byNode.TryGetValue(node, out var list) ? list : byNode[node] = []).Add(i);
            }
        }

        await Task.WhenAll(byNode.Select(async pair =>
        {
            var (node, indexes) = pair;
            var request = new MultiPutRequest();
            request.Entries.AddRange(indexes.Select(i => entries[i]));
            try
            {
                var reply = await node.Client.MultiPutAsync(request, deadline: calls.Deadline()).ResponseAsync.ConfigureAwait(false);
                calls.Observe(node, null);
                for (var j = 0; j < indexes.Count; j++)
                {
                    var i = indexes[j];
                    var result = reply.Results[j];
                    lock (acknowledged[i])
                    {
                        if (result.NoRoom)
                        {
                            failures[i].Add($"{node.Name}: no room");
                        }
                        else if (result.Error.Length > 0)
                        {
                            // Refused for good (e.g. a version too far ahead of the node's clock): no hint either.
                            failures[i].Add($"{node.Name}: InvalidArgument ({result.Error})");
                        }
                        else
                        {
                            acknowledged[i].Add(node.Name);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException)
            {
                calls.Observe(node, ex);
                foreach (var i in indexes)
                {
                    lock (acknowledged[i])
                    {
                        failures[i].Add(ReplicaCalls.Describe(node, ex));
                    }

                    if (owners[i].Contains(node))
                    {
                        hints.Add(node.Name, entries[i]);
                    }
                }
            }
        })).WaitAsync(cancellationToken).ConfigureAwait(false);

        return entries.Select((_, i) => new ReplicaWrite(
            acknowledged[i], Consistency.Required(level, N, preferred[i].Length), preferred[i].Length, failures[i])).ToArray();
    }
}
