namespace Microservices.LogCollector.Windows;

/// <summary>Freeing old seconds, and the budget's degradation steps on old seconds.</summary>
internal sealed partial class ServiceWindow
{
    /// <summary>The oldest second held; <see cref="long.MaxValue"/> when none.</summary>
    public long Oldest
    {
        get
        {
            lock (_gate)
            {
                var oldest = long.MaxValue;
                foreach (var second in _seconds.Keys)
                {
                    oldest = Math.Min(oldest, second);
                }

                return oldest;
            }
        }
    }

    /// <summary>
    /// Frees the seconds older than <paramref name="oldest"/> (the seed's cleanup_old_logs) and returns how many.
    /// When nothing is left and <paramref name="retireWhenEmpty"/> is set, the window takes no more entries and
    /// <paramref name="retired"/> is true: the caller gives back its <see cref="BaseBytes"/>.
    /// </summary>
    public int Cleanup(long oldest, MessageBudget messages, ByteBudget budget, bool retireWhenEmpty, out bool retired)
    {
        lock (_gate)
        {
            var freed = 0;
            foreach (var (second, bucket) in _seconds)
            {
                if (second < oldest)
                {
                    bucket.Release(messages, budget);
                    _seconds.Remove(second);
                    freed++;
                }
            }

            var capacity = _seconds.EnsureCapacity(0);
            if (_seconds.Count < capacity / 4 || (retireWhenEmpty && _seconds.Count == 0))
            {
                // The map's arrays do not shrink by themselves: a burst long gone would keep its bytes.
                _seconds.TrimExcess();
                var bytes = MemoryCost.MapArrays(_seconds.EnsureCapacity(0), MemoryCost.SecondSlot);
                budget.Release(_mapBytes - bytes);
                _mapBytes = bytes;
            }

            _retired = retired = _seconds.Count == 0 && retireWhenEmpty;
            if (retired)
            {
                budget.Release(_mapBytes);
                _mapBytes = 0;
            }

            return freed;
        }
    }

    /// <summary>Makes the histograms of seconds before <paramref name="before"/> coarser; returns how many changed.</summary>
    public int Coarsen(long before, ByteBudget budget)
    {
        lock (_gate)
        {
            var changed = 0;
            foreach (var (second, bucket) in _seconds)
            {
                if (second < before && bucket.Coarsen(budget))
                {
                    changed++;
                }
            }

            return changed;
        }
    }

    /// <summary>Keeps one message counter in each second before <paramref name="before"/>; returns the counters dropped.</summary>
    public int TrimMessages(long before, MessageBudget messages, ByteBudget budget)
    {
        lock (_gate)
        {
            var dropped = 0;
            foreach (var (second, bucket) in _seconds)
            {
                if (second < before)
                {
                    dropped += bucket.TrimMessages(messages, budget);
                }
            }

            return dropped;
        }
    }
}
