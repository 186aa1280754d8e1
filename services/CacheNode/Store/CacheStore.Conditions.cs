namespace Microservices.CacheNode.Store;

/// <summary>Whether a write may replace the stored entry: its version, then its precondition.</summary>
public sealed partial class CacheStore
{
    // Null when `write` may replace `current`. The same version is already applied, whatever the precondition says (a
    // retried conditional write is idempotent); then a precondition that does not hold refuses the write, before an
    // older version would. Called with the entry the caller's compare-and-swap (or shard lock) replaces, so a write
    // that lands in between makes the swap fail and the check run again.
    private WriteResult? Refusal(EntryWrite write, CacheEntry current)
    {
        var order = write.Version.CompareTo(current.Version);
        if (order == 0)
        {
            return new WriteResult(WriteOutcome.AlreadyApplied, current.Version);
        }

        if (write.Condition is { } condition && !condition.Holds(current, NowMs))
        {
            return new WriteResult(WriteOutcome.ConditionFailed, current.Version);
        }

        return order < 0 ? new WriteResult(WriteOutcome.Stale, current.Version) : null;
    }
}
