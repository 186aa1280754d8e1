using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>A pass: the ring's arcs by replica set, their digests compared, and the differing ones narrowed.</summary>
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
                foreach (var (names, arcs) in ArcsByReplicas(view, owner._replicationFactor))
                {
                    await CompareAsync(Readable(view, names), arcs).ConfigureAwait(false);
                }
            }
            else
            {
                _skipped["ring"] = "a membership change is under way; the next pass compares the new ring";
            }

            return new AntiEntropyReport(
                startedAt, owner._time.GetElapsedTime(started), _compared, _divergent, _repaired, _scanned, _exchanged,
                [.. _skipped.Select(s => $"{s.Key}: {s.Value}")], complete && _skipped.Count == 0);
        }

        // The arcs (previous position, position] of the ring, grouped by their preference lists (as sets).
        private static List<(string[] Names, List<Cache.V1.HashRange> Arcs)> ArcsByReplicas(ClusterView view, int n)
        {
            var positions = view.Ring.Positions;
            var groups = new Dictionary<string, (string[] Names, List<Cache.V1.HashRange> Arcs)>(StringComparer.Ordinal);
            for (var i = 0; i < positions.Length; i++)
            {
                var start = positions[i == 0 ? positions.Length - 1 : i - 1];
                var end = positions[i];
                if (start == end && positions.Length > 1)
                {
                    continue;
                }

                var names = view.Ring.PreferenceNames(end, n);
                Array.Sort(names, StringComparer.Ordinal);
                var key = string.Join('\n', names);
                var group = groups.TryGetValue(key, out var g) ? g : groups[key] = (names, []);
                group.Arcs.Add(new Cache.V1.HashRange { Start = start, End = end });
            }

            return [.. groups.Values];
        }

        // The replicas that may be compared; the others are named in the report.
        private List<ClusterNode> Readable(ClusterView view, string[] names)
        {
            var readable = new List<ClusterNode>(names.Length);
            foreach (var name in names)
            {
                var node = view.Nodes[name];
                if (_skipped.ContainsKey(name))
                {
                    continue;
                }

                if (node.IsReadable)
                {
                    readable.Add(node);
                }
                else
                {
                    Skip(node, node.State.ToString());
                }
            }

            return readable;
        }

        private void Skip(ClusterNode node, string reason)
        {
            if (_skipped.TryAdd(node.Name, reason))
            {
                owner.LogSkipped(node.Name, reason);
            }
        }

        // Compares the arcs' digests, whole, then narrows those that differ.
        private async Task CompareAsync(List<ClusterNode> replicas, List<Cache.V1.HashRange> arcs)
        {
            foreach (var chunk in arcs.Chunk(RingSplit.MaxRanges))
            {
                if (replicas.Count < 2 || await DigestAsync(replicas, chunk, 1).ConfigureAwait(false) is not { } digests)
                {
                    return;
                }

                _compared += chunk.Length;
                var leaves = new List<Candidate>();
                var pending = new List<Candidate>();
                _divergent += Classify(chunk, 1, digests, leaves, pending);
                while (pending.Count > 0)
                {
                    var next = new List<Candidate>();
                    foreach (var part in pending.Chunk(RingSplit.MaxSubRanges / Splits))
                    {
                        var ranges = part.Select(c => c.Range).ToArray();
                        if (await DigestAsync(replicas, ranges, Splits).ConfigureAwait(false) is not { } deeper)
                        {
                            return;
                        }

                        Classify(ranges, Splits, deeper, leaves, next);
                    }

                    pending = next;
                }

                await RepairAsync(replicas, leaves).ConfigureAwait(false);
            }
        }

        // Sorts the sub-ranges whose replicas differ into leaves (few entries: scanned) and pending (narrowed
        // further). Returns how many of the ranges had a difference.
        private static int Classify(
            Cache.V1.HashRange[] ranges, int splits, IList<RangeDigest>[] digests, List<Candidate> leaves, List<Candidate> pending)
        {
            var differing = 0;
            for (var r = 0; r < ranges.Length; r++)
            {
                var length = RingSplit.Length(ranges[r].Start, ranges[r].End);
                var differs = false;
                for (var s = 0; s < splits; s++)
                {
                    var slot = (r * splits) + s;
                    var first = digests[0][slot];
                    var most = first.Entries;
                    var same = true;
                    for (var k = 1; k < digests.Length; k++)
                    {
                        var other = digests[k][slot];
                        same &= other.Entries == first.Entries && other.Hash == first.Hash;
                        most = Math.Max(most, other.Entries);
                    }

                    if (same)
                    {
                        continue;
                    }

                    differs = true;
                    var sub = new Cache.V1.HashRange
                    {
                        Start = RingSplit.Bound(ranges[r].Start, length, splits, s),
                        End = RingSplit.Bound(ranges[r].Start, length, splits, s + 1),
                    };
                    var narrow = most <= LeafEntries || RingSplit.Length(sub.Start, sub.End) < Splits;
                    (narrow ? leaves : pending).Add(new Candidate(sub, (long)most));
                }

                differing += differs ? 1 : 0;
            }

            return differing;
        }

        // Asks every replica for the digests of `ranges`, each cut into `splits`; a replica that fails is left out of
        // the rest of the pass (it is named in the report). Null when fewer than two answered.
        private async Task<IList<RangeDigest>[]?> DigestAsync(List<ClusterNode> replicas, Cache.V1.HashRange[] ranges, int splits)
        {
            await _ranges.TakeAsync(ranges.Length, cancellationToken).ConfigureAwait(false);
            var request = new DigestRequest { Splits = (uint)splits };
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
