using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Moves data between two rings. The ring is cut at every position of either ring into arcs; on each arc the
/// preference list before and after the change is known. Nodes that join an arc's list (targets) receive its
/// entries, values and tombstones, streamed with CacheNode.Scan from every node of the old list that can still
/// answer (sources). Reading from all of them, not one, brings every write that reached any survivor; versions
/// make the copies idempotent.
/// </summary>
public sealed partial class Rebalancer(IOptions<GatewayOptions> options, ILogger<Rebalancer> logger)
{
    private const int PageSize = 500;

    /// <summary>
    /// Copies to the new replicas of every arc whose preference list changes from <paramref name="before"/> to
    /// <paramref name="after"/>, reading from <paramref name="sources"/>. Returns the entries written to new replicas.
    /// </summary>
    public async Task<long> MoveAsync(
        HashRing before, HashRing after, IReadOnlyDictionary<string, ClusterNode> sources,
        IReadOnlyDictionary<string, ClusterNode> targets, CancellationToken cancellationToken)
    {
        var n = options.Value.ReplicationFactor;
        var ranges = RangesBySource(before, after, sources.Keys, n);
        var moved = 0L;
        await Task.WhenAll(ranges.Select(async pair =>
        {
            var count = await CopyFromAsync(sources[pair.Key], pair.Value, before, after, targets, n, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref moved, count);
        })).ConfigureAwait(false);
        return moved;
    }

    // For each source, the arcs it held before on which some node joins the preference list (adjacent arcs merged).
    private static Dictionary<string, List<Cache.V1.HashRange>> RangesBySource(HashRing before, HashRing after, IEnumerable<string> sources, int n)
    {
        var cuts = before.Positions.ToArray().Concat(after.Positions.ToArray()).Distinct().Order().ToArray();
        var result = sources.ToDictionary(s => s, _ => new List<Cache.V1.HashRange>(), StringComparer.Ordinal);
        for (var i = 0; i < cuts.Length; i++)
        {
            var end = cuts[i];
            var start = i == 0 ? cuts[^1] : cuts[i - 1];
            var old = before.PreferenceNames(end, n);
            var joined = after.PreferenceNames(end, n).Except(old, StringComparer.Ordinal).Any();
            if (!joined)
            {
                continue;
            }

            foreach (var source in old)
            {
                if (result.TryGetValue(source, out var list))
                {
                    if (list.Count > 0 && list[^1].End == start)
                    {
                        list[^1].End = end;
                    }
                    else
                    {
                        list.Add(new Cache.V1.HashRange { Start = start, End = end });
                    }
                }
            }
        }

        return result.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
    }

    private async Task<long> CopyFromAsync(
        ClusterNode source, List<Cache.V1.HashRange> ranges, HashRing before, HashRing after,
        IReadOnlyDictionary<string, ClusterNode> targets, int n, CancellationToken cancellationToken)
    {
        var request = new ScanRequest { PageSize = PageSize };
        request.Ranges.AddRange(ranges);
        var pending = new Dictionary<string, MultiPutRequest>(StringComparer.Ordinal);
        long written = 0;
        try
        {
            using var scan = source.Client.Scan(request, cancellationToken: cancellationToken);
            await foreach (var page in scan.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var entry in page.Entries)
                {
                    var old = before.PreferenceNames(entry.KeyHash, n);
                    foreach (var target in after.PreferenceNames(entry.KeyHash, n))
                    {
                        if (!old.Contains(target, StringComparer.Ordinal) && targets.ContainsKey(target))
                        {
                            var batch = pending.TryGetValue(target, out var b) ? b : pending[target] = new MultiPutRequest();
                            batch.Entries.Add(entry);
                        }
                    }
                }

                written += await FlushAsync(pending, targets, PageSize, cancellationToken).ConfigureAwait(false);
            }

            written += await FlushAsync(pending, targets, 1, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Another source of the same arcs still copies them; the report counts what arrived.
            LogSourceFailed(source.Name, ex.StatusCode);
        }

        return written;
    }

    private async Task<long> FlushAsync(
        Dictionary<string, MultiPutRequest> pending, IReadOnlyDictionary<string, ClusterNode> targets, int threshold, CancellationToken cancellationToken)
    {
        long applied = 0;
        foreach (var (target, batch) in pending)
        {
            if (batch.Entries.Count < threshold || batch.Entries.Count == 0)
            {
                continue;
            }

            // A page of up to 500 entries gets a few replica timeouts; a scan itself runs as long as its ranges need.
            var deadline = DateTime.UtcNow + (options.Value.ReplicaTimeout * 5);
            var reply = await targets[target].Client.MultiPutAsync(batch, deadline: deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
            applied += reply.Results.Count(r => r.Applied);
            batch.Entries.Clear();
        }

        return applied;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scan of {Node} failed during a rebalance ({Status}); its arcs come from the other replicas")]
    private partial void LogSourceFailed(string node, StatusCode status);
}
