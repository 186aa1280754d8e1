using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using Microservices.RateLimiter.Buckets;

namespace Microservices.Benchmarks;

/// <summary>
/// One decision per operation: our <see cref="TokenBucketLimiter"/> against what a .NET user would pick in
/// process, a <see cref="PartitionedRateLimiter"/> of <see cref="TokenBucketRateLimiter"/> per key.
/// Buckets are large enough that every decision is an admit, so both sides run their hot path.
/// </summary>
[MemoryDiagnoser]
public class RateLimiterBenchmarks
{
    private const int Operations = 200_000;
    private static readonly BucketLimit Limit = new(1_000_000_000, 1_000_000_000);

    private string[] _keys = [];
    private TokenBucketLimiter _ours = null!;
    private PartitionedRateLimiter<string> _theirs = null!;

    /// <summary>Distinct keys the decisions spread over.</summary>
    [Params(1, 10_000)]
    public int Keys { get; set; }

    /// <summary>Threads deciding at once.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, Keys).Select(i => $"tenant-{i}").ToArray();
        _ours = new TokenBucketLimiter(CoarseTimeProvider.System, maxBuckets: 1_000_000);
        _theirs = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = 1_000_000_000,
                TokensPerPeriod = 1_000_000,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

        // Warm both so every key has its bucket before measuring.
        foreach (var key in _keys)
        {
            _ours.TryAcquire(key, Limit, 1);
            _theirs.AttemptAcquire(key).Dispose();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _theirs.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int SystemThreadingRateLimiting() => Run(static (self, key) =>
    {
        using var lease = self._theirs.AttemptAcquire(key);
        return lease.IsAcquired;
    });

    [Benchmark(OperationsPerInvoke = Operations)]
    public int TokenBucketLimiter() => Run(static (self, key) => self._ours.TryAcquire(key, Limit, 1).Allowed);

    private int Run(Func<RateLimiterBenchmarks, string, bool> decide) =>
        SplitOperations.Run(Threads, Operations, (thread, operations) => Loop(decide, thread, operations));

    private int Loop(Func<RateLimiterBenchmarks, string, bool> decide, int thread, int operations)
    {
        var keys = _keys;
        var allowed = 0;
        var index = thread * 7919 % keys.Length;
        for (var i = 0; i < operations; i++)
        {
            if (decide(this, keys[index]))
            {
                allowed++;
            }

            index = index + 1 == keys.Length ? 0 : index + 1;
        }

        return allowed;
    }
}
