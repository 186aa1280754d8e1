using Grpc.Core;
using Microservices.RateLimit.V1;
using Microservices.RateLimiting;
using RateLimiterClient = Microservices.RateLimit.V1.RateLimiter.RateLimiterClient;

namespace Microservices.Client.RateLimiting;

/// <summary>
/// The capacity and rate of the policy, for the local buckets: as last read from the limiter (Peek on a key of its
/// own, which takes no token), else <see cref="MicroservicesRateLimitingOptions.FallbackLimit"/>, else unknown. Read
/// in the background at first use and again when older than the refresh interval (every 5 s while reads fail), so
/// no acquire waits for it.
/// </summary>
internal sealed class PolicySource(RateLimiterClient client, MicroservicesRateLimitingOptions options, TimeProvider time)
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private Read? _read;
    private long _nextRead = long.MinValue;
    private int _reading;

    /// <summary>The policy's limit; null while unknown. Starts a background read when one is due.</summary>
    public PolicyLimit? Current()
    {
        var now = time.GetTimestamp();
        if ((Volatile.Read(ref _nextRead) == long.MinValue || now >= Volatile.Read(ref _nextRead))
            && Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
        {
            _ = ReadAsync();
        }

        return Volatile.Read(ref _read) is { } read ? read.Limit : options.FallbackLimit;
    }

    // Never throws: a failed read leaves the last limit known and is tried again after RetryInterval.
    private async Task ReadAsync()
    {
        var wait = RetryInterval;
        try
        {
            var reply = await client.PeekAsync(
                new PeekRequest { Key = $"{options.KeyPrefix}policy:{options.Policy}", Policy = options.Policy },
                deadline: DateTime.UtcNow + TimeSpan.FromSeconds(5)).ResponseAsync.ConfigureAwait(false);
            Volatile.Write(ref _read, new Read(new PolicyLimit(reply.State.Capacity, reply.State.RefillPerSecond)));
            wait = options.PolicyRefresh;
        }
        catch (RpcException)
        {
        }
        finally
        {
            Volatile.Write(ref _nextRead, time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency));
            Volatile.Write(ref _reading, 0);
        }
    }

    private sealed record Read(PolicyLimit Limit);
}
