namespace Microservices.Gateway.Replication;

/// <summary>Consistency arithmetic.</summary>
public static class Consistency
{
    /// <summary>
    /// Replicas needed at <paramref name="level"/> with replication factor N = <paramref name="replicationFactor"/>
    /// and <paramref name="replicas"/> nodes in the key's preference list (N, or fewer on a smaller cluster):
    /// ONE = 1, QUORUM = floor(N / 2) + 1, ALL = every replica of the key. QUORUM does not shrink with the
    /// cluster, so R + W > N keeps reads seeing the last acknowledged write.
    /// </summary>
    public static int Required(ConsistencyLevel level, int replicationFactor, int replicas) => level switch
    {
        ConsistencyLevel.One => 1,
        ConsistencyLevel.Quorum => (replicationFactor / 2) + 1,
        _ => Math.Max(1, Math.Min(replicationFactor, replicas)),
    };
}
