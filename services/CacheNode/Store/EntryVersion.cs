namespace Microservices.CacheNode.Store;

/// <summary>
/// The version of a write: a hybrid-logical-clock timestamp, the id of the writer that stamped it, and a version
/// vector. Writes are ordered by timestamp, then by writer (ordinal) as the tie-break: last-writer-wins picks by that
/// order. The pair (writer, timestamp) is the write's dot; the vector is its causal past (writer -> newest timestamp
/// seen from it), its own dot included, so causality is read from it (<see cref="Covers"/>, <see cref="RelationTo"/>),
/// as in dotted version vectors (Preguiça et al. 2010; Riak 2.0). Two versions with the same dot are the same write.
/// </summary>
public sealed class EntryVersion(long timestamp, string writer, IReadOnlyList<VersionCounter> vector)
{
    /// <summary>Most writers a vector holds; beyond it the oldest counters are pruned (as the gateway does).</summary>
    public const int MaxVectorEntries = 16;

    /// <summary>Hybrid logical clock timestamp.</summary>
    public long Timestamp { get; } = timestamp;

    /// <summary>Id of the writer (gateway) that stamped the write.</summary>
    public string Writer { get; } = writer;

    /// <summary>Version vector: writer -> newest timestamp of that writer in this write's causal past.</summary>
    public IReadOnlyList<VersionCounter> Vector { get; } = vector;

    /// <summary>Orders writes: positive when this one is newer than <paramref name="other"/>, 0 when the same write.</summary>
    public int CompareTo(EntryVersion other)
    {
        var byTime = Timestamp.CompareTo(other.Timestamp);
        return byTime != 0 ? byTime : string.CompareOrdinal(Writer, other.Writer);
    }

    /// <summary>
    /// True when <paramref name="other"/>'s dot is in this write's causal past (or is this write's own dot): its
    /// writer's counter here (this vector's, or this dot's when the writer is the same) is at least its timestamp.
    /// </summary>
    public bool Covers(EntryVersion other)
    {
        if (string.Equals(Writer, other.Writer, StringComparison.Ordinal) && Timestamp >= other.Timestamp)
        {
            return true;
        }

        for (var i = 0; i < Vector.Count; i++)
        {
            if (string.Equals(Vector[i].Writer, other.Writer, StringComparison.Ordinal))
            {
                return Vector[i].Counter >= (ulong)other.Timestamp;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="other"/> is the same write: the same dot (writer, timestamp).</summary>
    public bool SameDot(EntryVersion other) => Timestamp == other.Timestamp && string.Equals(Writer, other.Writer, StringComparison.Ordinal);

    /// <summary>How this (incoming) write relates to <paramref name="stored"/>.</summary>
    public VersionRelation RelationTo(EntryVersion stored) =>
        SameDot(stored) ? VersionRelation.Same
        : Covers(stored) ? VersionRelation.Descends
        : stored.Covers(this) ? VersionRelation.Older
        : VersionRelation.Concurrent;

    /// <summary>
    /// This version (same dot) with a vector that also covers <paramref name="other"/>'s causal past and dot: the
    /// pointwise maximum, pruned to <see cref="MaxVectorEntries"/> writers by oldest counter (a pruned writer's writes
    /// may then be taken as concurrent, never the other way round).
    /// </summary>
    public EntryVersion Join(EntryVersion other)
    {
        var counters = new Dictionary<string, ulong>(StringComparer.Ordinal);
        Add(counters, this);
        Add(counters, other);
        var joined = counters.Select(c => new VersionCounter(c.Key, c.Value));
        if (counters.Count > MaxVectorEntries)
        {
            joined = joined.OrderByDescending(c => c.Counter).Take(MaxVectorEntries);
        }

        return new EntryVersion(Timestamp, Writer, [.. joined.OrderBy(c => c.Writer, StringComparer.Ordinal)]);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Timestamp}@{Writer}";

    private static void Add(Dictionary<string, ulong> counters, EntryVersion version)
    {
        foreach (var counter in version.Vector)
        {
            counters[counter.Writer] = Math.Max(counters.GetValueOrDefault(counter.Writer), counter.Counter);
        }

        counters[version.Writer] = Math.Max(counters.GetValueOrDefault(version.Writer), (ulong)version.Timestamp);
    }
}
