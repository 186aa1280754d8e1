using Grpc.Core;
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
                var (reply, failure) = await CallAsync(node, "Digest", () => node.Client.DigestAsync(
                    request, deadline: DateTime.UtcNow + owner._callTimeout, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
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

        // Narrows the differing sub-ranges level by level (each cut into `Splits`) until each holds few entries,
        // then repairs them.
        private async Task NarrowAsync(List<ClusterNode> replicas, List<Candidate> leaves, List<Candidate> pending)
        {
            while (pending.Count > 0)
            {
                var next = new List<Candidate>();
                foreach (var part in pending.Chunk(RingSplit.MaxSubRanges / Splits))
                {
                    var ranges = part.Select(c => c.Range).ToArray();
                    if (await DigestAsync(replicas, ranges).ConfigureAwait(false) is not { } digests)
                    {
                        return;
                    }

                    for (var r = 0; r < ranges.Length; r++)
                    {
                        var length = RingSplit.Length(ranges[r].Start, ranges[r].End);
                        for (var s = 0; s < Splits; s++)
                        {
                            var sub = new Cache.V1.HashRange
                            {
                                Start = RingSplit.Bound(ranges[r].Start, length, Splits, s),
                                End = RingSplit.Bound(ranges[r].Start, length, Splits, s + 1),
                            };
                            if (Differing(sub, [.. digests.Select(d => d[(r * Splits) + s])]) is { } candidate)
                            {
                                (IsLeaf(candidate) ? leaves : next).Add(candidate);
                            }
                        }
                    }
                }

                pending = next;
            }

            await RepairAsync(replicas, leaves).ConfigureAwait(false);
        }

        // The range as a candidate for repair when the replicas' digests of it differ; null when they agree.
        private static Candidate? Differing(Cache.V1.HashRange range, RangeDigest[] digests)
        {
            var first = digests[0];
            var most = first.Entries;
            var same = true;
            foreach (var digest in digests)
            {
                same &= digest.Entries == first.Entries && digest.Hash == first.Hash;
                most = Math.Max(most, digest.Entries);
            }

            return same ? null : new Candidate(range, (long)most);
        }

        // Few enough entries to scan, or too narrow to cut again.
        private static bool IsLeaf(Candidate candidate) =>
            candidate.MostEntries <= LeafEntries || RingSplit.Length(candidate.Range.Start, candidate.Range.End) < Splits;

        // Asks every replica for the digests of `ranges`, each cut into `Splits`; a replica that fails is left out of
        // the rest of the pass (it is named in the report). Null when fewer than two answered.
        private async Task<IList<RangeDigest>[]?> DigestAsync(List<ClusterNode> replicas, Cache.V1.HashRange[] ranges)
        {
            replicas.RemoveAll(node => _skipped.ContainsKey(node.Name));
            if (replicas.Count < 2)
            {
                return null;
            }

            await _ranges.TakeAsync(ranges.Length, cancellationToken).ConfigureAwait(false);
            var request = new DigestRequest { Splits = Splits };
            request.Ranges.AddRange(ranges);
            var replies = await Task.WhenAll(replicas.Select(node => CallAsync(
                node, "Digest", () => node.Client.DigestAsync(request, deadline: DateTime.UtcNow + owner._callTimeout, cancellationToken: cancellationToken).ResponseAsync))).ConfigureAwait(false);
            var answered = Drop(replicas, replies);
            return answered.Count < 2 ? null : [.. answered.Select(reply => (IList<RangeDigest>)reply.Digests)];
        }

        // Runs one call to a replica; the reply, or why it failed (the failure detector hears of it either way).
        private async Task<(T? Reply, string? Failure)> CallAsync<T>(ClusterNode node, string method, Func<Task<T>> call)
            where T : class
        {
            try
            {
                var reply = await call().ConfigureAwait(false);
                owner._calls.Observe(node, null);
                return (reply, null);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                owner._calls.Observe(node, ex);
                return (null, $"{method} failed ({ex.StatusCode})");
            }
        }

        // Leaves the replicas whose call failed out of `replicas`, and of the rest of the pass; returns the replies of
        // the others, in order.
        private List<T> Drop<T>(List<ClusterNode> replicas, (T? Reply, string? Failure)[] outcomes)
            where T : class
        {
            for (var i = outcomes.Length - 1; i >= 0; i--)
            {
                if (outcomes[i].Failure is { } failure)
                {
                    Skip(replicas[i], failure);
                    replicas.RemoveAt(i);
                }
            }

            return [.. outcomes.Select(o => o.Reply).OfType<T>()];
        }

        // A sub-range whose replicas differ, with the most entries any of them holds there.
        private sealed record Candidate(Cache.V1.HashRange Range, long MostEntries);
    }
}
