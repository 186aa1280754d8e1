using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Microservices.Gateway.Origin;

namespace Microservices.Gateway.WriteBack;

/// <summary>
/// The log's record format, little-endian: <c>u32 payload length, u32 CRC-32 (IEEE) of the payload, payload</c>;
/// the payload is <c>u8 kind (1 put, 2 delete), i64 version timestamp, string writer, string tenant, string key,
/// u8 is-text, i64 logged-at unix ms, i32 value length, value</c>, each string a u16 length and its UTF-8 bytes. A
/// record's sequence number is its position: a segment file is named after its first record's. A record cut short
/// or whose checksum does not match (a torn write at a crash) ends the readable log.
/// </summary>
internal static class WriteBackCodec
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderBytes = 8;

    private const byte PutKind = 1;
    private const byte DeleteKind = 2;

    // A length past this is not a record we wrote (a value is at most Gateway:MaxValueBytes, far less).
    private const int MaxPayloadBytes = 64 * 1024 * 1024;

    /// <summary>Encodes <paramref name="row"/> as one record.</summary>
    public static byte[] Encode(OriginRow row)
    {
        var value = row.Deleted ? [] : row.Value;
        var payloadLength = 1 + 8 + StringBytes(row.Version.Writer) + StringBytes(row.Tenant) + StringBytes(row.Key) + 1 + 8 + 4 + value.Length;
        var record = new byte[HeaderBytes + payloadLength];
        var span = record.AsSpan(HeaderBytes);
        span[0] = row.Deleted ? DeleteKind : PutKind;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], row.Version.Timestamp);
        var at = 9;
        at += WriteString(span[at..], row.Version.Writer);
        at += WriteString(span[at..], row.Tenant);
        at += WriteString(span[at..], row.Key);
        span[at++] = row.IsText ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], row.UpdatedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt32LittleEndian(span[(at + 8)..], value.Length);
        value.CopyTo(span[(at + 12)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32.HashToUInt32(span));
        return record;
    }

    /// <summary>
    /// Reads the record at the start of <paramref name="data"/> as number <paramref name="sequence"/>; null when what
    /// is there is not a whole record with a matching checksum (a torn or damaged tail). <paramref name="length"/> is
    /// its size in bytes.
    /// </summary>
    public static WriteBackRecord? TryDecode(ReadOnlySpan<byte> data, long sequence, out int length)
    {
        length = 0;
        if (data.Length < HeaderBytes)
        {
            return null;
        }

        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (payloadLength > MaxPayloadBytes || payloadLength > data.Length - HeaderBytes)
        {
            return null;
        }

        var payload = data.Slice(HeaderBytes, (int)payloadLength);
        if (Crc32.HashToUInt32(payload) != BinaryPrimitives.ReadUInt32LittleEndian(data[4..]))
        {
            return null;
        }

        try
        {
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
            var at = 9;
            var writer = ReadString(payload, ref at);
            var tenant = ReadString(payload, ref at);
            var key = ReadString(payload, ref at);
            var isText = payload[at++] == 1;
            var loggedAt = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(payload[at..]));
            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(at + 8)..]);
            var value = payload.Slice(at + 12, valueLength).ToArray();
            length = HeaderBytes + (int)payloadLength;
            var row = new OriginRow(tenant, key, isText, value, loggedAt, new OriginVersion(timestamp, writer), payload[0] == DeleteKind);
            return new WriteBackRecord(sequence, row, length);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A checksum that matches a payload we did not write: as damaged as a mismatch.
            return null;
        }
    }

    private static int StringBytes(string text) => 2 + Encoding.UTF8.GetByteCount(text);

    private static int WriteString(Span<byte> span, string text)
    {
        var length = Encoding.UTF8.GetBytes(text, span[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        return 2 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> payload, ref int at)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
        var text = Encoding.UTF8.GetString(payload.Slice(at + 2, length));
        at += 2 + length;
        return text;
    }
}
