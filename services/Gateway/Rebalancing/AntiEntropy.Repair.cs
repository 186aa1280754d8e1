using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Replication;

namespace Microservices.Gateway.Rebalancing;

/// <summary>The repair of narrowed sub-ranges: scanned on every replica, the newest version written where it lacks.</summary>
public sealed partial class AntiEntropy
{
    /// <summary>
    /// Most entries one round of repair expects from each replica (the sum of its leaves' largest counts), so a round
    /// holds a bounded number of entries in memory; a single leaf larger than this goes alone.
    /// </summary>
    internal const int MaxRoundEntries = 1024;

    /// <summary>Most ranges in one Scan of a round: a Scan checks each entry against every range.</summary>
    internal const int MaxRoundRanges = 256;

    private sealed partial class Pass
    {
        private async Task RepairAsync(List<ClusterNode> replicas, List<Candidate> leaves)
        {
            var round = new List<Cache.V1.HashRange>();
            long expected = 0;
            foreach (var leaf in leaves)
            {
                if (round.Count > 0 && (round.Count == MaxRoundRanges || expected + leaf.MostEntries > MaxRoundEntries))
                {
                    await RepairRoundAsync(replicas, round).ConfigureAwait(false);
                    round.Clear();
                    expected = 0;
                }

                round.Add(leaf.Range);
                expected += leaf.MostEntries;
            }

            if (round.Count > 0)
            {
                await RepairRoundAsync(replicas, round).ConfigureAwait(false);
            }
        }

        // Scans the ranges on every replica, then writes to each the newest version of every key it lacks or holds
        // older. A replica whose scan fails is left out of the rest of the pass.
        private async Task RepairRoundAsync(List<ClusterNode> replicas, List<Cache.V1.HashRange> ranges)
        {
            replicas.RemoveAll(node => _skipped.ContainsKey(node.Name));
            if (replicas.Count < 2)
            {
                return;
            }

            var request = new ScanRequest { PageSize = (uint)Rebalancer.PageSize };
            request.Ranges.AddRange(ranges);
            var held = await Task.WhenAll(replicas.Select(node => CallAsync(node, "Scan", () => ScanAsync(node, request)))).ConfigureAwait(false);
            var copies = Drop(replicas, held);
            if (copies.Count < 2)
            {
                return;
            }

            var scannedBytes = copies.Sum(copy => copy.Values.Sum(entry => (long)entry.CalculateSize()));
            _scanned += copies.Sum(copy => copy.Count);
            _exchanged += scannedBytes;
            await _bytes.TakeAsync(scannedBytes, cancellationToken).ConfigureAwait(false);

            var newest = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var entry in copies.SelectMany(copy => copy.Values))
            {
                newest[entry.Key] = Versions.Newer(newest.GetValueOrDefault(entry.Key), entry)!;
            }

            var writes = new List<Task<(int Repaired, string? Failure)>>();
            var targets = new List<ClusterNode>();
            for (var i = 0; i < replicas.Count; i++)
            {
                var stale = newest.Values.Where(entry => IsStale(copies[i].GetValueOrDefault(entry.Key), entry)).ToList();
                if (stale.Count > 0)
                {
                    var bytes = stale.Sum(entry => (long)entry.CalculateSize());
                    _exchanged += bytes;
                    await _bytes.TakeAsync(bytes, cancellationToken).ConfigureAwait(false);
                    writes.Add(WriteAsync(replicas[i], stale));
                    targets.Add(replicas[i]);
                }
            }

            var outcomes = await Task.WhenAll(writes).ConfigureAwait(false);
            for (var i = 0; i < outcomes.Length; i++)
            {
                _repaired += outcomes[i].Repaired;
                if (outcomes[i].Failure is { } failure)
                {
                    Skip(targets[i], failure);
                }
            }
        }

        private static bool IsStale(Entry? held, Entry newest) => Versions.IsStale(held, newest);

        // Every entry of the ranges the node holds, tombstones and expired values (as tombstones) included, by key.
        private async Task<Dictionary<string, Entry>> ScanAsync(ClusterNode node, ScanRequest request)
        {
            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            using var scan = node.Client.Scan(request, deadline: DateTime.UtcNow + owner._callTimeout, cancellationToken: cancellationToken);
            await foreach (var page in scan.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var entry in page.Entries)
                {
                    entries[entry.Key] = entry;
                }
            }

            return entries;
        }

        // Writes the newest versions to a replica that lacks them, through the node's write queue (batched as every
        // write); returns how many it took. A version the node refuses or has no room for is not counted; a write
        // that fails is reported.
        private async Task<(int Repaired, string? Failure)> WriteAsync(ClusterNode node, List<Entry> entries)
        {
            try
            {
                var results = await Task.WhenAll(owner._calls.PutManyAsync(node, entries)).ConfigureAwait(false);
                return (results.Count(result => result.Applied && !result.NoRoom && result.Error.Length == 0), null);
            }
            catch (Exception ex)
            {
                return (0, $"repair writes failed ({(ex is RpcException rpc ? rpc.StatusCode.ToString() : ex.GetType().Name)})");
            }
        }
    }
}
