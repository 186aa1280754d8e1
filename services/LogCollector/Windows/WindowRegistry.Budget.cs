namespace Microservices.LogCollector.Windows;

/// <summary>
/// What gives way when <see cref="LogCollectorOptions.MaxBytes"/> is nearly spent. Once the windows hold more than
/// 90 % of it, a pass (at most one a second, and at every cleanup) takes these steps on the seconds older than
/// <see cref="LogCollectorOptions.WindowSize"/>, in this order, stopping as soon as use is back under 75 %:
/// <list type="number">
/// <item>their histograms are made coarser (8 cells become one: about 6 % error on their percentiles instead of 0.8 %);</item>
/// <item>their error-message counts keep only the most counted message (top errors over them become estimates, with a bound);</item>
/// <item>new services are refused (their entries are rejected: <see cref="EntryRefusal.NewServiceOverBudget"/>) until use is back under 75 %;</item>
/// <item>the oldest seconds of every window are freed before the end of their retention, down to the default window at most.</item>
/// </list>
/// Whatever the pass does, a new second or service that finds no room is refused, so the budget is never exceeded;
/// counts in seconds already held never are (a new cell or message without room is folded into one held).
/// Each step is counted in <see cref="ByteBudget"/>.
/// </summary>
internal sealed partial class WindowRegistry
{
    private const double HighWater = 0.90;
    private const double LowWater = 0.75;

    // Seconds below it were freed early by step 4; entries for them are refused rather than counted again.
    private long _floor = long.MinValue;
    private bool _refuseNewServices;
    private long _lastPassAt;
    private int _passing;

    /// <summary>True while new services are refused (step 3).</summary>
    public bool RefusingNewServices => Volatile.Read(ref _refuseNewServices);

    private void DegradeWhenNearlySpent()
    {
        var now = Environment.TickCount64;
        if (_budget.Used > _budget.Max * HighWater && now - Interlocked.Read(ref _lastPassAt) >= 1000)
        {
            Interlocked.Exchange(ref _lastPassAt, now);
            Degrade(Overall.Newest);
        }
    }

    /// <summary>One pass of the steps above, <paramref name="now"/> being the current Unix second.</summary>
    private void Degrade(long now)
    {
        if (Interlocked.Exchange(ref _passing, 1) == 1)
        {
            return;
        }

        try
        {
            var target = (long)(_budget.Max * LowWater);
            if (_budget.Used <= target)
            {
                Volatile.Write(ref _refuseNewServices, false);
                return;
            }

            if (_budget.Used <= _budget.Max * HighWater && !RefusingNewServices)
            {
                return;
            }

            var old = now - (long)_options.WindowSize.TotalSeconds + 1;
            _budget.RecordCoarsened(ForEachWindow(window => window.Coarsen(old, _budget)));
            if (_budget.Used <= target)
            {
                return;
            }

            _budget.RecordTrimmed(ForEachWindow(window => window.TrimMessages(old, _messages, _budget)));
            if (_budget.Used <= target)
            {
                return;
            }

            Volatile.Write(ref _refuseNewServices, true);
            FreeOldest(now, old, target);
        }
        finally
        {
            Volatile.Write(ref _passing, 0);
        }
    }

    // Raises the floor an eighth of the span held at a time until use is under the target or the floor reaches
    // the default window.
    private void FreeOldest(long now, long limit, long target)
    {
        var held = Overall.Oldest;
        var floor = Math.Max(held == long.MaxValue ? limit : held, Volatile.Read(ref _floor));
        while (_budget.Used > target && floor < limit)
        {
            floor = Math.Min(limit, floor + Math.Max(1, (now - floor) / 8));
            Volatile.Write(ref _floor, floor);
            _budget.RecordFreed(FreeBefore(floor));
        }
    }

    // Frees every window's seconds before `oldest`, retires the service windows left empty; returns the seconds freed.
    private long FreeBefore(long oldest)
    {
        long freed = Overall.Cleanup(oldest, _messages, _budget, retireWhenEmpty: false, out _);
        foreach (var (name, window) in _services)
        {
            freed += window.Cleanup(oldest, _messages, _budget, retireWhenEmpty: true, out var retired);
            if (retired)
            {
                // A window retires once; an ingest that met it retired may have removed it from the map first.
                _services.TryRemove(new KeyValuePair<string, ServiceWindow>(name, window));
                _budget.Release(window.BaseBytes);
            }
        }

        return freed;
    }

    private long ForEachWindow(Func<ServiceWindow, int> step)
    {
        long total = step(Overall);
        foreach (var (_, window) in _services)
        {
            total += step(window);
        }

        return total;
    }

    private void RecordRefusals(ReadOnlySpan<EntryRefusal> refused)
    {
        var count = 0;
        foreach (var refusal in refused)
        {
            count += refusal == EntryRefusal.OverBudget ? 1 : 0;
        }

        if (count > 0)
        {
            _budget.RecordRefused(count);
        }
    }
}
