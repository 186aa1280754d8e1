using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Membership;
using Microservices.Gateway.Routing;

namespace Microservices.Gateway.Rebalancing;

/// <summary>One source's part of a move.</summary>
public sealed partial class Rebalancer
{
    /// <summary>Most entries in one Scan page asked for, and in one MultiPut to a new replica.</summary>
    internal const int PageSize = 500;

    /// <summary>
    /// Most bytes of entries in one MultiPut to a new replica: 4 MiB, as a CacheNode Scan page, far under the 16 MiB
    /// message limit. An entry larger than this goes alone.
    /// </summary>
    internal const int MaxBatchBytes = 4 * 1024 * 1024;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {Node} failed during a rebalance ({Reason}); its arcs come from the other replicas")]
    private partial void LogSourceFailed(string node, string reason);

    // Reads a source's arcs page by page and writes each entry to the arcs' new replicas, in batches bounded by
    // entries and bytes. A source that fails is recorded (another replica of its arcs may cover them); a target
    // that fails fails the copy.
    private sealed class Copy(
        Rebalancer owner, ClusterNode source, HashRing before, HashRing after, IReadOnlyDictionary<string, ClusterNode> targets,
        int n, Progress progress, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, Batch> _batches = new(StringComparer.Ordinal);
        private readonly TimeSpan _callTimeout = owner._callTimeout;

        public async Task RunAsync(List<Cache.V1.HashRange> ranges)
        {
            var request = new ScanRequest { PageSize = PageSize };
            request.Ranges.AddRange(ranges);

            // A scan runs as long as its arcs need, but a source that sends no page for a while has failed.
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var scan = StartScan(request, idle.Token);
            while (scan is not null && await NextPageAsync(scan, idle).ConfigureAwait(false) is { } page)
            {
                foreach (var entry in page.Entries)
                {
                    await AddAsync(entry).ConfigureAwait(false);
                }
            }

            foreach (var (target, batch) in _batches)
            {
                await FlushAsync(target, batch).ConfigureAwait(false);
            }
        }

        private AsyncServerStreamingCall<ScanResponse>? StartScan(ScanRequest request, CancellationToken token)
        {
            try
            {
                return source.Client.Scan(request, cancellationToken: token);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Unreadable($"scan failed ({ex.StatusCode})");
                return null;
            }
        }

        private async Task<ScanResponse?> NextPageAsync(AsyncServerStreamingCall<ScanResponse> scan, CancellationTokenSource idle)
        {
            try
            {
                idle.CancelAfter(_callTimeout);
                var more = await scan.ResponseStream.MoveNext(idle.Token).ConfigureAwait(false);
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                return more ? scan.ResponseStream.Current : null;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Unreadable(idle.IsCancellationRequested || ex is not RpcException rpc
                    ? $"no page within {_callTimeout.TotalSeconds:F0} s"
                    : $"scan failed ({rpc.StatusCode})");
                return null;
            }
        }

        private void Unreadable(string reason)
        {
            progress.Unreadable[source.Name] = reason;
            owner.LogSourceFailed(source.Name, reason);
        }

        private async Task AddAsync(Entry entry)
        {
            // As an item of a repeated field: a tag byte, then the length-prefixed entry.
            var size = 1 + CodedOutputStream.ComputeMessageSize(entry);
            var old = before.PreferenceNames(entry.KeyHash, n);
            foreach (var target in after.PreferenceNames(entry.KeyHash, n))
            {
                if (old.Contains(target, StringComparer.Ordinal) || !targets.ContainsKey(target))
                {
                    continue;
                }

                var batch = _batches.TryGetValue(target, out var b) ? b : _batches[target] = new Batch();
                if (batch.Request.Entries.Count == PageSize || (batch.Request.Entries.Count > 0 && batch.Bytes + size > MaxBatchBytes))
                {
                    await FlushAsync(target, batch).ConfigureAwait(false);
                }

                batch.Request.Entries.Add(entry);
                batch.Bytes += size;
            }
        }

        private async Task FlushAsync(string target, Batch batch)
        {
            if (batch.Request.Entries.Count == 0)
            {
                return;
            }

            var reply = await SendAsync(target, batch.Request).ConfigureAwait(false);
            var noRoom = reply.Results.Count(r => r.NoRoom);
            if (noRoom > 0)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"{target} has no room for {noRoom} of {batch.Request.Entries.Count} copied entries (its CacheNode:MaxBytes is reached)"));
            }

            for (var i = 0; i < reply.Results.Count; i++)
            {
                if (reply.Results[i].Applied)
                {
                    progress.Delivered(target, batch.Request.Entries[i].KeyHash);
                }
            }

            batch.Request.Entries.Clear();
            batch.Bytes = 0;
        }

        private async Task<MultiPutResponse> SendAsync(string target, MultiPutRequest request)
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return request.Entries.Count == 0
                        ? new MultiPutResponse()
                        : await targets[target].Client.MultiPutAsync(request, deadline: DateTime.UtcNow + _callTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A node refuses a whole batch that holds an entry expired since it was read; such an entry
                    // needs no copy, so the rest goes again without it.
                    if (ex.StatusCode == StatusCode.InvalidArgument && attempt == 0 && RemoveExpired(request))
                    {
                        continue;
                    }

                    throw new RpcException(new Status(StatusCode.Unavailable,
                        $"copying {request.Entries.Count} entries to {target} failed ({ex.StatusCode}: {ex.Status.Detail})"));
                }
            }
        }

        private bool RemoveExpired(MultiPutRequest request)
        {
            var now = Timestamp.FromDateTimeOffset(owner._time.GetUtcNow());
            var live = request.Entries.Where(e => e.ExpiresAt is null || e.ExpiresAt > now).ToList();
            if (live.Count == request.Entries.Count)
            {
                return false;
            }

            request.Entries.Clear();
            request.Entries.AddRange(live);
            return true;
        }
    }

    private sealed class Batch
    {
        public MultiPutRequest Request { get; } = new();

        public long Bytes { get; set; }
    }
}
