using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microservices.RateLimiter.Buckets;
using Microservices.ServiceDefaults;

namespace Microservices.RateLimiter.Telemetry;

/// <summary>The rate limiter's ActivitySource and Meter (<c>Microservices.RateLimiter</c>).</summary>
public sealed class RateLimiterTelemetry
{
    /// <summary>Name of the ActivitySource and the Meter.</summary>
    public static readonly string Name = ServiceTelemetry.NameOf("RateLimiter");

    /// <summary>Spans of the rate limiter.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _decisions;

    /// <summary>Creates the meter: decisions by outcome and the live-bucket gauge.</summary>
    public RateLimiterTelemetry(IMeterFactory meterFactory, TokenBucketLimiter limiter)
    {
        var meter = meterFactory.Create(Name);
        _decisions = meter.CreateCounter<long>(
            "ratelimiter.decisions", "{decision}", "Acquire decisions by outcome: allowed, denied, invalid, exhausted.");
        meter.CreateObservableGauge(
            "ratelimiter.buckets.live", () => limiter.LiveBuckets, "{bucket}", "Buckets currently held in memory.");
    }

    /// <summary>Counts one decision.</summary>
    public void RecordDecision(string outcome) => _decisions.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
