namespace Microservices.CacheNode.Store;

/// <summary>A write to apply: a value, or a tombstone when <see cref="Tombstone"/> is set.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value; empty for a tombstone.</param>
/// <param name="Kind">How the value is read back.</param>
/// <param name="Version">The write's version.</param>
/// <param name="ExpiresAtMs">Unix milliseconds at which the value expires; <see cref="long.MaxValue"/> = never.</param>
/// <param name="Tombstone">True for a delete.</param>
/// <param name="Condition">The precondition the stored state must meet (a conditional write); null for none.</param>
public sealed record EntryWrite(
    string Key, byte[] Value, EntryKind Kind, EntryVersion Version, long ExpiresAtMs, bool Tombstone, WriteCondition? Condition = null)
{
    /// <summary>
    /// The siblings policy: a value concurrent with stored values (neither write had seen the other) is kept beside
    /// them; without it (last-writer-wins) the newer by (timestamp, writer) replaces the other.
    /// </summary>
    public bool KeepSiblings { get; init; }

    /// <summary>Values concurrent with this one that come with it (an entry moved between nodes); usually none.</summary>
    public IReadOnlyList<EntrySibling> Siblings { get; init; } = [];

    /// <summary>A delete of <paramref name="key"/> at <paramref name="version"/>.</summary>
    public static EntryWrite Delete(string key, EntryVersion version) =>
        new(key, [], EntryKind.Binary, version, long.MaxValue, Tombstone: true);
}
