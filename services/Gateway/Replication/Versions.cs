using Microservices.Cache.V1;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>Orders versions as the cache nodes do: timestamp, then writer (ordinal).</summary>
public static class Versions
{
    /// <summary>Positive when <paramref name="a"/> is newer than <paramref name="b"/>; 0 when the same write.</summary>
    public static int Compare(ProtoVersion a, ProtoVersion b)
    {
        var byTime = a.Timestamp.CompareTo(b.Timestamp);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.Writer, b.Writer);
    }

    /// <summary>
    /// The newer of two entries (either may be null). Of two copies of the same version, the one that expires last
    /// (a live value over its expired marker), as a Touch may have reached one replica and not the other.
    /// </summary>
    public static Entry? Newer(Entry? a, Entry? b) =>
        a is null ? b : b is null ? a : Compare(b.Version, a.Version) switch { > 0 => b, < 0 => a, _ => ExpiresLater(b, a) ? b : a };

    // A tombstone (an expired marker) never expires later than a live copy; no expiry is the latest of all.
    private static bool ExpiresLater(Entry b, Entry a) =>
        !b.Tombstone && (a.Tombstone || (a.ExpiresAt is not null && (b.ExpiresAt is null || b.ExpiresAt.CompareTo(a.ExpiresAt) > 0)));
}
