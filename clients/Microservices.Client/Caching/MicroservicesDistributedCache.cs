using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.Gateway.V1;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using CacheClient = Microservices.Gateway.V1.Cache.CacheClient;

namespace Microservices.Client.Caching;

/// <summary>
/// <see cref="IDistributedCache"/> over the gateway's Cache service, usable as the L2 of HybridCache. Values are
/// stored as binary values with an 18-byte header (<see cref="EntryHeader"/>) that keeps the entry's sliding and
/// absolute expiration.
/// </summary>
/// <remarks>
/// Expiration: the gateway's TTL is the time left, <c>min(sliding, absolute - now)</c>, or
/// <see cref="MicroservicesDistributedCacheOptions.DefaultExpiration"/> when neither is set; the gateway's range is
/// 1 s to 30 days, so a shorter TTL is rounded up to 1 s and a longer one capped. A Get or Refresh of a sliding entry
/// extends it with the gateway's Touch (never past its absolute expiration; a Touch never revives an expired value or
/// undoes a newer Set). A Get leaves out the Touch when it would move the expiry by less than one second, so a hot key
/// costs at most about one Touch per second per client, and a sliding entry may expire up to one second early.
/// Cancellation ends the call with <see cref="OperationCanceledException"/>; a Set that was already sent may still
/// take effect. A Set that loses to a concurrent, later Set of the same key (the gateway's ABORTED) returns normally:
/// the later value stays, as with any last-writer-wins store. Other failures surface as <see cref="RpcException"/> (for example INVALID_ARGUMENT for a key over 250
/// bytes or a value over the gateway's limit, default 1 MiB minus the 18-byte header).
/// </remarks>
public sealed class MicroservicesDistributedCache(
    CacheClient client, IOptions<MicroservicesDistributedCacheOptions> options, TimeProvider time) : IDistributedCache
{
    private static readonly TimeSpan MinTtl = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTtl = TimeSpan.FromDays(30);
    private readonly MicroservicesDistributedCacheOptions _options = options.Value;

    /// <inheritdoc/>
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var reply = await Call(client.GetAsync(new GetRequest { Key = Key(key), Consistency = _options.Consistency }, cancellationToken: token), token)
            .ConfigureAwait(false);
        if (!reply.Found)
        {
            return null;
        }

        var stored = reply.ValueCase == GetResponse.ValueOneofCase.Data ? reply.Data : ByteString.CopyFromUtf8(reply.Text);
        if (!EntryHeader.TryRead(stored.Span, out var header))
        {
            // Written by some other client: returned as it is, with no sliding expiration to keep.
            return stored.ToByteArray();
        }

        var remaining = reply.TtlRemaining?.ToTimeSpan();
        await SlideAsync(key, header, remaining, TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
        return stored.Span[EntryHeader.Size..].ToArray();
    }

    /// <inheritdoc/>
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future.</exception>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        var now = time.GetUtcNow();
        var absolute = options.AbsoluteExpiration
            ?? (options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : null);
        if (absolute <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), absolute, "The absolute expiration value must be in the future.");
        }

        var header = new EntryHeader(
            (long)(options.SlidingExpiration?.TotalMilliseconds ?? 0), absolute?.ToUnixTimeMilliseconds() ?? 0);
        var request = new PutRequest
        {
            Key = Key(key),
            Data = UnsafeByteOperations.UnsafeWrap(header.Prepend(value)),
            Ttl = Duration.FromTimeSpan(Clamp(TtlOf(header, now) ?? _options.DefaultExpiration)),
            Consistency = _options.Consistency,
        };
        try
        {
            await Call(client.PutAsync(request, cancellationToken: token), token).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Aborted)
        {
            // A concurrent Set of the key, stamped later, is held by the replicas: last writer wins, as in Redis, and
            // this Set counts as done and overwritten.
        }
    }

    /// <inheritdoc/>
    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        var reply = await Call(client.GetAsync(new GetRequest { Key = Key(key), Consistency = _options.Consistency }, cancellationToken: token), token)
            .ConfigureAwait(false);
        if (reply.Found && reply.ValueCase == GetResponse.ValueOneofCase.Data && EntryHeader.TryRead(reply.Data.Span, out var header))
        {
            await SlideAsync(key, header, reply.TtlRemaining?.ToTimeSpan(), TimeSpan.Zero, token).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public Task RemoveAsync(string key, CancellationToken token = default) =>
        Call(client.InvalidateAsync(new InvalidateRequest { Key = Key(key), Consistency = _options.Consistency }, cancellationToken: token), token);

    // Extends a sliding entry to `min(now + sliding, absolute)`, unless that moves its expiry by less than `minStep`.
    private async Task SlideAsync(string key, EntryHeader header, TimeSpan? remaining, TimeSpan minStep, CancellationToken token)
    {
        if (header.SlidingMs == 0 || TtlOf(header, time.GetUtcNow()) is not { } ttl || ttl < MinTtl)
        {
            return;
        }

        ttl = Clamp(ttl);
        if (remaining is { } left && ttl - left < minStep)
        {
            return;
        }

        var request = new TouchRequest { Key = Key(key), Ttl = Duration.FromTimeSpan(ttl), Consistency = _options.Consistency };
        await Call(client.TouchAsync(request, cancellationToken: token), token).ConfigureAwait(false);
    }

    // Time left for an entry: min(sliding, absolute - now); null when it has neither.
    private static TimeSpan? TtlOf(EntryHeader header, DateTimeOffset now)
    {
        TimeSpan? sliding = header.SlidingMs > 0 ? TimeSpan.FromMilliseconds(header.SlidingMs) : null;
        TimeSpan? untilAbsolute = header.AbsoluteUnixMs > 0
            ? DateTimeOffset.FromUnixTimeMilliseconds(header.AbsoluteUnixMs) - now
            : null;
        return (sliding, untilAbsolute) switch
        {
            ({ } s, { } a) => s < a ? s : a,
            ({ } s, null) => s,
            (null, { } a) => a,
            _ => null,
        };
    }

    private static TimeSpan Clamp(TimeSpan ttl) => ttl < MinTtl ? MinTtl : ttl > MaxTtl ? MaxTtl : ttl;

    private string Key(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _options.KeyPrefix.Length == 0 ? key : _options.KeyPrefix + key;
    }

    // gRPC reports a cancelled call as RpcException(Cancelled); IDistributedCache callers expect OperationCanceledException.
    private static async Task<T> Call<T>(AsyncUnaryCall<T> call, CancellationToken token)
    {
        using (call)
        {
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
            {
                throw new OperationCanceledException(ex.Message, ex, token);
            }
        }
    }
}
