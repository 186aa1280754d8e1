using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// One second of one window: counts, errors, response-time sum, histogram cells and error-message counts. Sparse:
/// a second holds only the cells and messages it saw, so a quiet second costs about 130 bytes. Every byte it holds
/// is taken from the <see cref="ByteBudget"/> first (<see cref="Bytes"/>); when the budget has no room, an entry is
/// still counted: its response time goes to the nearest cell the second has, its message replaces the least
/// counted one (Space-Saving). Not thread-safe; the owning <see cref="ServiceWindow"/> serializes access.
/// </summary>
internal sealed partial class SecondBucket(long second)
{
    /// <summary>The Unix second.</summary>
    public long Second { get; } = second;

    /// <summary>All entries.</summary>
    public long Count { get; private set; }

    /// <summary>ERROR and FATAL entries.</summary>
    public long Errors { get; private set; }

    /// <summary>Entries with a response time.</summary>
    public long Timed { get; private set; }

    /// <summary>Sum of response times, in milliseconds.</summary>
    public double TimeSum { get; private set; }

    /// <summary>Error message to count; null until the first error.</summary>
    public Dictionary<ErrorKey, long>? Messages { get; private set; }

    /// <summary>True once message counts are estimates (Space-Saving replacement, or counters trimmed).</summary>
    public bool Approximate => _spaceSaved || _trimmedMax > 0;

    /// <summary>Bytes this second holds, all accounted in the budget.</summary>
    public long Bytes { get; private set; } = MemoryCost.Bucket;

    private bool _spaceSaved;
    private long _trimmedMax;
    private long _messageBytes;

    /// <summary>Adds one entry; O(log cells), or O(<paramref name="maxMessages"/>) when a message replaces another.</summary>
    public void Add(in AcceptedEntry entry, int maxMessages, MessageBudget messages, ByteBudget budget)
    {
        Count++;
        if (entry.ResponseTimeMs > 0)
        {
            Timed++;
            TimeSum += entry.ResponseTimeMs;
            AddCell(LatencyScale.CellOf(entry.ResponseTimeMs), budget);
        }

        if (entry.IsError)
        {
            Errors++;
            CountMessage(entry.ErrorKey ?? ErrorKey.Of(string.Empty), maxMessages, messages, budget);
        }
    }

    /// <summary>The largest error of any message count of this second: Space-Saving's smallest count, or the largest count trimmed.</summary>
    public long MessageErrorBound()
    {
        if (!_spaceSaved)
        {
            return _trimmedMax;
        }

        var min = long.MaxValue;
        foreach (var count in Messages!.Values)
        {
            min = Math.Min(min, count);
        }

        return Math.Max(_trimmedMax, min == long.MaxValue ? 0 : min);
    }

    /// <summary>
    /// Keeps only the most counted message (degradation step 2); the others' counts are given up and bound the
    /// error of this second's counts. Returns the counters dropped.
    /// </summary>
    public int TrimMessages(MessageBudget messages, ByteBudget budget)
    {
        if (Messages is not { Count: > 1 })
        {
            return 0;
        }

        var top = Messages.MaxBy(pair => pair.Value);
        var dropped = Messages.Count - 1;
        foreach (var (key, count) in Messages)
        {
            if (!key.Equals(top.Key))
            {
                _trimmedMax = Math.Max(_trimmedMax, count);
            }
        }

        budget.Release(_messageBytes);
        Bytes -= _messageBytes;
        messages.Release(dropped);

        // A new dictionary of the smallest capacity (3) costs less than trimming the old one in place.
        _messageBytes = MemoryCost.Dictionary + MemoryCost.MapArrays(3, MemoryCost.MessageSlot) + MemoryCost.Of(top.Key.Text);
        var kept = budget.TryTake(_messageBytes);
        Messages = kept ? new Dictionary<ErrorKey, long>(3) { [top.Key] = top.Value } : null;
        if (!kept)
        {
            // Not even the top message fits: the second keeps its error count and names no message.
            _trimmedMax = Math.Max(_trimmedMax, top.Value);
            messages.Release(1);
            _messageBytes = 0;
            return dropped + 1;
        }

        Bytes += _messageBytes;
        return dropped;
    }

    /// <summary>Gives back everything the second holds before it is dropped.</summary>
    public void Release(MessageBudget messages, ByteBudget budget)
    {
        messages.Release(Messages?.Count ?? 0);
        budget.Release(Bytes);
        Bytes = 0;
    }

    private void CountMessage(ErrorKey key, int maxMessages, MessageBudget messages, ByteBudget budget)
    {
        if (Messages is null)
        {
            var empty = MemoryCost.Dictionary;
            if (!budget.TryTake(empty))
            {
                _trimmedMax++;
                return;
            }

            Messages = [];
            _messageBytes = empty;
            Bytes += empty;
        }

        ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(Messages, key);
        if (!Unsafe.IsNullRef(ref count))
        {
            count++;
            return;
        }

        if (Messages.Count < maxMessages && TryTakeCounter(key, messages, budget))
        {
            Messages[key] = 1;
            return;
        }

        if (Messages.Count == 0)
        {
            // Not even one counter fits: the error is counted, its message is not.
            _trimmedMax++;
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
        var delta = MemoryCost.Of(key.Text) - MemoryCost.Of(minKey.Text);
        if (delta <= 0 || budget.TryTake(delta))
        {
            if (delta <= 0)
            {
                budget.Release(-delta);
            }

            _messageBytes += delta;
            Bytes += delta;
            Messages[key] = minCount + 1;
            _spaceSaved = true;
        }
        else
        {
            // The new text does not fit: the least counted message keeps its place and takes the count.
            Messages[minKey] = minCount + 1;
            _spaceSaved = true;
        }

        messages.RecordOverCap();
    }

    // One counter: its slot in the map (if the map must grow) and its text, counted per second even when the
    // string is shared, so the account is never below the heap. One per second is allowed past the count cap.
    private bool TryTakeCounter(ErrorKey key, MessageBudget messages, ByteBudget budget)
    {
        if (Messages!.Count > 0 && !messages.TryTake())
        {
            return false;
        }

        if (Messages.Count == 0)
        {
            messages.TakeAlways();
        }

        var text = MemoryCost.Of(key.Text);
        if (!budget.TryTake(text))
        {
            messages.Release(1);
            return false;
        }

        var mapBytes = _messageBytes;
        if (!MemoryCost.TryMakeRoom(Messages, MemoryCost.MessageSlot, budget, ref mapBytes))
        {
            budget.Release(text);
            messages.Release(1);
            return false;
        }

        Bytes += mapBytes - _messageBytes + text;
        _messageBytes = mapBytes + text;
        return true;
    }
}
