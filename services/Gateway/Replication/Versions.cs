using Microservices.Cache.V1;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Orders versions as the cache nodes do: timestamp, then writer (ordinal); and reads causality from their vectors
/// (a version's vector is its causal past, its own dot included, see <see cref="CausalContext"/>).
/// </summary>
public static class Versions
{
    /// <summary>Positive when <paramref name="a"/> is newer than <paramref name="b"/>; 0 when the same write.</summary>
    public static int Compare(ProtoVersion a, ProtoVersion b)
    {
        var byTime = a.Timestamp.CompareTo(b.Timestamp);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.Writer, b.Writer);
    }

    /// <summary>True when <paramref name="b"/>'s dot (writer, timestamp) is in <paramref name="a"/>'s causal past or is its own.</summary>
    public static bool Covers(ProtoVersion a, ProtoVersion b)
    {
        if (string.Equals(a.Writer, b.Writer, StringComparison.Ordinal) && a.Timestamp >= b.Timestamp)
        {
            return true;
        }

        foreach (var counter in a.Vector)
        {
            if (string.Equals(counter.Writer, b.Writer, StringComparison.Ordinal))
            {
                return counter.Counter >= (ulong)b.Timestamp;
            }
        }

        return false;
    }

    /// <summary>
    /// The newer of two entries (either may be null). Of two copies of the same version, the one that expires last
    /// (a live value over its expired marker), as a Touch may have reached one replica and not the other. Entries
    /// written under the siblings policy are merged instead (<see cref="SiblingMerge"/>): the union of their values
    /// by dot, less those the other side has seen.
    /// </summary>
    public static Entry? Newer(Entry? a, Entry? b) =>
        a is null ? b : b is null ? a
        : a.KeepSiblings || b.KeepSiblings ? SiblingMerge.Merge(a, b)
        : Compare(b.Version, a.Version) switch { > 0 => b, < 0 => a, _ => ExpiresLater(b, a) ? b : a };

    /// <summary>
    /// True when a replica that answered <paramref name="held"/> lacks what <paramref name="newest"/> (the merge of the
    /// answers) holds: nothing, an older version, or not every one of its siblings.
    /// </summary>
    public static bool IsStale(Entry? held, Entry newest)
    {
        if (held is null || Compare(held.Version, newest.Version) < 0)
        {
            return true;
        }

        foreach (var sibling in newest.Siblings)
        {
            if (!SiblingMerge.Holds(held, sibling.Version))
            {
                return true;
            }
        }

        return false;
    }

    // A tombstone (an expired marker) never expires later than a live copy; no expiry is the latest of all.
    internal static bool ExpiresLater(Entry b, Entry a) =>
        !b.Tombstone && (a.Tombstone || (a.ExpiresAt is not null && (b.ExpiresAt is null || b.ExpiresAt.CompareTo(a.ExpiresAt) > 0)));
}
