namespace Microservices.LogCollector.Windows;

/// <summary>
/// The seconds of one window (one service, or all), for the retention. Sparse: a map from second to bucket holds
/// only seconds that received entries, so a quiet service costs a few hundred bytes, not a slot per second of the
/// retention. Adding is O(1); a query visits one map lookup per second of its window, never the entries. One lock
/// per window keeps each second consistent. Every byte is taken from the <see cref="ByteBudget"/> first.
/// </summary>
internal sealed partial class ServiceWindow
{
    private readonly Dictionary<long, SecondBucket> _seconds = [];
    private readonly Lock _gate = new();
    private readonly int _span;
    private long _newest = long.MinValue;
    private long _mapBytes;
    private bool _retired;

    /// <summary>Creates a window keeping <paramref name="span"/> seconds back from its newest one.</summary>
    public ServiceWindow(string name, int span)
    {
        Name = name;
        _span = span;
    }

    /// <summary>Service name; empty for the overall window.</summary>
    public string Name { get; }

    /// <summary>Bytes of the window itself, with its name, before any second.</summary>
    public long BaseBytes => BaseBytesOf(Name);

    /// <summary>Bytes of a window named <paramref name="name"/> before any second.</summary>
    public static long BaseBytesOf(string name) => MemoryCost.Window + MemoryCost.Of(name);

    /// <summary>The newest second that received an entry.</summary>
    public long Newest
    {
        get
        {
            lock (_gate)
            {
                return _newest;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="entries"/>[i] for each i of <paramref name="indexes"/> under one lock. An entry whose
    /// second is older than the ring (or below <paramref name="floor"/>, seconds the budget freed early) or whose
    /// new second finds no room in the budget is marked in <paramref name="refused"/>. False, and nothing added,
    /// when the window was retired by cleanup.
    /// </summary>
    public bool AddAll(
        ReadOnlySpan<AcceptedEntry> entries, ReadOnlySpan<int> indexes, Span<EntryRefusal> refused, long floor, int maxMessages,
        MessageBudget messages, ByteBudget budget)
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            foreach (var i in indexes)
            {
                ref readonly var entry = ref entries[i];
                if (_newest != long.MinValue && entry.Second <= _newest - _span)
                {
                    refused[i] = EntryRefusal.TooOld;
                    continue;
                }

                if (!_seconds.TryGetValue(entry.Second, out var bucket)
                    && (entry.Second < floor || !TryAddSecond(entry.Second, budget, out bucket)))
                {
                    refused[i] = EntryRefusal.OverBudget;
                    continue;
                }

                bucket!.Add(entry, maxMessages, messages, budget);
                _newest = Math.Max(_newest, entry.Second);
            }

            return true;
        }
    }

    /// <summary>Sums the seconds from <paramref name="first"/> to <paramref name="last"/> (inclusive) into <paramref name="totals"/>.</summary>
    public void AddTo(WindowTotals totals, long first, long last)
    {
        lock (_gate)
        {
            // Seconds the newest one has pushed out of the span are gone, as in a ring, even before cleanup frees them.
            first = Math.Max(first, Math.Max(last, _newest) - _span + 1);
            if (last - first + 1 > _seconds.Count)
            {
                // A long window over a sparse service: walking the map is cheaper than a lookup per second.
                foreach (var (second, bucket) in _seconds)
                {
                    if (second >= first && second <= last)
                    {
                        totals.Add(bucket);
                    }
                }

                return;
            }

            for (var second = first; second <= last; second++)
            {
                if (_seconds.TryGetValue(second, out var bucket))
                {
                    totals.Add(bucket);
                }
            }
        }
    }

    private bool TryAddSecond(long second, ByteBudget budget, out SecondBucket? bucket)
    {
        bucket = null;
        if (!budget.TryTake(MemoryCost.Bucket))
        {
            return false;
        }

        if (!MemoryCost.TryMakeRoom(_seconds, MemoryCost.SecondSlot, budget, ref _mapBytes))
        {
            budget.Release(MemoryCost.Bucket);
            return false;
        }

        _seconds[second] = bucket = new SecondBucket(second);
        return true;
    }
}
