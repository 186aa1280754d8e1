using System.Globalization;
using Google.Protobuf;
using Microservices.Gateway.Caching;
using Microservices.ServiceDefaults;
using ProtoVersion = Microservices.Cache.V1.Version;

namespace Microservices.Gateway.Grpc;

/// <summary>
/// A client's session for one request: what its token says it has seen (key hash of the stored key -> timestamp of
/// the newest version seen), and what the request adds. A read is bounded by <see cref="SeenOf"/>; the reply carries
/// <see cref="Encode"/>. The token is a summary, as Azure Cosmos DB's session token is: at most
/// <see cref="MaxEntries"/> keys, the oldest dropped first; a dropped key has only its level's guarantees again.
/// </summary>
internal sealed class Session
{
    /// <summary>Most keys a token remembers.</summary>
    public const int MaxEntries = 64;

    /// <summary>Most bytes a token may have on a request (64 entries take about 1.4 KB).</summary>
    public const int MaxEncodedBytes = 2048;

    private const string Field = "session_token";
    private const string NotAToken = $"{Field} is not a token returned by this cache";

    private readonly Dictionary<ulong, long> _seen;

    private Session(Dictionary<ulong, long> seen) => _seen = seen;

    /// <summary>
    /// Reads the token a client sent (empty: a new session). Returns an error naming <c>session_token</c> and the
    /// limit for more than <see cref="MaxEncodedBytes"/> bytes or <see cref="MaxEntries"/> entries, bytes that do not
    /// parse, a timestamp that is not positive, or one more than <paramref name="maxClockOffset"/> ahead of
    /// <paramref name="nowMs"/> (a token from a clock far ahead would make every read of the key wait for a version
    /// that no replica can have).
    /// </summary>
    public static string? TryRead(ByteString bytes, long nowMs, TimeSpan maxClockOffset, out Session session)
    {
        session = new Session([]);
        if (bytes.IsEmpty)
        {
            return null;
        }

        if (bytes.Length > MaxEncodedBytes)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Field} is {bytes.Length} bytes; at most {MaxEncodedBytes} are allowed");
        }

        V1.SessionToken token;
        try
        {
            token = V1.SessionToken.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return NotAToken;
        }

        if (token.Versions.Count > MaxEntries)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Field} has {token.Versions.Count} entries; at most {MaxEntries} are allowed");
        }

        foreach (var version in token.Versions)
        {
            if (version.Timestamp <= 0)
            {
                return NotAToken;
            }

            if (!HybridTime.IsWithinOffset(version.Timestamp, nowMs, maxClockOffset))
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{Field} holds a version {HybridTime.WallMilliseconds(version.Timestamp) - nowMs} ms ahead of this gateway's clock, more than the maximum clock offset of {(long)maxClockOffset.TotalMilliseconds} ms (Gateway:MaxClockOffset)");
            }

            session.Saw(version.KeyHash, version.Timestamp);
        }

        return null;
    }

    /// <summary>The timestamp of the newest version of the key the session has seen; 0 when it has seen none.</summary>
    public long SeenOf(string tenant, string key) => _seen.Count == 0 ? 0 : _seen.GetValueOrDefault(KeyHash.Of(CacheService.StoredKey(tenant, key)));

    /// <summary>Adds <paramref name="version"/> of the key as seen (nothing for null).</summary>
    public void Saw(string tenant, string key, ProtoVersion? version)
    {
        if (version is not null)
        {
            Saw(KeyHash.Of(CacheService.StoredKey(tenant, key)), version.Timestamp);
        }
    }

    /// <summary>The token for the reply: the <see cref="MaxEntries"/> newest entries.</summary>
    public ByteString Encode()
    {
        var kept = new KeyValuePair<ulong, long>[_seen.Count];
        ((ICollection<KeyValuePair<ulong, long>>)_seen).CopyTo(kept, 0);
        if (kept.Length > MaxEntries)
        {
            Array.Sort(kept, static (x, y) => x.Value != y.Value ? y.Value.CompareTo(x.Value) : x.Key.CompareTo(y.Key));
        }

        var token = new V1.SessionToken();
        foreach (var (keyHash, timestamp) in kept.AsSpan(0, Math.Min(kept.Length, MaxEntries)))
        {
            token.Versions.Add(new V1.SessionVersion { KeyHash = keyHash, Timestamp = timestamp });
        }

        return token.ToByteString();
    }

    private void Saw(ulong keyHash, long timestamp)
    {
        if (timestamp > _seen.GetValueOrDefault(keyHash))
        {
            _seen[keyHash] = timestamp;
        }
    }
}
