using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Microservices.ServiceDefaults;

/// <summary>
/// The key hash of the whole product: XxHash3 64-bit of the key's UTF-8 bytes. The gateway places keys on the ring
/// with it and the nodes scan ranges by it, so both must use this one definition.
/// </summary>
public static class KeyHash
{
    private const int StackLimit = 1024;

    /// <summary>Hashes <paramref name="key"/>, without allocating for keys of up to about 340 UTF-16 chars.</summary>
    public static ulong Of(string key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        if (max <= StackLimit)
        {
            // Sized to the key: a stackalloc is zeroed, and zeroing a fixed 1 KiB cost more than the hash.
            Span<byte> buffer = stackalloc byte[max];
            var length = Encoding.UTF8.GetBytes(key, buffer);
            return XxHash3.HashToUInt64(buffer[..length]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var length = Encoding.UTF8.GetBytes(key, rented);
            return XxHash3.HashToUInt64(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
