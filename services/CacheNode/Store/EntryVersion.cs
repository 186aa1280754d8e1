namespace Microservices.CacheNode.Store;

/// <summary>
/// The version of a write: a hybrid-logical-clock timestamp, the id of the writer that stamped it, and a version
/// vector. Writes are ordered by timestamp, then by writer (ordinal) as the tie-break; the vector is kept to count
/// truly concurrent writes and never changes the order. Two versions with the same timestamp and writer are the
/// same write.
/// </summary>
public sealed class EntryVersion(long timestamp, string writer, IReadOnlyList<VersionCounter> vector)
{
    /// <summary>Hybrid logical clock timestamp.</summary>
    public long Timestamp { get; } = timestamp;

    /// <summary>Id of the writer (gateway) that stamped the write.</summary>
    public string Writer { get; } = writer;

    /// <summary>Version vector.</summary>
    public IReadOnlyList<VersionCounter> Vector { get; } = vector;

    /// <summary>Orders writes: positive when this one is newer than <paramref name="other"/>, 0 when the same write.</summary>
    public int CompareTo(EntryVersion other)
    {
        var byTime = Timestamp.CompareTo(other.Timestamp);
        return byTime != 0 ? byTime : string.CompareOrdinal(Writer, other.Writer);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Timestamp}@{Writer}";
}
