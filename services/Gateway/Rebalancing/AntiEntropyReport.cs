namespace Microservices.Gateway.Rebalancing;

/// <summary>What one anti-entropy pass did.</summary>
/// <param name="StartedAt">When it started.</param>
/// <param name="Took">How long it took.</param>
/// <param name="RangesCompared">Ring arcs whose replicas' digests were compared.</param>
/// <param name="RangesDivergent">Compared arcs whose replicas' digests differed.</param>
/// <param name="KeysRepaired">Newest versions written to replicas that lacked them (once per key and replica).</param>
/// <param name="EntriesScanned">Entries read by the Scans of narrowed sub-ranges, over all replicas.</param>
/// <param name="BytesExchanged">Encoded bytes of the entries scanned and written.</param>
/// <param name="Skipped">Replicas left out of (part of) the pass, and why: "node-3: Down".</param>
/// <param name="Complete">True when every arc was compared among all its own replicas.</param>
public sealed record AntiEntropyReport(
    DateTimeOffset StartedAt, TimeSpan Took, long RangesCompared, long RangesDivergent, long KeysRepaired,
    long EntriesScanned, long BytesExchanged, IReadOnlyList<string> Skipped, bool Complete);
