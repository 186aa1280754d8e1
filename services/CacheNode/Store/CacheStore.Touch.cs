namespace Microservices.CacheNode.Store;

/// <summary>
/// Touch: a later expiry for the value a key holds, at exactly the version the caller read, for sliding expiration.
/// The value, its version and its place in the eviction queue stay; only the expiry moves, and only later. The entry
/// is swapped with a compare-and-swap on the one checked, so a write or an expiry that lands meanwhile wins and the
/// touch reports it instead of undoing it.
/// </summary>
public sealed partial class CacheStore
{
    /// <summary>
    /// Moves the expiry of <paramref name="key"/>'s live value at <paramref name="version"/> to
    /// <paramref name="expiresAtMs"/> (unix milliseconds), unless it already expires later. A key without a live value
    /// is not revived; a key at another version is left alone.
    /// </summary>
    public TouchResult Touch(string key, EntryVersion version, long expiresAtMs)
    {
        while (true)
        {
            if (!_map.TryGetValue(key, out var current))
            {
                return new TouchResult(TouchOutcome.NotFound, null, 0);
            }

            if (current.Version.CompareTo(version) != 0)
            {
                return new TouchResult(TouchOutcome.VersionMismatch, current.Version, 0);
            }

            if (!current.IsLive(NowMs))
            {
                return new TouchResult(TouchOutcome.NotFound, current.Version, 0);
            }

            if (current.ExpiresAtMs >= expiresAtMs)
            {
                return new TouchResult(TouchOutcome.Extended, current.Version, current.ExpiresAtMs);
            }

            var write = current.ToWrite(current.Version, expiresAtMs);
            var touched = new CacheEntry(write, current.KeyHash, current.Size, 0, current.Node);
            if (_map.TryUpdate(key, touched, current))
            {
                return new TouchResult(TouchOutcome.Extended, touched.Version, expiresAtMs);
            }
        }
    }
}
