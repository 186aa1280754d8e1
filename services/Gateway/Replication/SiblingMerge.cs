using Microservices.Cache.V1;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Replication;

/// <summary>
/// Merges what two replicas hold of a key written under the siblings policy, by the rules the cache nodes apply
/// (Riak 2.0's dotted version vectors): each side keeps the values the other side's versions have not seen, a value
/// held by both (the same dot) once; if a tombstone is among what remains, the newest by (timestamp, writer) wins
/// alone, with a vector joining all (a delete is never a sibling); otherwise the newest is the entry's value and the
/// others its siblings, at most <see cref="MaxValues"/> in all (the oldest dropped, as a node would).
/// </summary>
public static class SiblingMerge
{
    /// <summary>Most concurrent values a key keeps (the cache nodes' bound).</summary>
    public const int MaxValues = 8;

    /// <summary>The merge of <paramref name="a"/> and <paramref name="b"/>, both entries of the same key.</summary>
    public static Entry Merge(Entry a, Entry b)
    {
        var fromA = Values(a);
        var fromB = Values(b);
        var kept = new List<Item>(fromA.Count + fromB.Count);
        kept.AddRange(fromA.Where(x => !fromB.Exists(y => Versions.Covers(y.Version, x.Version) && !SameDot(x.Version, y.Version))));
        kept.AddRange(fromB.Where(y => !fromA.Exists(x => Versions.Covers(x.Version, y.Version))));
        kept.Sort((x, y) => Versions.Compare(y.Version, x.Version));
        var later = Versions.ExpiresLater(b, a) ? b : a;
        if (kept.Exists(item => item.Tombstone))
        {
            var version = kept[0].Version.Clone();
            var context = CausalContext.Of(version);
            foreach (var item in kept.Skip(1))
            {
                context = context.Join(CausalContext.Of(item.Version));
            }

            version.Vector.Clear();
            version.Vector.Add(context.Pruned().ToVector());
            return kept[0].Tombstone
                ? new Entry { Key = a.Key, Tombstone = true, Version = version, KeyHash = a.KeyHash }
                : new Entry { Key = a.Key, Value = kept[0].Value, Kind = kept[0].Kind, Version = version, ExpiresAt = later.ExpiresAt, KeyHash = a.KeyHash };
        }

        var merged = new Entry
        {
            Key = a.Key,
            Value = kept[0].Value,
            Kind = kept[0].Kind,
            Version = kept[0].Version,
            ExpiresAt = later.ExpiresAt,
            KeyHash = a.KeyHash,
            KeepSiblings = true,
        };
        foreach (var item in kept.Skip(1).Take(MaxValues - 1))
        {
            merged.Siblings.Add(new EntrySibling { Value = item.Value, Kind = item.Kind, Version = item.Version });
        }

        return merged;
    }

    /// <summary>True when <paramref name="entry"/> holds the write of <paramref name="version"/> or one that has seen it.</summary>
    public static bool Holds(Entry entry, ProtoVersion version)
    {
        if (Versions.Covers(entry.Version, version))
        {
            return true;
        }

        foreach (var sibling in entry.Siblings)
        {
            if (Versions.Covers(sibling.Version, version))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The causal context of everything <paramref name="entry"/> holds: its version's joined with its siblings'.</summary>
    public static CausalContext ContextOf(Entry entry)
    {
        var context = CausalContext.Of(entry.Version);
        foreach (var sibling in entry.Siblings)
        {
            context = context.Join(CausalContext.Of(sibling.Version));
        }

        return context;
    }

    private static bool SameDot(ProtoVersion x, ProtoVersion y) =>
        x.Timestamp == y.Timestamp && string.Equals(x.Writer, y.Writer, StringComparison.Ordinal);

    private static List<Item> Values(Entry entry)
    {
        var items = new List<Item>(1 + entry.Siblings.Count) { new(entry.Value, entry.Kind, entry.Version, entry.Tombstone) };
        foreach (var sibling in entry.Siblings)
        {
            items.Add(new(sibling.Value, sibling.Kind, sibling.Version, Tombstone: false));
        }

        return items;
    }

    private sealed record Item(Google.Protobuf.ByteString Value, ValueKind Kind, ProtoVersion Version, bool Tombstone);
}
