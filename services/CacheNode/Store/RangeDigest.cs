namespace Microservices.CacheNode.Store;

/// <summary>The digest of one sub-range: how many entries it holds and the sum (mod 2^64) of their hashes.</summary>
/// <param name="Entries">Entries counted.</param>
/// <param name="Hash">Sum of the entries' hashes; 0 for none.</param>
public readonly record struct RangeDigest(long Entries, ulong Hash);
