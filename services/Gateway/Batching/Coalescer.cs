using System.Diagnostics;

namespace Microservices.Gateway.Batching;

/// <summary>
/// Groups concurrent calls to one destination into batches. One batch is in flight at a time; the items that
/// arrive meanwhile wait and go together in the next one, up to <c>maxBatch</c> items (and <c>maxWeight</c>, when
/// items are weighed). A lone item is sent at once, so an idle caller pays no delay. Each batch's calls run under
/// the trace of its first item.
/// </summary>
/// <typeparam name="TItem">What one caller asks.</typeparam>
/// <typeparam name="TResult">What one caller gets back.</typeparam>
public sealed class Coalescer<TItem, TResult>
{
    private readonly Func<CoalescedBatch<TItem, TResult>, Task> _send;
    private readonly int _maxBatch;
    private readonly Func<TItem, long>? _weigh;
    private readonly long _maxWeight;
    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _waiting = new();
    private bool _sending;

    /// <param name="send">Sends one batch and completes its items; items it leaves open fail with its exception.</param>
    /// <param name="maxBatch">Most items in one batch.</param>
    /// <param name="weigh">An item's weight (bytes, say); null = unweighed.</param>
    /// <param name="maxWeight">Most total weight in one batch; a heavier lone item still goes, alone.</param>
    public Coalescer(Func<CoalescedBatch<TItem, TResult>, Task> send, int maxBatch, Func<TItem, long>? weigh = null, long maxWeight = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _send = send;
        _maxBatch = maxBatch;
        _weigh = weigh;
        _maxWeight = maxWeight;
    }

    /// <summary>
    /// Queues <paramref name="item"/> and completes with its result. A caller that gives up stops waiting; the item
    /// may still be sent, as an uncoalesced call in flight would be.
    /// </summary>
    public Task<TResult> EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(item, Activity.Current);
        bool send;
        lock (_gate)
        {
            _waiting.Enqueue(waiter);
            send = !_sending;
            _sending = true;
        }

        if (send)
        {
            _ = SendAllAsync();
        }

        return cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task;
    }

    /// <summary>
    /// Queues <paramref name="items"/> together, so they go in as few batches as the bounds allow, and completes each
    /// with its result, in order. Not cancellable: the items are sent whatever becomes of their caller.
    /// </summary>
    public Task<TResult>[] EnqueueManyAsync(IReadOnlyList<TItem> items)
    {
        var results = new Task<TResult>[items.Count];
        bool send;
        lock (_gate)
        {
            for (var i = 0; i < items.Count; i++)
            {
                var waiter = new Waiter(items[i], Activity.Current);
                _waiting.Enqueue(waiter);
                results[i] = waiter.Task;
            }

            send = !_sending && items.Count > 0;
            _sending |= send;
        }

        if (send)
        {
            _ = SendAllAsync();
        }

        return results;
    }

    // Sends what is waiting, one batch at a time, until nothing is left.
    private async Task SendAllAsync()
    {
        while (TakeBatch() is { } batch)
        {
            // The calls the batch makes belong to the trace of the request that opened it.
            Activity.Current = batch.Waiters[0].Activity;
            try
            {
                await _send(batch).ConfigureAwait(false);
                batch.FailOpen(new InvalidOperationException("the batch sender left an item without a result"));
            }
            catch (Exception ex)
            {
                batch.FailOpen(ex);
            }
        }
    }

    private CoalescedBatch<TItem, TResult>? TakeBatch()
    {
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _sending = false;
                return null;
            }

            var waiters = new List<Waiter>(Math.Min(_waiting.Count, _maxBatch));
            long weight = 0;
            while (_waiting.Count > 0 && waiters.Count < _maxBatch)
            {
                var next = _waiting.Peek();
                var nextWeight = _weigh?.Invoke(next.Item) ?? 0;
                if (waiters.Count > 0 && weight + nextWeight > _maxWeight)
                {
                    break;
                }

                weight += nextWeight;
                waiters.Add(_waiting.Dequeue());
            }

            return new CoalescedBatch<TItem, TResult>(waiters);
        }
    }

    /// <summary>One queued item and its caller.</summary>
    internal sealed class Waiter(TItem item, Activity? activity)
        : TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public TItem Item { get; } = item;

        public Activity? Activity { get; } = activity;

        /// <summary>When it was queued (Stopwatch timestamp).</summary>
        public long Enqueued { get; } = Stopwatch.GetTimestamp();
    }
}
