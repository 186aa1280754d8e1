using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// The overall window and one window per service (at most <see cref="LogCollectorOptions.MaxServices"/>; entries of
/// further services count only overall). Thread-safe.
/// </summary>
internal sealed class WindowRegistry
{
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

    /// <summary>The tracked services' names, sorted.</summary>
    public IReadOnlyList<string> ServiceNames => [.. _services.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Counts an entry in its service's window and overall; false when it is older than the ring.</summary>
    public bool Add(in AcceptedEntry entry)
    {
        var max = _options.MaxErrorMessagesPerSecond;
        while (true)
        {
            var window = ServiceWindowFor(entry.Service);
            var outcome = window?.Add(entry, max, _budget) ?? AddOutcome.Added;
            if (outcome == AddOutcome.Retired)
            {
                _services.TryRemove(new KeyValuePair<string, ServiceWindow>(entry.Service, window!));
                continue;
            }

            if (outcome == AddOutcome.TooOld)
            {
                return false;
            }

            if (window is null)
            {
                Interlocked.Increment(ref _overCap);
            }

            return Overall.Add(entry, max, _budget) == AddOutcome.Added;
        }
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
