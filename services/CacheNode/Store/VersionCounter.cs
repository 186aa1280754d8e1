namespace Microservices.CacheNode.Store;

/// <summary>One component of a version vector: how many writes a writer has made.</summary>
public readonly record struct VersionCounter(string Writer, ulong Counter);
