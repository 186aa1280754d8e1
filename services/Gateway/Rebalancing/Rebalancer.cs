using System.Collections.Concurrent;
using Grpc.Core;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Rebalancing;

/// <summary>
/// Moves data between two rings. The ring is cut at every position of either ring into arcs; on each arc the
/// preference list before and after the change is known. Nodes that join an arc's list (targets) receive its
/// entries, values and tombstones, streamed with CacheNode.Scan from every node of the old list that can still
/// answer (sources). Reading from all of them, not one, brings every write that reached any survivor; versions
/// make the copies idempotent. Scan pages and the MultiPut batches to targets are bounded in bytes as well as in
/// entries, so any entry a node holds fits every message. A move that cannot copy everything fails: an arc that no
/// source could read, or a target that refused a batch, is an error naming them, never a smaller count.
/// </summary>
public sealed partial class Rebalancer(IOptions<GatewayOptions> options, TimeProvider time, ILogger<Rebalancer> logger)
{
    // Deadline of each MultiPut to a new replica, and the longest wait for a Scan page: a few replica timeouts.
    private readonly TimeSpan _callTimeout = options.Value.ReplicaTimeout * 5;
    private readonly TimeProvider _time = time;

    /// <summary>
    /// Copies to the new replicas of every arc whose preference list changes from <paramref name="before"/> to
    /// <paramref name="after"/>, reading from <paramref name="sources"/>. Returns the entries written to new replicas,
    /// each counted once per new replica however many sources sent it.
    /// </summary>
    /// <exception cref="RpcException">
    /// UNAVAILABLE when some arc could be read from none of its old replicas, or a target failed a batch;
    /// RESOURCE_EXHAUSTED when a target had no room for copies. Copies already made stay (they are harmless).
    /// </exception>
    public async Task<long> MoveAsync(
        HashRing before, HashRing after, IReadOnlyDictionary<string, ClusterNode> sources,
        IReadOnlyDictionary<string, ClusterNode> targets, CancellationToken cancellationToken)
    {
        var n = options.Value.ReplicationFactor;
        var arcs = ChangedArcs(before, after, n);
        var progress = new Progress();
        RpcException? failure = null;

        // The first target that fails stops the other copies: the move has failed.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAll(RangesBySource(arcs, sources).Select(async pair =>
        {
            try
            {
                await new Copy(this, sources[pair.Key], before, after, targets, n, progress, stop.Token).RunAsync(pair.Value).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Stopped because another copy failed; that failure is the one reported.
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
                await stop.CancelAsync().ConfigureAwait(false);
            }
        })).ConfigureAwait(false);

        if (failure is not null)
        {
            throw failure;
        }

        ThrowIfUnread(arcs, sources, progress.Unreadable);
        return progress.Moved;
    }

    // The arcs (start, end] on which some node joins the preference list, with the nodes that held them before.
    private static List<Arc> ChangedArcs(HashRing before, HashRing after, int n)
    {
        var cuts = before.Positions.ToArray().Concat(after.Positions.ToArray()).Distinct().Order().ToArray();
        var arcs = new List<Arc>();
        for (var i = 0; i < cuts.Length; i++)
        {
            var end = cuts[i];
            var old = before.PreferenceNames(end, n);
            if (after.PreferenceNames(end, n).Except(old, StringComparer.Ordinal).Any())
            {
                arcs.Add(new Arc(i == 0 ? cuts[^1] : cuts[i - 1], end, old));
            }
        }

        return arcs;
    }

    // For each source, the arcs it held before (adjacent arcs merged).
    private static Dictionary<string, List<Cache.V1.HashRange>> RangesBySource(List<Arc> arcs, IReadOnlyDictionary<string, ClusterNode> sources)
    {
        var result = new Dictionary<string, List<Cache.V1.HashRange>>(StringComparer.Ordinal);
        foreach (var arc in arcs)
        {
            foreach (var owner in arc.Owners.Where(sources.ContainsKey))
            {
                var list = result.TryGetValue(owner, out var l) ? l : result[owner] = [];
                if (list.Count > 0 && list[^1].End == arc.Start)
                {
                    list[^1].End = arc.End;
                }
                else
                {
                    list.Add(new Cache.V1.HashRange { Start = arc.Start, End = arc.End });
                }
            }
        }

        return result;
    }

    // Every arc that held data (had owners) must have been read whole from at least one of them.
    private static void ThrowIfUnread(List<Arc> arcs, IReadOnlyDictionary<string, ClusterNode> sources, ConcurrentDictionary<string, string> unreadable)
    {
        var unread = arcs.Where(arc => arc.Owners.Length > 0 && !arc.Owners.Any(o => sources.ContainsKey(o) && !unreadable.ContainsKey(o))).ToList();
        if (unread.Count == 0)
        {
            return;
        }

        var owners = unread.SelectMany(arc => arc.Owners).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(o => $"{o}: {(unreadable.TryGetValue(o, out var why) ? why : "not reachable")}");
        throw new RpcException(new Status(StatusCode.Unavailable,
            $"{unread.Count} arcs could be read from none of their replicas ({string.Join("; ", owners)})"));
    }

    private sealed record Arc(ulong Start, ulong End, string[] Owners);

    // What the copies of one move share: the sources that could not be read (and why), and the entries each target
    // received, by key hash, so an entry read from several sources counts once.
    private sealed class Progress
    {
        private readonly ConcurrentDictionary<string, HashSet<ulong>> _delivered = new(StringComparer.Ordinal);
        private long _moved;

        public ConcurrentDictionary<string, string> Unreadable { get; } = new(StringComparer.Ordinal);

        public long Moved => Interlocked.Read(ref _moved);

        public void Delivered(string target, ulong keyHash)
        {
            var keys = _delivered.GetOrAdd(target, _ => []);
            bool added;
            lock (keys)
            {
                added = keys.Add(keyHash);
            }

            if (added)
            {
                Interlocked.Increment(ref _moved);
            }
        }
    }
}
