namespace Microservices.Gateway.Batching;

/// <summary>The items of one batch, in arrival order; the sender completes each with a result or an error.</summary>
public sealed class CoalescedBatch<TItem, TResult>
{
    internal CoalescedBatch(List<Coalescer<TItem, TResult>.Waiter> waiters) => Waiters = waiters;

    internal List<Coalescer<TItem, TResult>.Waiter> Waiters { get; }

    /// <summary>How long its first (oldest) item has waited.</summary>
    public TimeSpan Waited => System.Diagnostics.Stopwatch.GetElapsedTime(Waiters[0].Enqueued);

    /// <summary>
    /// The deadline of a call for this batch when each item may take <paramref name="timeout"/> in all: counted from
    /// when the oldest item queued, so no item waits longer, queued and then sent, than a call of its own could.
    /// </summary>
    public DateTime DeadlineWithin(TimeSpan timeout) => DateTime.UtcNow + (timeout - Waited);

    /// <summary>Items in the batch.</summary>
    public int Count => Waiters.Count;

    /// <summary>The <paramref name="index"/>th item.</summary>
    public TItem this[int index] => Waiters[index].Item;

    /// <summary>Gives item <paramref name="index"/> its result.</summary>
    public void Complete(int index, TResult result) => Waiters[index].TrySetResult(result);

    /// <summary>Fails item <paramref name="index"/> with <paramref name="error"/>.</summary>
    public void Fail(int index, Exception error) => Waiters[index].TrySetException(error);

    /// <summary>Fails every item not yet completed.</summary>
    internal void FailOpen(Exception error)
    {
        foreach (var waiter in Waiters)
        {
            waiter.TrySetException(error);
        }
    }
}
