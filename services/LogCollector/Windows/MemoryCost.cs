namespace Microservices.LogCollector.Windows;

/// <summary>
/// Bytes the windows' objects take on the managed heap (.NET 10, x64: 16-byte object header, 8-byte references,
/// 24-byte array header, sizes rounded up to 8), so the budget counts what the heap holds, not what the data
/// says. <c>WindowRegistryMemoryTests</c> checks them against the heap.
/// </summary>
internal static class MemoryCost
{
    /// <summary>A <see cref="SecondBucket"/> object: 11 eight-byte fields, an int and two flags, and the header.</summary>
    public const int Bucket = 104;

    /// <summary>
    /// A <see cref="ServiceWindow"/> (64) with its lock (40) and its empty map of seconds (80), and the registry's
    /// dictionary node for it (48) and share of that dictionary's bucket and lock arrays (16); its name is counted apart.
    /// </summary>
    public const int Window = 64 + 40 + 80 + 48 + 16;

    /// <summary>A dictionary object without its arrays (buckets and entries are counted per slot).</summary>
    public const int Dictionary = 80;

    /// <summary>One slot of the map of seconds: a bucket index (4) and an entry {hash, next, long, reference} (24).</summary>
    public const int SecondSlot = 28;

    /// <summary>One slot of a second's message counts: a bucket index (4) and an entry {hash, next, ErrorKey, long} (40).</summary>
    public const int MessageSlot = 44;

    /// <summary>One histogram cell (packed cell and count).</summary>
    public const int Cell = 8;

    /// <summary>An array's header.</summary>
    public const int ArrayHeader = 24;

    /// <summary>A string of <paramref name="text"/>'s length in UTF-16 characters.</summary>
    public static long Of(string text) => Align(22L + (2L * text.Length));

    /// <summary>Rounds up to the heap's 8-byte alignment.</summary>
    public static long Align(long bytes) => (bytes + 7) & ~7L;

    /// <summary>
    /// The capacity a dictionary grows to when asked for <paramref name="count"/> slots: .NET's next prime at or above
    /// it, which is under 1.25 x <paramref name="count"/> + 3 for every size the windows use.
    /// </summary>
    public static int CapacityBound(int count) => count + (count / 4) + 3;

    /// <summary>The two arrays of a dictionary of <paramref name="capacity"/> slots: bucket indexes and entries.</summary>
    public static long MapArrays(int capacity, int slotBytes) => capacity == 0
        ? 0
        : Align(ArrayHeader + (4L * capacity)) + Align(ArrayHeader + ((long)(slotBytes - 4) * capacity));

    /// <summary>
    /// Makes room in <paramref name="map"/> for one more key, taking the bytes of its larger arrays first. False, and
    /// nothing changed, when the budget cannot take them. <paramref name="bytes"/> is the map's accounted bytes.
    /// </summary>
    public static bool TryMakeRoom<TKey, TValue>(Dictionary<TKey, TValue> map, int slotBytes, ByteBudget budget, ref long bytes)
        where TKey : notnull
    {
        var capacity = map.EnsureCapacity(0);
        if (map.Count < capacity)
        {
            return true;
        }

        // The arrays are doubled, as Dictionary itself would; the old ones become garbage the GC takes back.
        var wanted = Math.Max(3, capacity * 2);
        var reserve = MapArrays(CapacityBound(wanted), slotBytes) - MapArrays(capacity, slotBytes);
        if (!budget.TryTake(reserve))
        {
            return false;
        }

        var actual = MapArrays(map.EnsureCapacity(wanted), slotBytes) - MapArrays(capacity, slotBytes);
        budget.Release(reserve - actual);
        bytes += actual;
        return true;
    }
}
