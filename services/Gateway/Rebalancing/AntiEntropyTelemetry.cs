using System.Diagnostics.Metrics;

namespace Microservices.Gateway.Rebalancing;

/// <summary>Metrics of anti-entropy, on the gateway's meter.</summary>
public sealed class AntiEntropyTelemetry
{
    private readonly Counter<long> _compared;
    private readonly Counter<long> _divergent;
    private readonly Counter<long> _repaired;
    private readonly Counter<long> _passes;
    private double _lastPassSeconds;

    /// <summary>Creates the instruments.</summary>
    public AntiEntropyTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _compared = meter.CreateCounter<long>("gateway.anti_entropy.ranges_compared", "{range}", "Ring arcs whose replicas' digests anti-entropy compared.");
        _divergent = meter.CreateCounter<long>("gateway.anti_entropy.ranges_divergent", "{range}", "Compared ring arcs whose replicas' digests differed.");
        _repaired = meter.CreateCounter<long>("gateway.anti_entropy.keys_repaired", "{key}", "Newest versions anti-entropy wrote to replicas that lacked them (once per key and replica).");
        _passes = meter.CreateCounter<long>("gateway.anti_entropy.passes", "{pass}", "Anti-entropy passes ended, by whether they compared every arc among all its replicas (complete true or false).");
        meter.CreateObservableGauge("gateway.anti_entropy.last_pass_duration", () => Volatile.Read(ref _lastPassSeconds), "s", "How long the last anti-entropy pass took.");
    }

    /// <summary>Records a pass that ended.</summary>
    public void RecordPass(AntiEntropyReport report)
    {
        _compared.Add(report.RangesCompared);
        _divergent.Add(report.RangesDivergent);
        _repaired.Add(report.KeysRepaired);
        _passes.Add(1, new KeyValuePair<string, object?>("complete", report.Complete));
        Volatile.Write(ref _lastPassSeconds, report.Took.TotalSeconds);
    }
}
