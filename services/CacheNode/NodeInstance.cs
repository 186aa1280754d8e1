namespace Microservices.CacheNode;

/// <summary>
/// This run of the node: an id drawn at start, reported by GetStats, so the gateway can tell two addresses of one
/// node (an alias) from two nodes, whatever names and addresses they are given.
/// </summary>
public sealed class NodeInstance
{
    /// <summary>32 hex digits, new at every start.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");
}
