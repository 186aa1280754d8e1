namespace Microservices.CacheNode.Store;

/// <summary>Range scans by key hash: the primitive of rebalancing, re-replication and repair.</summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Entries whose key hash lies in any of <paramref name="ranges"/> (all when empty): values live at
    /// <paramref name="nowMs"/> and, unless <paramref name="liveOnly"/>, tombstones and expired values (which stand
    /// for a tombstone at their version, so the receiver learns that the key's newest write has no value). The walk
    /// takes no lock, so writers are never blocked; an entry written during the walk may or may not be seen, and
    /// each key is seen at most once.
    /// </summary>
    public IEnumerable<CacheEntry> Scan(IReadOnlyList<HashRange> ranges, bool liveOnly, long nowMs)
    {
        foreach (var (_, entry) in _map)
        {
            if ((!liveOnly || entry.IsLive(nowMs)) && InRanges(entry.KeyHash, ranges))
            {
                yield return entry;
            }
        }
    }

    private static bool InRanges(ulong hash, IReadOnlyList<HashRange> ranges)
    {
        if (ranges.Count == 0)
        {
            return true;
        }

        for (var i = 0; i < ranges.Count; i++)
        {
            if (ranges[i].Contains(hash))
            {
                return true;
            }
        }

        return false;
    }
}
