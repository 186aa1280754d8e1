using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Microservices.LogCollector.Windows;

/// <summary>
/// The overall window and one window per service (at most <see cref="LogCollectorOptions.MaxServices"/>; entries of
/// further services count only overall), all within <see cref="LogCollectorOptions.MaxBytes"/> (see
/// <c>WindowRegistry.Budget.cs</c> for what gives way when it is nearly spent). Thread-safe.
/// </summary>
internal sealed partial class WindowRegistry
{
    // Per-thread scratch for grouping a batch by service.
    [ThreadStatic]
    private static Dictionary<string, List<int>>? t_groups;

    [ThreadStatic]
    private static List<int>? t_overall;

    private readonly ConcurrentDictionary<string, ServiceWindow> _services = new(StringComparer.Ordinal);
    private readonly Lock _membership = new();
    private readonly LogCollectorOptions _options;
    private readonly MessageBudget _messages;
    private readonly ByteBudget _budget;
    private readonly int _span;
    private long _overCap;

    /// <summary>Creates the windows from the options.</summary>
    public WindowRegistry(IOptions<LogCollectorOptions> options)
    {
        _options = options.Value;
        _messages = new MessageBudget(_options.MaxTrackedErrorMessages);
        _budget = new ByteBudget(_options.MaxBytes);

        // Future entries (up to the skew) must not push out seconds still inside the retention.
        _span = (int)(_options.Retention.TotalSeconds + Math.Ceiling(_options.MaxFutureSkew.TotalSeconds)) + 1;
        Overall = new ServiceWindow(string.Empty, _span);
        if (!_budget.TryTake(ServiceWindow.BaseBytesOf(string.Empty)))
        {
            throw new InvalidOperationException("LogCollector:MaxBytes cannot hold the overall window");
        }
    }

    /// <summary>All services together.</summary>
    public ServiceWindow Overall { get; }

    /// <summary>Services tracked one by one.</summary>
    public int ServiceCount => _services.Count;

    /// <summary>Entries counted only overall because <see cref="LogCollectorOptions.MaxServices"/> was reached.</summary>
    public long EntriesOverServiceCap => Interlocked.Read(ref _overCap);

    /// <summary>Error-message counters in use.</summary>
    public int TrackedMessages => _messages.Used;

    /// <summary>Error messages counted by Space-Saving replacement because a cap was reached, since start.</summary>
    public long MessagesOverCap => _messages.OverCap;

    /// <summary>The byte budget: use, and what was given up to stay within it.</summary>
    public ByteBudget Budget => _budget;

    /// <summary>The tracked services' names, sorted.</summary>
    public IReadOnlyList<string> ServiceNames => [.. _services.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Counts one entry; false when it is older than the ring or found no room in the budget.</summary>
    public bool Add(in AcceptedEntry entry)
    {
        Span<EntryRefusal> refused = [EntryRefusal.None];
        AddBatch(new ReadOnlySpan<AcceptedEntry>(in entry), refused);
        return refused[0] == EntryRefusal.None;
    }

    /// <summary>
    /// Counts a batch in the services' windows and overall, taking each window's lock once per batch, and marks in
    /// <paramref name="refused"/> the entries not counted (older than the ring, or no room in the budget). An entry
    /// refused by its service's window is not counted overall either.
    /// </summary>
    public void AddBatch(ReadOnlySpan<AcceptedEntry> entries, Span<EntryRefusal> refused)
    {
        var max = _options.MaxErrorMessagesPerSecond;
        var floor = Volatile.Read(ref _floor);
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
                var window = ServiceWindowFor(service, out var refusal);
                if (window is null)
                {
                    if (refusal == EntryRefusal.None)
                    {
                        Interlocked.Add(ref _overCap, group.Count);
                    }
                    else
                    {
                        _budget.RecordRefusedService(group.Count);
                        foreach (var i in group)
                        {
                            refused[i] = refusal;
                        }
                    }

                    break;
                }

                if (window.AddAll(entries, CollectionsMarshal.AsSpan(group), refused, floor, max, _messages, _budget))
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
            if (refused[i] == EntryRefusal.None)
            {
                overall.Add(i);
            }
        }

        Overall.AddAll(entries, CollectionsMarshal.AsSpan(overall), refused, floor, max, _messages, _budget);
        RecordRefusals(refused);
        DegradeWhenNearlySpent();
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

    /// <summary>Frees seconds older than the retention, forgets services with nothing left, and degrades if needed.</summary>
    public void Cleanup(long now)
    {
        FreeBefore(now - (long)_options.Retention.TotalSeconds + 1);
        Degrade(now);
    }

    private ServiceWindow? ServiceWindowFor(string service, out EntryRefusal refusal)
    {
        refusal = EntryRefusal.None;
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

            if (Volatile.Read(ref _refuseNewServices) || !_budget.TryTake(ServiceWindow.BaseBytesOf(service)))
            {
                refusal = EntryRefusal.NewServiceOverBudget;
                return null;
            }

            _services[service] = window = new ServiceWindow(service, _span);
            return window;
        }
    }
}
