namespace Microservices.CacheNode.Store;

/// <summary>
/// Conflicts: writes concurrent with the stored state (neither had seen the other, by their version vectors).
/// Last-writer-wins (the default) stores the newer by (timestamp, writer), exactly as without vectors, and gives it
/// the join of both vectors, so later writes that read it descend both and a replay of the loser is taken as older.
/// Siblings keeps every concurrent value, as Riak 2.0 does with dotted version vectors: a write (its vector being its
/// causal context plus its own dot) drops the stored values whose dots it covers and keeps the others beside it; a
/// write covered by a stored value is older and ignored. At most <see cref="MaxSiblings"/> values are kept per key:
/// beyond it the oldest by timestamp is dropped and counted. A tombstone (a delete, or an expired value's marker) is
/// never a sibling: a set of concurrent writes that holds one is resolved by last-writer-wins. The common write, one
/// that descends a key without siblings, takes the same path as before vectors, with one vector lookup more.
/// </summary>
public sealed partial class CacheStore
{
    /// <summary>Most concurrent values (siblings) kept per key, the newest included.</summary>
    public const int MaxSiblings = 8;

    private long _conflictsWon;
    private long _conflictsLost;
    private long _siblingsKept;
    private long _siblingsDropped;

    /// <summary>Conflicts since start: last-writer-wins writes that replaced (won) or lost to a concurrent version, writes kept as siblings, siblings dropped over <see cref="MaxSiblings"/>.</summary>
    public (long Won, long Lost, long Siblings, long SiblingsDropped) Conflicts => (
        Interlocked.Read(ref _conflictsWon), Interlocked.Read(ref _conflictsLost),
        Interlocked.Read(ref _siblingsKept), Interlocked.Read(ref _siblingsDropped));

    private static WritePlan Plan(EntryWrite write, CacheEntry current)
    {
        var order = write.Version.CompareTo(current.Version);
        if (current.Siblings.Count == 0 && write.Siblings.Count == 0)
        {
            if (order == 0)
            {
                return new WritePlan(null, WriteOutcome.AlreadyApplied);
            }

            if (order > 0 ? write.Version.Covers(current.Version) : current.Version.Covers(write.Version))
            {
                return new WritePlan(order > 0 ? write : null, order > 0 ? WriteOutcome.Applied : WriteOutcome.Stale);
            }
        }

        return write.KeepSiblings || write.Siblings.Count > 0 ? PlanSiblings(write, current) : PlanLastWriterWins(write, current, order);
    }

    private static WritePlan PlanLastWriterWins(EntryWrite write, CacheEntry current, int order)
    {
        if (order > 0)
        {
            // Replaces the stored value and its siblings; those it had not seen are overwritten concurrent versions.
            EntryVersion? overwritten = null;
            var version = write.Version;
            foreach (var stored in Versions(current))
            {
                if (!write.Version.Covers(stored))
                {
                    overwritten ??= stored;
                    version = version.Join(stored);
                }
            }

            return overwritten is null
                ? new WritePlan(write, WriteOutcome.Applied)
                : new WritePlan(write with { Version = version }, WriteOutcome.Applied, ConflictOutcome.Won, overwritten);
        }

        foreach (var stored in Versions(current))
        {
            switch (write.Version.RelationTo(stored))
            {
                case VersionRelation.Same:
                    return new WritePlan(null, WriteOutcome.AlreadyApplied);
                case VersionRelation.Older:
                    return new WritePlan(null, WriteOutcome.Stale);
            }
        }

        // Concurrent and older: the stored version stays, and (a value) now covers this write, so a replay of it is
        // older. A tombstone keeps its vector: rewriting it would restart its grace period.
        return current.Tombstone
            ? new WritePlan(null, WriteOutcome.Stale, ConflictOutcome.Lost, current.Version)
            : new WritePlan(
            current.ToWrite(current.Version.Join(write.Version), current.ExpiresAtMs), WriteOutcome.Stale, ConflictOutcome.Lost, current.Version);
    }

    // Riak's DVV sync of the stored values with the incoming ones: each side keeps what the other side does not cover.
    private static WritePlan PlanSiblings(EntryWrite write, CacheEntry current)
    {
        var incoming = new List<Candidate>(1 + write.Siblings.Count) { new(write.Value, write.Kind, write.Version, write.Tombstone, Incoming: true) };
        foreach (var sibling in write.Siblings)
        {
            incoming.Add(new(sibling.Value, sibling.Kind, sibling.Version, Tombstone: false, Incoming: true));
        }

        var stored = new List<Candidate>(1 + current.Siblings.Count) { new(current.Value, current.Kind, current.Version, current.Tombstone, Incoming: false) };
        foreach (var sibling in current.Siblings)
        {
            stored.Add(new(sibling.Value, sibling.Kind, sibling.Version, Tombstone: false, Incoming: false));
        }

        var kept = new List<Candidate>(incoming.Count + stored.Count);
        // A value on both sides (the same dot) is kept once, as stored.
        kept.AddRange(stored.Where(s => !incoming.Exists(i => i.Version.Covers(s.Version) && !i.Version.SameDot(s.Version))));
        var storedKept = kept.Count;
        kept.AddRange(incoming.Where(i => !stored.Exists(s => s.Version.Covers(i.Version))));
        var mainKept = kept.Count > storedKept && ReferenceEquals(kept[storedKept].Version, write.Version);
        var outcome = mainKept ? WriteOutcome.Applied
            : stored.Exists(s => s.Version.SameDot(write.Version)) ? WriteOutcome.AlreadyApplied : WriteOutcome.Stale;
        if (kept.Count == storedKept)
        {
            return new WritePlan(null, outcome);
        }

        kept.Sort((a, b) => b.Version.CompareTo(a.Version));
        var concurrentWith = storedKept == 0 ? null : kept.First(c => !c.Incoming).Version;
        if (kept.Exists(c => c.Tombstone))
        {
            // A delete is never a sibling: the newest of the concurrent writes wins, with all their vectors.
            var version = kept[0].Version;
            for (var i = 1; i < kept.Count; i++)
            {
                version = version.Join(kept[i].Version);
            }

            var winner = kept[0];
            if (winner.Tombstone && !winner.Incoming)
            {
                // The stored tombstone stays as it is (rewriting it would restart its grace period).
                return new WritePlan(null, outcome, ConflictOutcome.Lost, winner.Version);
            }

            var expiresAtMs = winner.Incoming ? write.ExpiresAtMs : current.ExpiresAtMs;
            var resolved = new EntryWrite(write.Key, winner.Tombstone ? [] : winner.Value, winner.Kind, version, winner.Tombstone ? long.MaxValue : expiresAtMs, winner.Tombstone);
            return new WritePlan(resolved, outcome, concurrentWith is null ? ConflictOutcome.None : winner.Incoming ? ConflictOutcome.Won : ConflictOutcome.Lost, concurrentWith);
        }

        var dropped = Math.Max(0, kept.Count - MaxSiblings);
        kept.RemoveRange(kept.Count - dropped, dropped);

        var newest = kept[0];
        var siblings = new EntrySibling[kept.Count - 1];
        for (var i = 1; i < kept.Count; i++)
        {
            siblings[i - 1] = new EntrySibling(kept[i].Value, kept[i].Kind, kept[i].Version);
        }

        var merged = new EntryWrite(write.Key, newest.Value, newest.Kind, newest.Version, newest.Incoming ? write.ExpiresAtMs : current.ExpiresAtMs, Tombstone: false)
        {
            KeepSiblings = true,
            Siblings = siblings,
        };
        return new WritePlan(merged, outcome, concurrentWith is null || !mainKept ? ConflictOutcome.None : ConflictOutcome.Sibling, concurrentWith, dropped);
    }

    private void CountConflict(in WritePlan plan)
    {
        if (plan.Dropped > 0)
        {
            Interlocked.Add(ref _siblingsDropped, plan.Dropped);
        }

        switch (plan.Conflict)
        {
            case ConflictOutcome.Won:
                Interlocked.Increment(ref _conflictsWon);
                break;
            case ConflictOutcome.Lost:
                Interlocked.Increment(ref _conflictsLost);
                break;
            case ConflictOutcome.Sibling:
                Interlocked.Increment(ref _siblingsKept);
                break;
        }
    }

    // The stored versions, newest first: the entry's own, then its siblings'.
    private static IEnumerable<EntryVersion> Versions(CacheEntry entry)
    {
        yield return entry.Version;
        foreach (var sibling in entry.Siblings)
        {
            yield return sibling.Version;
        }
    }

    // What to store in place of the current entry (null: nothing), and what to report.
    private readonly record struct WritePlan(
        EntryWrite? Install, WriteOutcome Outcome, ConflictOutcome Conflict = ConflictOutcome.None, EntryVersion? ConcurrentWith = null, int Dropped = 0);

    private sealed record Candidate(byte[] Value, EntryKind Kind, EntryVersion Version, bool Tombstone, bool Incoming);
}
