namespace Microservices.Gateway.Replication;

/// <summary>
/// How many of a key's own replicas (the first N nodes of its preference list, live or not) must hold a write
/// before it is acknowledged, or answer a read. Stand-ins, which take writes for replicas that are down, never count.
/// </summary>
public enum ConsistencyLevel
{
    /// <summary>One own replica.</summary>
    One,

    /// <summary>A majority of the N own replicas: floor(N / 2) + 1.</summary>
    Quorum,

    /// <summary>All N own replicas.</summary>
    All,
}
