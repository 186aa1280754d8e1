namespace Microservices.CacheNode.Store;

/// <summary>
/// The outcome of a write and the version stored after it (null when the key holds nothing); for a write concurrent
/// with a stored version, what became of the conflict and the newest concurrent version it met.
/// </summary>
public readonly record struct WriteResult(
    WriteOutcome Outcome, EntryVersion? Current, ConflictOutcome Conflict = ConflictOutcome.None, EntryVersion? ConcurrentWith = null)
{
    /// <summary>True when the write is in the store: applied now or before.</summary>
    public bool Applied => Outcome is WriteOutcome.Applied or WriteOutcome.AlreadyApplied;
}
