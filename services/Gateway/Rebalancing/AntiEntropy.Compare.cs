using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>A pass: the ring's arcs, their digests compared among each arc's replicas, and the differing ones narrowed.</summary>
public sealed partial class AntiEntropy
{
    // One pass over the ring as it is when the pass starts. Its steps run one after another (the calls of a step to
    // the replicas in parallel), so its state needs no lock.
    private sealed partial class Pass(AntiEntropy owner, CancellationToken cancellationToken)
    {
        private readonly Throttle _ranges = new(owner._options.RangesPerSecond, owner._time);
        private readonly Throttle _bytes = new(owner._options.BytesPerSecond, owner._time);
        private readonly SortedDictionary<string, string> _skipped = new(StringComparer.Ordinal);
        private long _compared;
        private long _divergent;
        private long _repaired;
        private long _scanned;
        private long _exchanged;

        public async Task<AntiEntropyReport> RunAsync()
        {
            var startedAt = owner._time.GetUtcNow();
            var started = owner._time.GetTimestamp();
            var view = owner._membership.View;
            var complete = view.PendingRing is null;
            if (complete)
            {
                await CompareAsync(view).ConfigureAwait(false);
            }
            else
            {
                _skipped["ring"] = "a membership change is under way; the next pass compares the new ring";
            }

            return new AntiEntropyReport(
                startedAt, owner._time.GetElapsedTime(started), _compared, _divergent, _repaired, _scanned, _exchanged,
                [.. _skipped.Select(s => $"{s.Key}: {s.Value}")], complete && _skipped.Count == 0);
        }

        // The arcs (previous position, position] of the ring, each with its preference list.
        private static List<(Cache.V1.HashRange Range, string[] Names)> Arcs(ClusterView view, int n)
        {
            var positions = view.Ring.Positions;
            var arcs = new List<(Cache.V1.HashRange Range, string[] Names)>(positions.Length);
            for (var i = 0; i < positions.Length; i++)
            {
                var start = positions[i == 0 ? positions.Length - 1 : i - 1];
                var end = positions[i];
                if (start != end || positions.Length == 1)
                {
                    arcs.Add((new Cache.V1.HashRange { Start = start, End = end }, view.Ring.PreferenceNames(end, n)));
                }
            }

            return arcs;
        }

        // Compares every arc's digests among its readable replicas: each replica is asked once for all the arcs it
        // holds (in calls of up to 1024 arcs), so replicas that agree cost one call each. The arcs that differ are
        // narrowed and repaired among the replicas that answered, grouped by them.
        private async Task CompareAsync(ClusterView view)
        {
            var arcs = Arcs(view, owner._replicationFactor);
            var held = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (var i = 0; i < arcs.Count; i++)
            {
                foreach (var name in arcs[i].Names)
                {
                    if (Readable(view.Nodes[name]))
                    {
                        (held.TryGetValue(name, out var list) ? list : held[name] = []).Add(i);
                    }
                }
            }

            await _ranges.TakeAsync(arcs.Count, cancellationToken).ConfigureAwait(false);
            var answers = await Task.WhenAll(held.Select(pair => DigestArcsAsync(view.Nodes[pair.Key], pair.Value, arcs))).ConfigureAwait(false);
            var byArc = new Dictionary<string, RangeDigest>[arcs.Count];
            foreach (var (node, digests, failure) in answers)
            {
                if (failure is not null)
                {
                    Skip(node, failure);
                    continue;
                }

                foreach (var (arc, digest) in digests)
                {
                    (byArc[arc] ??= new(StringComparer.Ordinal))[node.Name] = digest;
                }
            }

            var groups = new Dictionary<string, (List<ClusterNode> Replicas, List<Candidate> Leaves, List<Candidate> Pending)>(StringComparer.Ordinal);
            for (var i = 0; i < arcs.Count; i++)
            {
                if (byArc[i] is not { Count: >= 2 } digests)
                {
                    continue;
                }

                _compared++;
                var names = digests.Keys.Order(StringComparer.Ordinal).ToArray();
                if (Differing(arcs[i].Range, [.. names.Select(name => digests[name])]) is not { } candidate)
                {
                    continue;
                }

                _divergent++;
                var key = string.Join('\n', names);
                var group = groups.TryGetValue(key, out var g) ? g : groups[key] = ([.. names.Select(name => view.Nodes[name])], [], []);
                (IsLeaf(candidate) ? group.Leaves : group.Pending).Add(candidate);
            }

            foreach (var (replicas, leaves, pending) in groups.Values)
            {
                await NarrowAsync(replicas, leaves, pending).ConfigureAwait(false);
            }
        }

        // One replica's digests of the arcs it holds, by arc index; or why it could not give them.
        private async Task<(ClusterNode Node, List<(int Arc, RangeDigest Digest)> Digests, string? Failure)> DigestArcsAsync(
            ClusterNode node, List<int> indexes, List<(Cache.V1.HashRange Range, string[] Names)> arcs)
        {
            var digests = new List<(int Arc, RangeDigest Digest)>(indexes.Count);
            foreach (var chunk in indexes.Chunk(RingSplit.MaxRanges))
            {
                var request = new DigestRequest { Splits = 1 };
                request.Ranges.AddRange(chunk.Select(i => arcs[i].Range));
                var (reply, failure) = await DigestCallAsync(node, request).ConfigureAwait(false);
                if (reply is null)
                {
                    return (node, digests, failure);
                }

                digests.AddRange(chunk.Select((arc, k) => (arc, reply.Digests[k])));
            }

            return (node, digests, null);
        }

        // True when the replica may be compared; else it is named in the report. A replica that failed a call earlier
        // in the pass is left out of the rest of it.
        private bool Readable(ClusterNode node)
        {
            if (_skipped.ContainsKey(node.Name))
            {
                return false;
            }

            if (!node.IsReadable)
            {
                Skip(node, node.State.ToString());
            }

            return node.IsReadable;
        }

        private void Skip(ClusterNode node, string reason)
        {
            if (_skipped.TryAdd(node.Name, reason))
            {
                owner.LogSkipped(node.Name, reason);
            }
        }
    }
}
