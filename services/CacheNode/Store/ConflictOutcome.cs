namespace Microservices.CacheNode.Store;

/// <summary>What a write that was concurrent with a stored version (neither had seen the other) did.</summary>
public enum ConflictOutcome
{
    /// <summary>No conflict: the write descends, is older than, or is the stored state.</summary>
    None,

    /// <summary>Last-writer-wins: the write was newer and replaced a concurrent version (which is dropped).</summary>
    Won,

    /// <summary>Last-writer-wins: a newer concurrent version is stored and kept; this write is not.</summary>
    Lost,

    /// <summary>Siblings: the write is kept beside the concurrent values.</summary>
    Sibling,
}
