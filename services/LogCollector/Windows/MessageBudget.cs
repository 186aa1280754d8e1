namespace Microservices.LogCollector.Windows;

/// <summary>
/// The number of error-message counters all windows may hold together, so memory stays bounded whatever the input.
/// A second that cannot take a new counter switches to Space-Saving within the counters it already has.
/// </summary>
internal sealed class MessageBudget(int capacity)
{
    private int _used;
    private long _overCap;

    /// <summary>Messages counted by Space-Saving replacement because a cap was reached, since start.</summary>
    public long OverCap => Interlocked.Read(ref _overCap);

    /// <summary>Counts a message that found no counter of its own (a cap was reached).</summary>
    public void RecordOverCap() => Interlocked.Increment(ref _overCap);

    /// <summary>Counters in use.</summary>
    public int Used => Volatile.Read(ref _used);

    /// <summary>Takes one counter; false when the budget is spent.</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _used) <= capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _used);
        return false;
    }

    /// <summary>Takes one counter even when the budget is spent (the one counter every second may have).</summary>
    public void TakeAlways() => Interlocked.Increment(ref _used);

    /// <summary>Gives back <paramref name="count"/> counters.</summary>
    public void Release(int count) => Interlocked.Add(ref _used, -count);
}
