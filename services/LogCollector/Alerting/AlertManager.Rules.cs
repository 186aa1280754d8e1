using System.Globalization;
using Microservices.LogCollector.Windows;
using Microservices.Logs.V1;

namespace Microservices.LogCollector.Alerting;

/// <summary>
/// How a rule is measured. A service's alert holds when its value is above the threshold with at least
/// <c>MinSamples</c> samples. The overall alert holds when the value over all entries is above the threshold and at
/// least <c>MinSamples</c> of its samples are evidence: entries of services that are above the threshold themselves
/// (or that are counted only overall). Traffic of healthy services thus cannot make a few errors elsewhere a page,
/// while many quiet services failing together still page overall.
/// </summary>
internal sealed partial class AlertManager
{
    private void EvaluateRule(
        string name, AlertRuleOptions rule, long windowSeconds, IReadOnlyList<string> services, HashSet<string> tracked,
        DateTimeOffset now)
    {
        var last = now.ToUnixTimeSeconds();
        var first = last - windowSeconds + 1;
        var detail = rule.Metric is AlertMetric.P95ResponseTime or AlertMetric.P99ResponseTime
            ? WindowDetail.Percentiles : WindowDetail.None;

        // Every service is measured, for its own alert and to tell which samples of the overall figure are healthy.
        long healthySamples = 0;
        foreach (var service in services)
        {
            var reading = Read(rule, _windows.Query(service, first, last, detail));
            if (!reading.Over)
            {
                healthySamples += reading.Samples;
            }

            if (rule.Scope != RuleScope.Overall)
            {
                Step(AlertKey.OfService(name, service), rule, reading.Over && reading.Samples >= rule.MinSamples, reading, windowSeconds, now);
            }
        }

        if (rule.Scope != RuleScope.Services)
        {
            var overall = Read(rule, _windows.Query(string.Empty, first, last, detail));

            // Entries arriving between the queries can make the services' sum pass the overall one for a moment.
            var evidence = Math.Max(0, overall.Samples - healthySamples);
            Step(AlertKey.Overall(name), rule, overall.Over && evidence >= rule.MinSamples, overall, windowSeconds, now);
        }

        // Alerts of services that left the registry are evaluated too, so they resolve.
        foreach (var key in _active.Keys.Where(key => key.Rule == name && key.Scope == AlertScope.Service && !tracked.Contains(key.Service)).ToList())
        {
            var reading = Read(rule, _windows.Query(key.Service, first, last, detail));
            Step(key, rule, reading.Over && reading.Samples >= rule.MinSamples, reading, windowSeconds, now);
        }
    }

    private static Reading Read(AlertRuleOptions rule, WindowTotals totals)
    {
        var (value, samples) = rule.Metric switch
        {
            AlertMetric.ErrorRate => (totals.ErrorRate, totals.Count),
            AlertMetric.AverageResponseTime => (totals.AverageMs, totals.Timed),
            AlertMetric.P95ResponseTime => (totals.Percentile(0.95), totals.Timed),
            _ => (totals.Percentile(0.99), totals.Timed),
        };
        return new Reading(value, samples, totals.Count, value > rule.Threshold);
    }

    private static string Describe(AlertRuleOptions rule, AlertKey key, Reading reading, long windowSeconds)
    {
        var subject = key.Scope == AlertScope.Overall ? "all services" : key.Service;
        var (value, samples, total) = (reading.Value, reading.Samples, reading.Total);
        return rule.Metric switch
        {
            AlertMetric.ErrorRate => string.Create(CultureInfo.InvariantCulture,
                $"High error rate for {subject}: {value:P1} > {rule.Threshold:P1} over {windowSeconds} s ({Math.Round(value * total)} of {total} entries)"),
            AlertMetric.AverageResponseTime => string.Create(CultureInfo.InvariantCulture,
                $"Slow responses for {subject}: average {value:0.#} ms > {rule.Threshold:0.#} ms over {windowSeconds} s ({samples} requests)"),
            _ => string.Create(CultureInfo.InvariantCulture,
                $"Slow responses for {subject}: {(rule.Metric == AlertMetric.P95ResponseTime ? "p95" : "p99")} {value:0.#} ms > {rule.Threshold:0.#} ms over {windowSeconds} s ({samples} requests)"),
        };
    }

    /// <summary>A rule's value over one window, its samples (entries, or timed entries for response times), all entries, and whether the value is above the threshold.</summary>
    private readonly record struct Reading(double Value, long Samples, long Total, bool Over);
}
