namespace Microservices.CacheNode.Store;

/// <summary>
/// A value kept beside a key's newest one because neither write had seen the other (the siblings policy). It shares
/// the entry's expiry.
/// </summary>
/// <param name="Value">The value.</param>
/// <param name="Kind">How the value is read back.</param>
/// <param name="Version">The write's version.</param>
public sealed record EntrySibling(byte[] Value, EntryKind Kind, EntryVersion Version);
