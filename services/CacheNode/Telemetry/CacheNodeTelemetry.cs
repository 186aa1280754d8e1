using System.Diagnostics;
using System.Globalization;
using System.Diagnostics.Metrics;
using Microservices.CacheNode.Store;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Telemetry;

/// <summary>The cache node's ActivitySource and Meter (<c>Microservices.CacheNode</c>).</summary>
public sealed class CacheNodeTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public static readonly string Name = ServiceTelemetry.NameOf("CacheNode");

    /// <summary>Spans of the cache node.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>Observes the store's counters; the store keeps them, the meter reads them when collected.</summary>
    public CacheNodeTelemetry(IMeterFactory meterFactory, CacheStore store)
    {
        var meter = meterFactory.Create(Name);
        meter.CreateObservableCounter("cachenode.hits", () => store.Stats().Hits, "{read}", "Reads that found a live value.");
        meter.CreateObservableCounter("cachenode.misses", () => store.Stats().Misses, "{read}", "Reads that found nothing live.");
        meter.CreateObservableCounter("cachenode.evictions", () => store.Stats().Evictions, "{entry}", "Values evicted to stay under the memory limit.");
        meter.CreateObservableCounter("cachenode.expirations", () => store.Stats().Expirations, "{entry}", "Values reclaimed after their TTL.");
        meter.CreateObservableCounter("cachenode.conflicts", () => Conflicts(store), "{write}",
            "Writes concurrent with a stored version (neither had seen the other), by outcome: won and lost (last-writer-wins), sibling (kept beside it), sibling_dropped (the oldest sibling dropped over 8 per key).");
        meter.CreateObservableGauge("cachenode.entries", () => store.Stats().Entries, "{entry}", "Values stored.");
        meter.CreateObservableGauge("cachenode.tombstones", () => store.Stats().Tombstones, "{entry}", "Tombstones kept.");
        meter.CreateObservableGauge("cachenode.bytes", () => store.Stats().Bytes, "By", "Bytes accounted against the memory limit.");
    }

    private static Measurement<long>[] Conflicts(CacheStore store)
    {
        var (won, lost, siblings, dropped) = store.Conflicts;
        return
        [
            new(won, new KeyValuePair<string, object?>("outcome", "won")),
            new(lost, new KeyValuePair<string, object?>("outcome", "lost")),
            new(siblings, new KeyValuePair<string, object?>("outcome", "sibling")),
            new(dropped, new KeyValuePair<string, object?>("outcome", "sibling_dropped")),
        ];
    }

    /// <summary>
    /// Starts a span for one operation, tagged with the key's hash (never the key: it may be personal data) or
    /// the number of items. The hash is computed only when the span is recorded.
    /// </summary>
    public static Activity? StartOperation(string operation, string? key = null, int? items = null)
    {
        var activity = Source.StartActivity(operation);
        if (activity is not null)
        {
            if (key is not null)
            {
                activity.SetTag("cache.key_hash", KeyHash.Of(key).ToString("x16", CultureInfo.InvariantCulture));
            }

            if (items is { } count)
            {
                activity.SetTag("cache.items", count);
            }
        }

        return activity;
    }
}
