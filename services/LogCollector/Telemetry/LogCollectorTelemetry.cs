using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microservices.LogCollector.Ingest;
using Microservices.LogCollector.Windows;
using Microservices.ServiceDefaults;

namespace Microservices.LogCollector.Telemetry;

/// <summary>The log collector's ActivitySource and Meter (<c>Microservices.LogCollector</c>).</summary>
internal sealed class LogCollectorTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public static readonly string Name = ServiceTelemetry.NameOf("LogCollector");

    /// <summary>Spans of the log collector.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _truncated;
    private readonly Counter<long> _notifications;
    private readonly Counter<long> _transitions;

    public LogCollectorTelemetry(IMeterFactory meterFactory, WindowRegistry windows)
    {
        _meter = meterFactory.Create(Name);
        _accepted = _meter.CreateCounter<long>("logcollector.entries.accepted", "{entry}", "Log entries accepted.");
        _rejected = _meter.CreateCounter<long>("logcollector.entries.rejected", "{entry}", "Log entries rejected, by reason.");
        _truncated = _meter.CreateCounter<long>("logcollector.entries.truncated", "{entry}", "Accepted entries whose message is over 4 KiB.");
        _notifications = _meter.CreateCounter<long>(
            "logcollector.notifications", "{notification}", "Alert notifications by sink and outcome: sent, failed, dropped.");
        _transitions = _meter.CreateCounter<long>("logcollector.alerts.transitions", "{transition}", "Alert state changes, by new state.");
        _meter.CreateObservableGauge("logcollector.services", () => windows.ServiceCount, "{service}", "Services tracked one by one.");
        _meter.CreateObservableGauge(
            "logcollector.error_messages.tracked", () => windows.TrackedMessages, "{message}", "Error-message counters held in all windows.");
        _meter.CreateObservableCounter(
            "logcollector.error_messages.over_cap", () => windows.MessagesOverCap, "{message}",
            "Error messages counted by Space-Saving replacement because a per-second or total cap was reached.");
        _meter.CreateObservableCounter(
            "logcollector.entries.over_service_cap", () => windows.EntriesOverServiceCap, "{entry}",
            "Entries counted only overall because the service cap was reached.");
        ObserveBudget(windows.Budget, () => windows.RefusingNewServices);
    }

    // LogCollector:MaxBytes: its use, and what each degradation step gave up to stay within it.
    private void ObserveBudget(ByteBudget budget, Func<bool> refusingNewServices)
    {
        _meter.CreateObservableGauge("logcollector.memory.used", () => budget.Used, "By", "Bytes the windows hold (LogCollector:MaxBytes accounting).");
        _meter.CreateObservableGauge("logcollector.memory.limit", () => budget.Max, "By", "LogCollector:MaxBytes.");
        _meter.CreateObservableGauge(
            "logcollector.memory.refusing_new_services", () => refusingNewServices() ? 1 : 0, "{state}", "1 while new services are refused for lack of memory.");
        _meter.CreateObservableCounter(
            "logcollector.memory.coarsened_seconds", () => budget.CoarsenedSeconds, "{second}", "Old seconds whose histogram was made coarser to save memory.");
        _meter.CreateObservableCounter(
            "logcollector.memory.trimmed_messages", () => budget.TrimmedMessages, "{message}", "Error-message counters dropped from old seconds to save memory.");
        _meter.CreateObservableCounter(
            "logcollector.memory.freed_seconds", () => budget.FreedSeconds, "{second}", "Seconds freed before the end of their retention to save memory.");
        _meter.CreateObservableCounter(
            "logcollector.memory.refused_entries", () => budget.RefusedEntries + budget.RefusedServiceEntries, "{entry}",
            "Entries refused for lack of memory (a new second or a new service found no room).");
    }

    /// <summary>Registers the gauge of firing alerts.</summary>
    internal void ObserveFiring(Func<int> firing) =>
        _meter.CreateObservableGauge("logcollector.alerts.firing", firing, "{alert}", "Alerts currently firing.");

    /// <summary>Counts one batch: once per batch, not per entry, so concurrent streams do not fight over the counters.</summary>
    internal void RecordBatch(int accepted, int truncated, IReadOnlyList<(int Index, EntryRejection Rejection)> rejections)
    {
        _accepted.Add(accepted);
        if (truncated > 0)
        {
            _truncated.Add(truncated);
        }

        foreach (var (_, rejection) in rejections)
        {
            _rejected.Add(1, new KeyValuePair<string, object?>("reason", rejection.Code));
        }
    }

    internal void RecordNotification(string sink, string outcome) => _notifications.Add(
        1, new KeyValuePair<string, object?>("sink", sink), new KeyValuePair<string, object?>("outcome", outcome));

    internal void RecordTransition(string state) => _transitions.Add(1, new KeyValuePair<string, object?>("state", state));
}
