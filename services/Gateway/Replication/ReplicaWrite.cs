namespace Microservices.Gateway.Replication;

/// <summary>
/// A write at some consistency: the key's own replicas that hold it (stand-ins never count), how many were needed of
/// how many, why the others do not hold it, and how many of them hold a newer version of the key instead; and, when
/// an own replica found it concurrent with the version it held (<paramref name="Conflict"/>), that replica's answer
/// (its outcome and the concurrent version), the first one heard before the write was decided.
/// </summary>
public sealed record ReplicaWrite(
    IReadOnlyList<string> AcknowledgedBy, int Required, int Replicas, IReadOnlyList<string> Failures, int Superseded,
    Cache.V1.PutResponse? Conflict = null)
{
    /// <summary>True when enough own replicas hold the write.</summary>
    public bool Satisfied => AcknowledgedBy.Count >= Required;

    /// <summary>The version written (the entry's); null where the outcome was not built from one entry's fan-out.</summary>
    public Cache.V1.Version? Written { get; init; }

    /// <summary>Own replicas that refused a conditional write because its precondition did not hold there.</summary>
    public int ConditionFailed { get; init; }

    /// <summary>The newest version held by the own replicas that refused the precondition; null when none did.</summary>
    public Cache.V1.Version? Current { get; init; }

    /// <summary>True when a conditional write failed and some own replica refused its precondition.</summary>
    public bool FailedPrecondition => !Satisfied && ConditionFailed > 0;

    /// <summary>
    /// True when the write failed because own replicas hold a newer version (last writer wins): with them it would
    /// have had enough. The gateway's clock has seen that version, so a retry is stamped after it.
    /// </summary>
    public bool LostToNewerWrite => !Satisfied && AcknowledgedBy.Count + Superseded >= Required;

    /// <summary>
    /// "1 of 3 replicas hold it, 2 needed (cache-node-2: Unavailable, cache-node-3: no room)", and for a failed write
    /// that it is not undone: the replicas that took it keep it, and hints may still bring it to the others.
    /// </summary>
    public string Describe() =>
        $"{AcknowledgedBy.Count} of {Replicas} replicas hold it, {Required} needed" +
        (Failures.Count > 0 ? $" ({string.Join(", ", Failures)})" : string.Empty) +
        (Satisfied || LostToNewerWrite || (FailedPrecondition && AcknowledgedBy.Count == 0)
            ? string.Empty
            : "; the write is not undone and may still take effect: replicas that took it keep it, and hints kept for "
                + "the others are delivered when they are back");
}
