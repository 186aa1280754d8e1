namespace Microservices.CacheNode.Cluster;

/// <summary>The outcome of a configuration proposal.</summary>
public enum ProposeOutcome
{
    /// <summary>Held: made on the committed epoch, and no other proposal was held.</summary>
    Accepted,

    /// <summary>Refused: made on another epoch than the committed one.</summary>
    StaleBase,

    /// <summary>Refused: another proposal on the same epoch is held.</summary>
    Held,
}
