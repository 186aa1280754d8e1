namespace Microservices.Gateway.Replication;

/// <summary>Consistency arithmetic.</summary>
public static class Consistency
{
    /// <summary>
    /// Own replicas needed at <paramref name="level"/> for a key with <paramref name="replicas"/> own replicas
    /// (N: the replication factor, or the number of nodes on a smaller ring): ONE = 1, QUORUM = floor(N / 2) + 1,
    /// ALL = N. So ONE &lt;= QUORUM &lt;= ALL for every N, and two quorums of the same N always share a replica. A key
    /// without replicas (an empty ring) still needs one, so nothing succeeds on it.
    /// </summary>
    public static int Required(ConsistencyLevel level, int replicas) => level switch
    {
        ConsistencyLevel.One => 1,
        ConsistencyLevel.Quorum => (replicas / 2) + 1,
        _ => Math.Max(1, replicas),
    };
}
