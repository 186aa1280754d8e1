namespace Microservices.CacheNode.Store;

/// <summary>How an incoming write's version relates to a stored one (see <see cref="EntryVersion.RelationTo"/>).</summary>
public enum VersionRelation
{
    /// <summary>The same dot: the same write, seen again (a replay, a hint, a repair).</summary>
    Same,

    /// <summary>The incoming write has seen the stored one (its vector covers the stored dot): it replaces it.</summary>
    Descends,

    /// <summary>The stored write has seen the incoming one: the incoming write is older and is ignored.</summary>
    Older,

    /// <summary>Neither has seen the other: a conflict, resolved by the write's policy.</summary>
    Concurrent,
}
