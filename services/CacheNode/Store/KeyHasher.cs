using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Microservices.CacheNode.Store;

/// <summary>The key hash of the whole product: XxHash3 64-bit of the key's UTF-8 bytes.</summary>
public static class KeyHasher
{
    /// <summary>Hashes <paramref name="key"/> without allocating for keys up to 256 UTF-16 chars.</summary>
    public static ulong Hash(string key)
    {
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[1024];
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
