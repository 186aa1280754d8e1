namespace Microservices.CacheNode.Store;

/// <summary>How a stored value is to be read back.</summary>
public enum EntryKind
{
    /// <summary>Opaque bytes.</summary>
    Binary,

    /// <summary>UTF-8 text.</summary>
    Text,
}
