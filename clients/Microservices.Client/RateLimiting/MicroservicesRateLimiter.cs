using System.Threading.RateLimiting;
using Grpc.Core;
using AcquireRequest = Microservices.RateLimit.V1.AcquireRequest;
using PeekRequest = Microservices.RateLimit.V1.PeekRequest;
using Microservices.RateLimiting;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.RateLimiting;

/// <summary>
/// A <see cref="RateLimiter"/> for one key, backed by the RateLimiter service: each acquire takes its permits from the
/// key's token bucket at the limiter (Acquire under <see cref="MicroservicesRateLimitingOptions.Policy"/>), so every
/// process that limits the same key shares one limit. When the limiter does not answer within
/// <see cref="MicroservicesRateLimitingOptions.Timeout"/> or is unavailable, the key's local bucket decides, with the
/// policy's capacity and rate and charged with everything the limiter admitted, the same rule as the gateway's
/// (<see cref="LocalBucket"/>); while the policy's limit is unknown such a request is refused. Nothing is queued: a
/// refused lease says when to retry (<see cref="MetadataName.RetryAfter"/>). Make them with
/// <see cref="MicroservicesRateLimiterFactory"/>.
/// </summary>
public sealed class MicroservicesRateLimiter : RateLimiter
{
    private readonly RateLimiterClient _client;
    private readonly MicroservicesRateLimitingOptions _options;
    private readonly PolicySource _policy;
    private readonly TimeProvider _time;
    private readonly string _key;
    private LocalBucket? _bucket;
    private long _lastUsed;
    private long _uncharged;
    private long _available = -1;
    private long _successful;
    private long _failed;

    internal MicroservicesRateLimiter(
        string key, RateLimiterClient client, MicroservicesRateLimitingOptions options, PolicySource policy, TimeProvider time)
    {
        _key = options.KeyPrefix + key;
        _client = client;
        _options = options;
        _policy = policy;
        _time = time;
        _lastUsed = time.GetTimestamp();
    }

    /// <summary>
    /// How long the limiter has been unused, once its local bucket is full again (it then holds nothing a new one
    /// would not, so PartitionedRateLimiter may drop it); null before.
    /// </summary>
    public override TimeSpan? IdleDuration =>
        _policy.Current() is { } limit && Volatile.Read(ref _bucket) is { } bucket && !bucket.IsFull(limit)
            ? null
            : _time.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <inheritdoc/>
    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = Math.Max(0, Interlocked.Read(ref _available)),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Interlocked.Read(ref _successful),
        TotalFailedLeases = Interlocked.Read(ref _failed),
    };

    /// <summary>Decides synchronously: waits up to the timeout for the limiter, then the local bucket decides.</summary>
    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        AcquireAsyncCore(permitCount, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Takes <paramref name="permitCount"/> permits (0: tells whether one is available, taking none).
    /// </summary>
    /// <exception cref="RpcException">The limiter refused the request itself (for example INVALID_ARGUMENT for an unknown
    /// policy or more permits than the capacity, UNAUTHENTICATED for a missing API key).</exception>
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _lastUsed, _time.GetTimestamp());
        try
        {
            var deadline = DateTime.UtcNow + _options.Timeout;
            if (permitCount == 0)
            {
                var peek = await _client.PeekAsync(new PeekRequest { Key = _key, Policy = _options.Policy }, deadline: deadline,
                    cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                Interlocked.Exchange(ref _available, (long)Math.Min(peek.State.Remaining, long.MaxValue));
                return Count(peek.State.Remaining > 0 ? MicroservicesRateLimitLease.Acquired : Refused(TimeSpan.FromSeconds(1), "limiter"));
            }

            var reply = await _client.AcquireAsync(
                new AcquireRequest { Key = _key, Tokens = (uint)permitCount, Policy = _options.Policy }, deadline: deadline,
                cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            Interlocked.Exchange(ref _available, (long)Math.Min(reply.Remaining, long.MaxValue));
            if (reply.Allowed)
            {
                // Charged to the local bucket, or kept until the policy's limit is known and the bucket exists.
                Interlocked.Add(ref _uncharged, permitCount);
                _ = Bucket();

                return Count(MicroservicesRateLimitLease.Acquired);
            }

            var retryAfter = reply.RetryAfter is { } wait && wait.Seconds >= 0 && wait.Nanos >= 0 ? wait.ToTimeSpan() : TimeSpan.FromSeconds(1);
            return Count(Refused(retryAfter, "limiter"));
        }
        catch (RpcException ex) when (IsUndecided(ex, cancellationToken))
        {
            return Count(Fallback(permitCount));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(ex.Message, ex, cancellationToken);
        }
    }

    // The limiter did not decide: too slow, unreachable, overloaded or failing. Its refusals of the request itself
    // (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED) are errors of the caller's configuration and surface.
    private static bool IsUndecided(RpcException ex, CancellationToken cancellationToken) => ex.StatusCode switch
    {
        StatusCode.DeadlineExceeded or StatusCode.Unavailable or StatusCode.ResourceExhausted or StatusCode.Internal
            or StatusCode.Unknown => true,
        StatusCode.Cancelled => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private MicroservicesRateLimitLease Fallback(int permitCount)
    {
        if (Bucket() is not { } local)
        {
            return Refused(TimeSpan.FromSeconds(1), $"the rate limiter did not answer and the limits of policy '{_options.Policy}' are not known yet");
        }

        // 0 permits: acquired unless the bucket is in debt.
        return local.Bucket.TryTake(local.Limit, permitCount, out var retryAfter)
            ? new MicroservicesRateLimitLease(true, TimeSpan.Zero, "local")
            : Refused(retryAfter, "local");
    }

    private (LocalBucket Bucket, PolicyLimit Limit)? Bucket()
    {
        if (_policy.Current() is not { } limit)
        {
            return null;
        }

        if (Volatile.Read(ref _bucket) is not { } bucket)
        {
            Interlocked.CompareExchange(ref _bucket, new LocalBucket(_time, limit), null);
            bucket = _bucket!;
        }

        if (Interlocked.Exchange(ref _uncharged, 0) is var admitted and > 0)
        {
            bucket.Charge(limit, (int)Math.Min(admitted, int.MaxValue));
        }

        return (bucket, limit);
    }

    private static MicroservicesRateLimitLease Refused(TimeSpan retryAfter, string reason) => new(false, retryAfter, reason);

    private MicroservicesRateLimitLease Count(MicroservicesRateLimitLease lease)
    {
        Interlocked.Increment(ref lease.IsAcquired ? ref _successful : ref _failed);
        return lease;
    }
}
