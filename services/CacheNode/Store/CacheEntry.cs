namespace Microservices.CacheNode.Store;

/// <summary>
/// One key's stored state. Immutable: a write replaces the entry. Only the eviction bookkeeping
/// (<see cref="Node"/>) is carried from an entry to the one that replaces it.
/// </summary>
public sealed class CacheEntry
{
    internal CacheEntry(EntryWrite write, ulong keyHash, long size, long writtenAtMs, SieveNode? node)
    {
        Key = write.Key;
        KeyHash = keyHash;
        Value = write.Value;
        Kind = write.Kind;
        Version = write.Version;
        ExpiresAtMs = write.ExpiresAtMs;
        Tombstone = write.Tombstone;
        KeepSiblings = write.KeepSiblings;
        Siblings = write.Siblings;
        Size = size;
        WrittenAtMs = writtenAtMs;
        Node = node;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>XxHash3-64 of the key's UTF-8 bytes: its position on the ring.</summary>
    public ulong KeyHash { get; }

    /// <summary>The value; empty for a tombstone.</summary>
    public byte[] Value { get; }

    /// <summary>How the value is read back.</summary>
    public EntryKind Kind { get; }

    /// <summary>The version of the write that produced this entry.</summary>
    public EntryVersion Version { get; }

    /// <summary>Unix milliseconds at which the entry expires; <see cref="long.MaxValue"/> = never.</summary>
    public long ExpiresAtMs { get; }

    /// <summary>True when the key was deleted at <see cref="Version"/>, or its value expired (the value's marker).</summary>
    public bool Tombstone { get; }

    /// <summary>True when the key was written under the siblings policy: concurrent values are kept.</summary>
    public bool KeepSiblings { get; }

    /// <summary>
    /// The values concurrent with this one (siblings), newest first, all older than <see cref="Version"/> by
    /// (timestamp, writer); empty for most keys. They share this entry's expiry.
    /// </summary>
    public IReadOnlyList<EntrySibling> Siblings { get; }

    /// <summary>Bytes accounted against the memory limit.</summary>
    public long Size { get; }

    /// <summary>Local unix milliseconds of the write; a tombstone's grace period counts from it.</summary>
    internal long WrittenAtMs { get; }

    /// <summary>The entry's place in its shard's eviction queue; null for a delete's tombstone.</summary>
    internal SieveNode? Node { get; }

    /// <summary>The write that would store this entry again (expiry <paramref name="expiresAtMs"/>, version <paramref name="version"/>).</summary>
    internal EntryWrite ToWrite(EntryVersion version, long expiresAtMs) =>
        new(Key, Value, Kind, version, expiresAtMs, Tombstone) { KeepSiblings = KeepSiblings, Siblings = Siblings };

    /// <summary>True when the entry is a value that has not expired at <paramref name="nowMs"/>.</summary>
    public bool IsLive(long nowMs) => !Tombstone && ExpiresAtMs > nowMs;
}
