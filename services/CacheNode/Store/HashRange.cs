namespace Microservices.CacheNode.Store;

/// <summary>
/// An arc of the hash ring: hashes h with <c>Start &lt; h &lt;= End</c>, clockwise. When End &lt; Start the arc
/// wraps past the top of the ring; Start == End is the whole ring.
/// </summary>
public readonly record struct HashRange(ulong Start, ulong End)
{
    /// <summary>True when <paramref name="hash"/> lies on the arc.</summary>
    public bool Contains(ulong hash) => Start == End
        || (Start < End ? hash > Start && hash <= End : hash > Start || hash <= End);
}
