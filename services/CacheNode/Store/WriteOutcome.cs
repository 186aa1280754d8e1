namespace Microservices.CacheNode.Store;

/// <summary>What became of a write.</summary>
public enum WriteOutcome
{
    /// <summary>The write was newer than the stored version and replaced it.</summary>
    Applied,

    /// <summary>The same version was already stored: nothing to do.</summary>
    AlreadyApplied,

    /// <summary>A newer version is stored; the write was ignored.</summary>
    Stale,

    /// <summary>The write's precondition did not hold for the stored entry; nothing changed.</summary>
    ConditionFailed,

    /// <summary>No room under the memory limit even after eviction; the write was not applied.</summary>
    NoRoom,
}
