namespace Microservices.ServiceDefaults;

/// <summary>
/// How an arc of the hash ring, <c>start &lt; h &lt;= end</c> (clockwise; <c>start == end</c> is the whole ring), is
/// cut into equal sub-ranges for CacheNode.Digest, and the bounds of that call. The gateway that asks for digests and
/// the node that computes them must cut arcs the same way, so both use this one definition.
/// </summary>
public static class RingSplit
{
    /// <summary>Most ranges in one Digest request.</summary>
    public const int MaxRanges = 1024;

    /// <summary>Most sub-ranges per range in one Digest request.</summary>
    public const int MaxSplits = 256;

    /// <summary>Most sub-ranges (ranges x splits) in one Digest request: its reply stays under 100 KiB.</summary>
    public const int MaxSubRanges = 4096;

    private static readonly UInt128 WholeRing = UInt128.One << 64;

    /// <summary>How many hashes the arc holds: <c>end - start</c> modulo 2^64, or 2^64 for the whole ring.</summary>
    public static UInt128 Length(ulong start, ulong end) => start == end ? WholeRing : unchecked(end - start);

    /// <summary>
    /// Bound <paramref name="i"/> (0 to <paramref name="splits"/>) of the arc cut into <paramref name="splits"/>:
    /// <c>start + floor(length * i / splits)</c> modulo 2^64. Sub-range i is (bound i, bound i + 1].
    /// </summary>
    public static ulong Bound(ulong start, UInt128 length, int splits, int i) =>
        unchecked(start + (ulong)(length * (uint)i / (uint)splits));

    /// <summary>
    /// The sub-range (0 to <paramref name="splits"/> - 1) that <paramref name="hash"/>, which lies on the arc, falls
    /// in: the i with bound i &lt; hash &lt;= bound i + 1, that is <c>floor((offset * splits - 1) / length)</c> where
    /// offset (1 to length) is how far clockwise from start the hash lies.
    /// </summary>
    public static int SubRangeOf(ulong start, UInt128 length, int splits, ulong hash)
    {
        var offset = unchecked(hash - start);
        UInt128 distance = offset == 0 ? WholeRing : offset;
        return (int)(((distance * (uint)splits) - 1) / length);
    }
}
