using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// The overall window and one window per service (at most <see cref="LogCollectorOptions.MaxServices"/>; entries of
/// further services count only overall). Thread-safe.
/// </summary>
internal sealed class WindowRegistry
{
    // Per-thread scratch for grouping a batch by service.
    [ThreadStatic]
    private static Dictionary<string, List<int>>? t_groups;

    [ThreadStatic]
    private static List<int>? t_overall;

    private readonly ConcurrentDictionary<string, ServiceWindow> _services = new(StringComparer.Ordinal);
    private readonly Lock _membership = new();
    private readonly LogCollectorOptions _options;
    private readonly MessageBudget _budget;
    private readonly int _slots;
    private long _overCap;

    /// <summary>Creates the windows from the options.</summary>
    public WindowRegistry(IOptions<LogCollectorOptions> options)
    {
        _options = options.Value;
        _budget = new MessageBudget(_options.MaxTrackedErrorMessages);

        // Future entries (up to the skew) must not overwrite seconds still inside the retention.
        _slots = (int)(_options.Retention.TotalSeconds + Math.Ceiling(_options.MaxFutureSkew.TotalSeconds)) + 1;
        Overall = new ServiceWindow(string.Empty, _slots);
    }

    /// <summary>All services together.</summary>
    public ServiceWindow Overall { get; }

    /// <summary>Services tracked one by one.</summary>
    public int ServiceCount => _services.Count;

    /// <summary>Entries counted only overall because <see cref="LogCollectorOptions.MaxServices"/> was reached.</summary>
    public long EntriesOverServiceCap => Interlocked.Read(ref _overCap);

    /// <summary>Error-message counters in use.</summary>
    public int TrackedMessages => _budget.Used;

    /// <summary>Error messages counted by Space-Saving replacement because a cap was reached, since start.</summary>
    public long MessagesOverCap => _budget.OverCap;

    /// <summary>The tracked services' names, sorted.</summary>
    public IReadOnlyList<string> ServiceNames => [.. _services.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Counts one entry; false when it is older than the ring.</summary>
    public bool Add(in AcceptedEntry entry)
    {
        Span<bool> tooOld = [false];
        AddBatch(new ReadOnlySpan<AcceptedEntry>(in entry), tooOld);
        return !tooOld[0];
    }

    /// <summary>
    /// Counts a batch in the services' windows and overall, taking each window's lock once per batch, and marks in
    /// <paramref name="tooOld"/> the entries older than the ring (not counted anywhere).
    /// </summary>
    public void AddBatch(ReadOnlySpan<AcceptedEntry> entries, Span<bool> tooOld)
    {
        var max = _options.MaxErrorMessagesPerSecond;
        var groups = t_groups ??= new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Length; i++)
        {
            var service = entries[i].Service;
            if (!groups.TryGetValue(service, out var group))
            {
                groups[service] = group = [];
            }

            group.Add(i);
        }

        foreach (var (service, group) in groups)
        {
            if (group.Count == 0)
            {
                continue;
            }

            while (true)
            {
                var window = ServiceWindowFor(service);
                if (window is null)
                {
                    Interlocked.Add(ref _overCap, group.Count);
                    break;
                }

                if (window.AddAll(entries, CollectionsMarshal.AsSpan(group), tooOld, max, _budget))
                {
                    break;
                }

                _services.TryRemove(new KeyValuePair<string, ServiceWindow>(service, window));
            }

            group.Clear();
        }

        // A thread's scratch stays small even when a client sends many service names.
        if (groups.Count > 64)
        {
            groups.Clear();
        }

        var overall = t_overall ??= [];
        overall.Clear();
        for (var i = 0; i < entries.Length; i++)
        {
            if (!tooOld[i])
            {
                overall.Add(i);
            }
        }

        Overall.AddAll(entries, CollectionsMarshal.AsSpan(overall), tooOld, max, _budget);
    }

    /// <summary>
    /// Sums the seconds <paramref name="first"/>..<paramref name="last"/> of one service (empty = overall). An unknown
    /// service has no entries.
    /// </summary>
    public WindowTotals Query(string service, long first, long last, WindowDetail detail)
    {
        var totals = new WindowTotals(detail);
        var window = service.Length == 0 ? Overall : _services.GetValueOrDefault(service);
        window?.AddTo(totals, first, last);
        return totals;
    }

    /// <summary>Frees seconds older than the retention and forgets services with nothing left.</summary>
    public void Cleanup(long now)
    {
        var oldest = now - (long)_options.Retention.TotalSeconds + 1;
        Overall.Cleanup(oldest, _budget, retireWhenEmpty: false);
        foreach (var (name, window) in _services)
        {
            if (window.Cleanup(oldest, _budget, retireWhenEmpty: true))
            {
                _services.TryRemove(new KeyValuePair<string, ServiceWindow>(name, window));
            }
        }
    }

    private ServiceWindow? ServiceWindowFor(string service)
    {
        if (_services.TryGetValue(service, out var window))
        {
            return window;
        }

        lock (_membership)
        {
            if (_services.TryGetValue(service, out window))
            {
                return window;
            }

            if (_services.Count >= _options.MaxServices)
            {
                return null;
            }

            window = new ServiceWindow(service, _slots);
            _services[service] = window;
            return window;
        }
    }
}
