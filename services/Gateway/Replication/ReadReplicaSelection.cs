namespace Microservices.Gateway.Replication;

/// <summary>
/// Which of a key's readable own replicas a read asks first, when its level needs fewer than it has (ONE asks 1 of
/// 3, QUORUM 2 of 3; ALL asks them all). Whatever the selection, SUSPECT replicas come after the UP ones and
/// RECOVERING ones are never read, and only the key's own replicas count for the level.
/// </summary>
public enum ReadReplicaSelection
{
    /// <summary>Ring order: the owner first, then the next replicas clockwise (the default).</summary>
    Primary,

    /// <summary>The first replica asked takes turns: each read starts one place further along the key's replicas.</summary>
    RoundRobin,

    /// <summary>At random in proportion to node weight (<c>Nodes:&lt;i&gt;:Weight</c>): a node of weight 2 is asked twice as often.</summary>
    Weighted,

    /// <summary>
    /// The replica with the fewest reads in flight from this gateway, by power-of-two-choices: two replicas drawn at
    /// random, the less busy one asked (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001;
    /// as Envoy's and Finagle's least-request balancers).
    /// </summary>
    LeastOutstanding,
}
