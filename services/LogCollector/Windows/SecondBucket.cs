using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// One second of one window: counts, errors, response-time sum and histogram cells, and error-message counts.
/// Slots are reused as time passes: a slot that receives a newer second is reset first. Not thread-safe; the
/// owning <see cref="ServiceWindow"/> serializes access.
/// </summary>
internal sealed class SecondBucket
{
    /// <summary>The Unix second this slot holds; <see cref="long.MinValue"/> when empty.</summary>
    public long Second { get; private set; } = long.MinValue;

    /// <summary>All entries.</summary>
    public long Count { get; private set; }

    /// <summary>ERROR and FATAL entries.</summary>
    public long Errors { get; private set; }

    /// <summary>Entries with a response time.</summary>
    public long Timed { get; private set; }

    /// <summary>Sum of response times, in milliseconds.</summary>
    public double TimeSum { get; private set; }

    /// <summary>Histogram: <see cref="LatencyScale"/> cell to count; null until the first timed entry.</summary>
    public Dictionary<int, long>? Cells { get; private set; }

    /// <summary>Error message to count; null until the first error.</summary>
    public Dictionary<ErrorKey, long>? Messages { get; private set; }

    /// <summary>True once a message was counted by Space-Saving replacement: counts are then estimates.</summary>
    public bool Approximate { get; private set; }

    /// <summary>Empties the slot and makes it hold <paramref name="second"/>.</summary>
    public void Reset(long second, MessageBudget budget)
    {
        Second = second;
        Count = Errors = Timed = 0;
        TimeSum = 0;
        Cells?.Clear();
        if (Messages is { Count: > 0 })
        {
            budget.Release(Messages.Count);
            Messages.Clear();
        }

        Approximate = false;
    }

    /// <summary>Gives back the slot's message counters before it is dropped.</summary>
    public void Release(MessageBudget budget) => Reset(long.MinValue, budget);

    /// <summary>Adds one entry; O(1), or O(<paramref name="maxMessages"/>) when a full second replaces a message.</summary>
    public void Add(in AcceptedEntry entry, int maxMessages, MessageBudget budget)
    {
        Count++;
        if (entry.ResponseTimeMs > 0)
        {
            Timed++;
            TimeSum += entry.ResponseTimeMs;
            Cells ??= [];
            CollectionsMarshal.GetValueRefOrAddDefault(Cells, LatencyScale.CellOf(entry.ResponseTimeMs), out _)++;
        }

        if (entry.IsError)
        {
            Errors++;
            CountMessage(entry.ErrorKey ?? ErrorKey.Of(string.Empty), maxMessages, budget);
        }
    }

    /// <summary>The smallest message count: each estimate of an approximate second is off by at most this.</summary>
    public long MinMessageCount()
    {
        var min = long.MaxValue;
        foreach (var count in Messages!.Values)
        {
            min = Math.Min(min, count);
        }

        return min == long.MaxValue ? 0 : min;
    }

    private void CountMessage(ErrorKey key, int maxMessages, MessageBudget budget)
    {
        Messages ??= [];
        ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(Messages, key);
        if (!Unsafe.IsNullRef(ref count))
        {
            count++;
            return;
        }

        if (Messages.Count == 0)
        {
            // One counter per second is always allowed, so every second can name its errors.
            budget.TakeAlways();
            Messages[key] = 1;
            return;
        }

        if (Messages.Count < maxMessages && budget.TryTake())
        {
            Messages[key] = 1;
            return;
        }

        // Space-Saving: the new message takes the place of the least counted one and inherits its count.
        var minKey = key;
        var minCount = long.MaxValue;
        foreach (var (message, value) in Messages)
        {
            if (value < minCount)
            {
                (minKey, minCount) = (message, value);
            }
        }

        Messages.Remove(minKey);
        Messages[key] = minCount + 1;
        Approximate = true;
        budget.RecordOverCap();
    }
}
