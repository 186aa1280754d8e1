using Microservices.Cache.V1;

namespace Microservices.Gateway.Replication;

/// <summary>
/// A read at some consistency: the newest entry among the replicas that answered (a live value, a tombstone, or
/// null when none had the key), and how many answered against how many were needed.
/// </summary>
public sealed record ReplicaRead(Entry? Newest, int Answered, int Required, IReadOnlyList<string> Failures)
{
    /// <summary>True when enough replicas answered.</summary>
    public bool Satisfied => Answered >= Required;

    /// <summary>"1 replicas answered, 2 needed (cache-node-2: Unavailable)".</summary>
    public string Describe() =>
        $"{Answered} replicas answered, {Required} needed" +
        (Failures.Count > 0 ? $" ({string.Join(", ", Failures)})" : string.Empty);
}
