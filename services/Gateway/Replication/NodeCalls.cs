using System.Globalization;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Microservices.Cache.V1;
using Microservices.Gateway.Batching;
using Microservices.Gateway.Membership;
using Microsoft.Extensions.Options;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Single-key reads and writes to cache nodes, coalesced per node: while a call to a node is in flight, the Gets
/// (and Puts) that arrive for it wait and go together in one MultiGet (MultiPut). Under load this turns many calls
/// into a few; a lone request still goes at once as a plain Get or Put. Writes go in MultiPuts bounded by items and
/// bytes (<see cref="NodeBatchLimits"/>), a client's MultiPut through the same queues. Every call tells the failure
/// detector how the node is doing, once per call, however many requests it carried.
/// </summary>
public sealed class NodeCalls(FailureDetector detector, IOptions<GatewayOptions> options)
{
    // Gets per MultiGet: their answers' size is unknown until they come, so a batch stays small; one whose answers
    // do not fit a message is asked again key by key.
    private const int MaxGetsPerBatch = 128;

    private readonly TimeSpan _timeout = options.Value.ReplicaTimeout;
    private readonly ConditionalWeakTable<ClusterNode, Queues> _queues = [];

    /// <summary>Reads <paramref name="key"/> (namespaced) from <paramref name="node"/>, tombstones included.</summary>
    public Task<GetResponse> GetAsync(ClusterNode node, string key, CancellationToken cancellationToken) =>
        QueuesOf(node).Gets.EnqueueAsync(key, cancellationToken);

    /// <summary>Writes <paramref name="entry"/> to <paramref name="node"/>. A write is not cancelled with its caller.</summary>
    public Task<PutResponse> PutAsync(ClusterNode node, Entry entry) =>
        QueuesOf(node).Puts.EnqueueAsync(entry, CancellationToken.None);

    /// <summary>
    /// Writes <paramref name="entries"/> to <paramref name="node"/>, queued together so they go in as few MultiPuts
    /// as <see cref="NodeBatchLimits"/> allow; one result per entry, in order. Not cancelled with the caller.
    /// </summary>
    public Task<PutResponse>[] PutManyAsync(ClusterNode node, IReadOnlyList<Entry> entries) =>
        QueuesOf(node).Puts.EnqueueManyAsync(entries);

    /// <summary>Tells the failure detector how a call to <paramref name="node"/> went (null = it succeeded).</summary>
    public void Observe(ClusterNode node, Exception? error)
    {
        if (error is null)
        {
            detector.Succeeded(node);
        }
        else if (FailureDetector.IsNodeFailure(error))
        {
            detector.Failed(node, ReplicaCalls.Describe(node, error), FailureDetector.IsTimeout(error));
        }
    }

    /// <summary>The deadline of a call to a node started now.</summary>
    public DateTime Deadline() => DateTime.UtcNow + _timeout;

    private Queues QueuesOf(ClusterNode node) => _queues.TryGetValue(node, out var queues) ? queues : _queues.GetValue(node, n => new Queues(
        new Coalescer<string, GetResponse>(batch => SendGetsAsync(n, batch), MaxGetsPerBatch),
        new Coalescer<Entry, PutResponse>(batch => SendPutsAsync(n, batch), NodeBatchLimits.MaxItems,
            static entry => entry.CalculateSize(), NodeBatchLimits.MaxBytes)));

    private Task SendGetsAsync(ClusterNode node, CoalescedBatch<string, GetResponse> batch)
    {
        var deadline = batch.DeadlineWithin(_timeout);
        return SendAsync(
            node, batch, deadline,
            refusal: null,
            key => node.Client.GetAsync(new GetRequest { Key = key, IncludeTombstone = true }, deadline: deadline).ResponseAsync,
            async items =>
            {
                var request = new MultiGetRequest { IncludeTombstone = true };
                request.Keys.AddRange(items);
                var reply = await node.Client.MultiGetAsync(request, deadline: deadline).ResponseAsync.ConfigureAwait(false);
                return reply.Results;
            });
    }

    private Task SendPutsAsync(ClusterNode node, CoalescedBatch<Entry, PutResponse> batch)
    {
        var deadline = batch.DeadlineWithin(_timeout);
        return SendAsync(
            node, batch, deadline,
            static reply => reply.Error.Length > 0 ? new RpcException(new Status(StatusCode.InvalidArgument, reply.Error)) : null,
            entry => node.Client.PutAsync(new PutRequest { Entry = entry }, deadline: deadline).ResponseAsync,
            async items =>
            {
                var request = new MultiPutRequest();
                request.Entries.AddRange(items);
                var reply = await node.Client.MultiPutAsync(request, deadline: deadline).ResponseAsync.ConfigureAwait(false);
                return reply.Results;
            });
    }

    // One item goes as a single call; more as one batch call. A batch the node refuses as a whole (an item it finds
    // invalid, or a reply over the message limit) is sent again item by item, so one item cannot fail the others.
    // An item the batch reply refuses on its own (`refusal` of its result) fails as its single call would have.
    private async Task SendAsync<TItem, TResult>(
        ClusterNode node, CoalescedBatch<TItem, TResult> batch, DateTime deadline, Func<TResult, Exception?>? refusal,
        Func<TItem, Task<TResult>> single, Func<IEnumerable<TItem>, Task<IReadOnlyList<TResult>>> many)
    {
        // Requests that spent their whole timeout queued behind the node's previous call fail over without a call:
        // the node was not asked, so the failure detector hears nothing.
        if (deadline <= DateTime.UtcNow)
        {
            var waited = new RpcException(new Status(StatusCode.DeadlineExceeded, string.Create(CultureInfo.InvariantCulture,
                $"waited {batch.Waited.TotalMilliseconds:F0} ms behind the node's previous call")));
            for (var i = 0; i < batch.Count; i++)
            {
                batch.Fail(i, waited);
            }

            return;
        }

        if (batch.Count > 1)
        {
            var items = new TItem[batch.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = batch[i];
            }

            try
            {
                var results = await many(items).ConfigureAwait(false);
                Observe(node, null);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (refusal?.Invoke(results[i]) is { } refused)
                    {
                        batch.Fail(i, refused);
                    }
                    else
                    {
                        batch.Complete(i, results[i]);
                    }
                }

                return;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted)
            {
                Observe(node, null);
            }
            catch (Exception ex)
            {
                Observe(node, ex);
                throw;
            }
        }

        if (batch.Count == 1)
        {
            await SendOneAsync(node, batch, 0, single).ConfigureAwait(false);
            return;
        }

        var sends = new Task[batch.Count];
        for (var i = 0; i < sends.Length; i++)
        {
            sends[i] = SendOneAsync(node, batch, i, single);
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    // Sends item `index` of the batch as a single call. Never throws: the item gets the call's result or error.
    private async Task SendOneAsync<TItem, TResult>(
        ClusterNode node, CoalescedBatch<TItem, TResult> batch, int index, Func<TItem, Task<TResult>> single)
    {
        try
        {
            var result = await single(batch[index]).ConfigureAwait(false);
            Observe(node, null);
            batch.Complete(index, result);
        }
        catch (Exception ex)
        {
            Observe(node, ex);
            batch.Fail(index, ex);
        }
    }

    private sealed record Queues(Coalescer<string, GetResponse> Gets, Coalescer<Entry, PutResponse> Puts);
}
