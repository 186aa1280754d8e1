namespace Microservices.Gateway.Replication;

/// <summary>How many replicas must answer a read or acknowledge a write.</summary>
public enum ConsistencyLevel
{
    /// <summary>One replica.</summary>
    One,

    /// <summary>A majority of the replication factor.</summary>
    Quorum,

    /// <summary>Every replica of the key.</summary>
    All,
}
