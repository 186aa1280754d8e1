namespace Microservices.CacheNode.Store;

/// <summary>
/// The precondition of a conditional write (<c>cache.v1.Precondition</c>): put-if-absent, or "the stored version is
/// one the writer has seen". A key that holds nothing meets both. The store checks it against the very entry the
/// write replaces, in the same compare-and-swap (or under the same shard lock), so check and write are one step.
/// </summary>
/// <param name="Seen">The writer's causal context: writer -> newest timestamp seen from it (ignored when <paramref name="Absent"/>).</param>
/// <param name="Absent">Put-if-absent: the key must hold no live value.</param>
public sealed record WriteCondition(IReadOnlyList<VersionCounter> Seen, bool Absent)
{
    // The newest write the context names: its largest counter, ties broken by writer as versions are.
    private readonly EntryVersion? _newest = Newest(Seen);

    /// <summary>
    /// True when <paramref name="current"/> meets the condition at <paramref name="nowMs"/>: for put-if-absent, it
    /// is a tombstone or an expired value; otherwise its version is covered by <see cref="Seen"/>
    /// (<c>seen[writer] &gt;= timestamp</c>) or older than the newest write <see cref="Seen"/> names. The second
    /// rule admits a replica that still holds a version some write the writer saw replaced, by last-writer-wins,
    /// without having seen it; any write made after the context was read is newer than all of it.
    /// </summary>
    public bool Holds(CacheEntry current, long nowMs)
    {
        if (Absent)
        {
            return !current.IsLive(nowMs);
        }

        foreach (var counter in Seen)
        {
            if (string.Equals(counter.Writer, current.Version.Writer, StringComparison.Ordinal))
            {
                if (counter.Counter >= (ulong)current.Version.Timestamp)
                {
                    return true;
                }

                break;
            }
        }

        return _newest is not null && _newest.CompareTo(current.Version) > 0;
    }

    private static EntryVersion? Newest(IReadOnlyList<VersionCounter> seen)
    {
        EntryVersion? newest = null;
        foreach (var counter in seen)
        {
            var candidate = new EntryVersion((long)Math.Min(counter.Counter, long.MaxValue), counter.Writer, []);
            if (newest is null || candidate.CompareTo(newest) > 0)
            {
                newest = candidate;
            }
        }

        return newest;
    }
}
