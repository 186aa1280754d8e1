namespace Microservices.CacheNode.Store;

/// <summary>Whether a write may replace the stored entry: its version, then its precondition.</summary>
public sealed partial class CacheStore
{
    // Null when `write` may go on to be planned against `current`. The same version is already applied, whatever the
    // precondition says (a retried conditional write is idempotent: the plan reports it); otherwise a precondition
    // that does not hold refuses the write. Called with the entry the caller's compare-and-swap (or shard lock)
    // replaces, so a write that lands in between makes the swap fail and the check run again.
    private WriteResult? Refusal(EntryWrite write, CacheEntry current) =>
        write.Condition is { } condition && write.Version.CompareTo(current.Version) != 0 && !condition.Holds(current, NowMs)
            ? new WriteResult(WriteOutcome.ConditionFailed, current.Version)
            : null;
}
