using System.Buffers.Binary;

namespace Microservices.Client.Caching;

/// <summary>
/// The 18 bytes stored before each value: a marker (0xD1 0x01: this format, version 1), the sliding expiration in
/// milliseconds (0 = none) and the absolute expiration in unix milliseconds (0 = none), both little-endian int64. A
/// Get needs them to extend a sliding entry without overrunning its absolute expiration, as the Redis
/// IDistributedCache keeps them in its hash fields.
/// </summary>
internal readonly record struct EntryHeader(long SlidingMs, long AbsoluteUnixMs)
{
    public const int Size = 18;
    private const byte Marker = 0xD1;
    private const byte FormatVersion = 1;

    /// <summary>A new array holding the header and then <paramref name="value"/>.</summary>
    public byte[] Prepend(ReadOnlySpan<byte> value)
    {
        var stored = new byte[Size + value.Length];
        stored[0] = Marker;
        stored[1] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(stored.AsSpan(2), SlidingMs);
        BinaryPrimitives.WriteInt64LittleEndian(stored.AsSpan(10), AbsoluteUnixMs);
        value.CopyTo(stored.AsSpan(Size));
        return stored;
    }

    /// <summary>Reads the header of <paramref name="stored"/>; false for a value not written in this format.</summary>
    public static bool TryRead(ReadOnlySpan<byte> stored, out EntryHeader header)
    {
        header = default;
        if (stored.Length < Size || stored[0] != Marker || stored[1] != FormatVersion)
        {
            return false;
        }

        header = new EntryHeader(
            BinaryPrimitives.ReadInt64LittleEndian(stored[2..]), BinaryPrimitives.ReadInt64LittleEndian(stored[10..]));
        return header.SlidingMs >= 0 && header.AbsoluteUnixMs >= 0;
    }
}
