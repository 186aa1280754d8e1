using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Rebalancing;

/// <summary>The narrowing of differing ranges, and the calls to replicas a pass makes.</summary>
public sealed partial class AntiEntropy
{
    private sealed partial class Pass
    {
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
            var replies = await Task.WhenAll(replicas.Select(node => DigestCallAsync(node, request))).ConfigureAwait(false);
            var answered = Drop(replicas, replies);
            return answered.Count < 2 ? null : [.. answered.Select(reply => (IList<RangeDigest>)reply.Digests)];
        }

        // One Digest call. A reply without one digest per sub-range asked fails the replica, as a call that failed.
        private Task<(DigestResponse? Reply, string? Failure)> DigestCallAsync(ClusterNode node, DigestRequest request) =>
            CallAsync(node, "Digest", async () =>
            {
                var reply = await node.Client.DigestAsync(
                    request, deadline: DateTime.UtcNow + owner._callTimeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                var expected = request.Ranges.Count * (int)request.Splits;
                return reply.Digests.Count == expected
                    ? reply
                    : throw new RpcException(new Status(StatusCode.Internal, $"Digest answered {reply.Digests.Count} digests for {expected} sub-ranges"));
            });

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
