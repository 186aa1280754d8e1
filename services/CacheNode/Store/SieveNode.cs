namespace Microservices.CacheNode.Store;

/// <summary>A key's place in its shard's SIEVE queue. Reads set <see cref="Visited"/> without a lock.</summary>
internal sealed class SieveNode(string key)
{
    public string Key { get; } = key;

    /// <summary>Read since the hand last passed; a benign race between readers and the hand.</summary>
    public bool Visited;

    public SieveNode? Newer;
    public SieveNode? Older;
}
