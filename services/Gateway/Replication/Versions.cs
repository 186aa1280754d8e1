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

    /// <summary>The newer of two entries (either may be null).</summary>
    public static Entry? Newer(Entry? a, Entry? b) =>
        a is null ? b : b is null ? a : Compare(b.Version, a.Version) > 0 ? b : a;
}
