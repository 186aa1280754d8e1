namespace Microservices.Gateway.Replication;

/// <summary>A write at some consistency: which replicas acknowledged it, and how many were needed.</summary>
public sealed record ReplicaWrite(IReadOnlyList<string> AcknowledgedBy, int Required, int Replicas, IReadOnlyList<string> Failures)
{
    /// <summary>True when enough replicas acknowledged.</summary>
    public bool Satisfied => AcknowledgedBy.Count >= Required;

    /// <summary>"1 of 3 replicas answered, 2 needed (cache-node-2: Unavailable)".</summary>
    public string Describe() =>
        $"{AcknowledgedBy.Count} of {Replicas} replicas answered, {Required} needed" +
        (Failures.Count > 0 ? $" ({string.Join(", ", Failures)})" : string.Empty);
}
