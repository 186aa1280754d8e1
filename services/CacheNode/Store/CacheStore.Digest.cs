using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microservices.ServiceDefaults;

namespace Microservices.CacheNode.Store;

/// <summary>
/// Range digests for anti-entropy. A replica's contents over a sub-range are summarised by a count and the sum
/// (mod 2^64) of one XxHash3-64 per entry: a set hash that is independent of the order entries are walked in (the
/// additive set hash, AdHash, of Bellare and Micciancio), so replicas holding the same writes agree however their
/// maps are laid out, and one entry more, less or different changes the sum. The tree is not kept: each request
/// walks the store once, as Scan does, and the gateway narrows a range that differs by asking again for its
/// sub-ranges (a Merkle tree built on demand, level by level), so writes pay nothing for anti-entropy.
/// </summary>
public sealed partial class CacheStore
{
    // Key hash, key length, version timestamp, writer length and the tombstone flag, around the key and the writer.
    private const int FixedHashedBytes = 8 + 4 + 8 + 4 + 1;

    /// <summary>
    /// The digests of <paramref name="ranges"/> (which must not overlap) each cut into <paramref name="splits"/>
    /// sub-ranges (<see cref="RingSplit"/>), range by range, as of <paramref name="nowMs"/>. Counted: values (an
    /// expired one as a tombstone at its version) and tombstones, except tombstones whose version is older than half
    /// the tombstone grace period: they are about to be purged, at different moments on different replicas, and
    /// counting them would make replicas that agree look different. The walk takes no lock, as <see cref="Scan"/>.
    /// </summary>
    public RangeDigest[] Digest(IReadOnlyList<HashRange> ranges, int splits, long nowMs, CancellationToken cancellationToken)
    {
        var lookup = new RangeLookup(ranges);
        var lengths = new UInt128[ranges.Count];
        for (var i = 0; i < lengths.Length; i++)
        {
            lengths[i] = RingSplit.Length(ranges[i].Start, ranges[i].End);
        }

        var counts = new long[ranges.Count * splits];
        var sums = new ulong[counts.Length];
        var tombstonesFromMs = nowMs - (_tombstoneGraceMs / 2);
        var buffer = new byte[FixedHashedBytes + Encoding.UTF8.GetMaxByteCount(RequestLimits.MaxStoredKeyBytes + 100)];
        var walked = 0;
        foreach (var (_, entry) in _map)
        {
            if ((++walked & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var range = lookup.Find(entry.KeyHash);
            var tombstone = !entry.IsLive(nowMs);
            if (range < 0 || (tombstone && HybridTime.WallMilliseconds(entry.Version.Timestamp) < tombstonesFromMs))
            {
                continue;
            }

            var slot = (range * splits) + RingSplit.SubRangeOf(ranges[range].Start, lengths[range], splits, entry.KeyHash);
            counts[slot]++;
            sums[slot] = unchecked(sums[slot] + EntryHash(entry, tombstone, buffer));
        }

        var digests = new RangeDigest[counts.Length];
        for (var i = 0; i < digests.Length; i++)
        {
            digests[i] = new RangeDigest(counts[i], sums[i]);
        }

        return digests;
    }

    // XxHash3-64 of the entry's key hash, key, version (timestamp, writer) and tombstone flag, lengths included so no
    // two different entries encode alike, plus one XxHash3-64 (seeded by the key hash) per sibling's dot. Keys and writers are bounded (by the node's limits), so they fit the buffer.
    private static ulong EntryHash(CacheEntry entry, bool tombstone, byte[] buffer)
    {
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, entry.KeyHash);
        var keyLength = Encoding.UTF8.GetBytes(entry.Key, span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], keyLength);
        var at = 12 + keyLength;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], entry.Version.Timestamp);
        var writerLength = Encoding.UTF8.GetBytes(entry.Version.Writer, span[(at + 12)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 8)..], writerLength);
        at += 12 + writerLength;
        span[at++] = tombstone ? (byte)1 : (byte)0;
        var hash = XxHash3.HashToUInt64(span[..at]);
        if (!tombstone)
        {
            // Siblings count as part of the entry: replicas that hold different sets of them differ.
            foreach (var sibling in entry.Siblings)
            {
                BinaryPrimitives.WriteInt64LittleEndian(span, sibling.Version.Timestamp);
                var length = Encoding.UTF8.GetBytes(sibling.Version.Writer, span[8..]);
                hash = unchecked(hash + XxHash3.HashToUInt64(span[..(8 + length)], seed: (long)entry.KeyHash));
            }
        }

        return hash;
    }
}
