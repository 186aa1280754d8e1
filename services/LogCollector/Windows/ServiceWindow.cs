namespace Microservices.LogCollector.Windows;

/// <summary>
/// A ring of one-second buckets covering the retention, for one service or for all. Adding is O(1); a query visits
/// one slot per second of its window, never the entries. One lock per window keeps each second consistent.
/// </summary>
internal sealed class ServiceWindow
{
    // Slots are created on first use: a quiet service costs one array, not a bucket per second.
    private readonly SecondBucket?[] _slots;
    private readonly Lock _gate = new();
    private long _newest = long.MinValue;
    private bool _retired;

    /// <summary>Creates a window of <paramref name="seconds"/> one-second slots.</summary>
    public ServiceWindow(string name, int seconds)
    {
        Name = name;
        _slots = new SecondBucket?[seconds];
    }

    /// <summary>Service name; empty for the overall window.</summary>
    public string Name { get; }

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
    /// Adds <paramref name="entries"/>[i] for each i of <paramref name="indexes"/> under one lock, and marks in
    /// <paramref name="tooOld"/> those whose second has already left the ring. False, and nothing added, when the
    /// window was retired by cleanup.
    /// </summary>
    public bool AddAll(
        ReadOnlySpan<AcceptedEntry> entries, ReadOnlySpan<int> indexes, Span<bool> tooOld, int maxMessages, MessageBudget budget)
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
                var index = SlotOf(entry.Second);
                var slot = _slots[index] ??= new SecondBucket();
                if (slot.Second != entry.Second)
                {
                    if (slot.Second > entry.Second)
                    {
                        tooOld[i] = true;
                        continue;
                    }

                    slot.Reset(entry.Second, budget);
                }

                slot.Add(entry, maxMessages, budget);
                _newest = Math.Max(_newest, entry.Second);
            }

            return true;
        }
    }

    /// <summary>Sums the seconds from <paramref name="first"/> to <paramref name="last"/> (inclusive) into <paramref name="totals"/>.</summary>
    public void AddTo(WindowTotals totals, long first, long last)
    {
        first = Math.Max(first, last - _slots.Length + 1);
        lock (_gate)
        {
            for (var second = first; second <= last; second++)
            {
                var slot = _slots[SlotOf(second)];
                if (slot is not null && slot.Second == second)
                {
                    totals.Add(slot);
                }
            }
        }
    }

    /// <summary>
    /// Frees the slots older than <paramref name="oldest"/> (the seed's cleanup_old_logs). When nothing is left and
    /// <paramref name="retireWhenEmpty"/> is set, the window takes no more entries and true is returned.
    /// </summary>
    public bool Cleanup(long oldest, MessageBudget budget, bool retireWhenEmpty)
    {
        lock (_gate)
        {
            var empty = true;
            for (var i = 0; i < _slots.Length; i++)
            {
                var slot = _slots[i];
                if (slot is null)
                {
                    continue;
                }

                if (slot.Second < oldest)
                {
                    slot.Release(budget);
                    _slots[i] = null;
                }
                else
                {
                    empty = false;
                }
            }

            _retired = empty && retireWhenEmpty;
            return _retired;
        }
    }

    private int SlotOf(long second) => (int)(((second % _slots.Length) + _slots.Length) % _slots.Length);
}
