namespace Microservices.TestSupport.History;

/// <summary>What the linearizability search concluded about one key's history.</summary>
public enum Verdict
{
    /// <summary>Some order of the operations, each at a point between its invocation and completion, is legal for a register.</summary>
    Linearizable,

    /// <summary>No such order exists: the key's history is an anomaly.</summary>
    NotLinearizable,

    /// <summary>The search reached its state limit before deciding.</summary>
    Unknown,
}
