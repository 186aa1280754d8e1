using Microservices.RateLimiter.Buckets;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.RateLimiter.Tests;

public sealed class TokenBucketLimiterTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly TokenBucketLimiter _limiter;

    public TokenBucketLimiterTests() => _limiter = new TokenBucketLimiter(_time, maxBuckets: 1000);

    [Fact]
    public void SeedScenarioCapacityTenRefillTwo()
    {
        var limit = new BucketLimit(10, 2);

        var first = _limiter.TryAcquire("k", limit, 5);
        Assert.True(first.Allowed);
        Assert.Equal(5, first.Remaining);

        Assert.False(_limiter.TryAcquire("k", limit, 6).Allowed);

        _time.Advance(TimeSpan.FromSeconds(1));
        var third = _limiter.TryAcquire("k", limit, 6);
        Assert.True(third.Allowed);
        Assert.Equal(1, third.Remaining);
    }

    [Fact]
    public void SeedScenarioSixtyInARowThenTheSixtyFirstIsDenied()
    {
        var limit = new BucketLimit(60, 1);
        for (var i = 0; i < 60; i++)
        {
            Assert.True(_limiter.TryAcquire("k", limit, 1).Allowed, $"request {i + 1} should be allowed");
        }

        var denied = _limiter.TryAcquire("k", limit, 1);
        Assert.False(denied.Allowed);
        Assert.Equal(0, denied.Remaining);
    }

    [Fact]
    public void FractionalRefillAddsOneTokenEveryTwoSeconds()
    {
        var limit = new BucketLimit(1, 0.5);
        Assert.True(_limiter.TryAcquire("k", limit, 1).Allowed);

        _time.Advance(TimeSpan.FromSeconds(1.999));
        var early = _limiter.TryAcquire("k", limit, 1);
        Assert.False(early.Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(1), early.RetryAfter);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_limiter.TryAcquire("k", limit, 1).Allowed);
    }

    [Fact]
    public void RetryAfterAndResetAfterAreExact()
    {
        var limit = new BucketLimit(10, 2);
        var drained = _limiter.TryAcquire("k", limit, 10);
        Assert.Equal(TimeSpan.Zero, drained.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), drained.ResetAfter);

        var denied = _limiter.TryAcquire("k", limit, 3);
        Assert.Equal(TimeSpan.FromSeconds(1.5), denied.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), denied.ResetAfter);

        _time.Advance(denied.RetryAfter);
        Assert.True(_limiter.TryAcquire("k", limit, 3).Allowed);
    }

    [Fact]
    public void RefillIsTheSameHoweverTheIntervalIsCutIntoAccesses()
    {
        // 3 tokens/s does not divide the clock's tick evenly; only a carried remainder keeps many small refills exact.
        var limit = new BucketLimit(1_000_000, 3);
        _limiter.TryAcquire("often", limit, 1_000_000);
        _limiter.TryAcquire("once", limit, 1_000_000);

        var random = new Random(7);
        var elapsed = TimeSpan.Zero;
        while (elapsed < TimeSpan.FromSeconds(100))
        {
            var step = TimeSpan.FromTicks(random.Next(1, 40_000));
            _time.Advance(step);
            elapsed += step;
            _limiter.Peek("often", limit);
        }

        var often = _limiter.Peek("often", limit).Remaining;
        var once = _limiter.Peek("once", limit).Remaining;
        Assert.Equal((long)(elapsed.TotalSeconds * 3), once);
        Assert.Equal(once, often);
    }

    [Fact]
    public void SmallerCapacityClampsTokensAndLargerCapacityAddsNone()
    {
        Assert.Equal(9, _limiter.TryAcquire("k", new BucketLimit(10, 1), 1).Remaining);

        var clamped = _limiter.TryAcquire("k", new BucketLimit(5, 1), 1);
        Assert.True(clamped.Allowed);
        Assert.Equal(4, clamped.Remaining);
        Assert.Equal(5, clamped.Capacity);

        var raised = _limiter.TryAcquire("k", new BucketLimit(100, 1), 1);
        Assert.Equal(3, raised.Remaining);
        Assert.Equal(100, raised.Capacity);
    }

    [Fact]
    public void NewRefillRateAppliesFromTheChangeOn()
    {
        _limiter.TryAcquire("k", new BucketLimit(10, 1), 10);
        _time.Advance(TimeSpan.FromSeconds(2));
        var faster = _limiter.TryAcquire("k", new BucketLimit(10, 4), 1);
        Assert.Equal(1, faster.Remaining);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, _limiter.Peek("k", new BucketLimit(10, 4)).Remaining);
    }

    [Fact]
    public void DeniedRequestTakesNothing()
    {
        var limit = new BucketLimit(10, 1);
        _limiter.TryAcquire("k", limit, 7);
        Assert.False(_limiter.TryAcquire("k", limit, 4).Allowed);
        Assert.Equal(3, _limiter.Peek("k", limit).Remaining);
    }

    [Fact]
    public void PeekTakesNoTokensAndReportsUnknownKeysFull()
    {
        var limit = new BucketLimit(10, 1);
        Assert.Equal(10, _limiter.Peek("new", limit).Remaining);
        Assert.Equal(0, _limiter.LiveBuckets);

        _limiter.TryAcquire("k", limit, 4);
        Assert.Equal(6, _limiter.Peek("k", limit).Remaining);
        Assert.Equal(6, _limiter.Peek("k", limit).Remaining);
    }

    [Fact]
    public void ResetRefillsTheBucket()
    {
        var limit = new BucketLimit(10, 1);
        _limiter.TryAcquire("k", limit, 10);
        Assert.Equal(10, _limiter.Reset("k", limit).Remaining);
        Assert.Equal(0, _limiter.LiveBuckets);
        Assert.Equal(9, _limiter.TryAcquire("k", limit, 1).Remaining);
    }

    [Fact]
    public void SweepEvictsOnlyFullBuckets()
    {
        var limit = new BucketLimit(10, 1);
        _limiter.TryAcquire("a", limit, 1);
        _limiter.TryAcquire("b", limit, 5);
        Assert.Equal(2, _limiter.LiveBuckets);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _limiter.EvictFull());
        Assert.Equal(1, _limiter.LiveBuckets);
        Assert.Equal(6, _limiter.Peek("b", limit).Remaining);
    }

    [Fact]
    public void FullTableRefusesNewKeysUntilABucketRefills()
    {
        var limiter = new TokenBucketLimiter(_time, maxBuckets: 2);
        var limit = new BucketLimit(10, 1);
        limiter.TryAcquire("a", limit, 2);
        limiter.TryAcquire("b", limit, 5);

        Assert.Equal(AcquireOutcome.TooManyBuckets, limiter.TryAcquire("c", limit, 1).Outcome);
        Assert.True(limiter.TryAcquire("a", limit, 1).Allowed, "existing keys keep working when the table is full");

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.True(limiter.TryAcquire("c", limit, 1).Allowed);
        Assert.Equal(2, limiter.LiveBuckets);
    }

    [Fact]
    public void FrozenClockAdmitsExactlyCapacityUnderContention()
    {
        var limit = new BucketLimit(500, 10);
        var allowed = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (_limiter.TryAcquire("hot", limit, 1).Allowed)
                {
                    Interlocked.Increment(ref allowed);
                }
            }
        });

        Assert.Equal(500, allowed);
    }

    [Fact]
    public async Task MovingClockNeverAdmitsMoreThanCapacityPlusRefill()
    {
        var limit = new BucketLimit(50, 7);
        var allowed = 0L;
        using var stop = new CancellationTokenSource();
        var clock = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _time.Advance(TimeSpan.FromTicks(1_003));
                _limiter.EvictFull();
            }
        });

        var start = _time.GetTimestamp();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                if (_limiter.TryAcquire("hot", limit, 1 + (i % 3)).Allowed)
                {
                    Interlocked.Add(ref allowed, 1 + (i % 3));
                }
            }
        });
        await stop.CancelAsync();
        await clock;

        var elapsed = _time.GetElapsedTime(start);
        var bound = 50 + (long)Math.Floor(7 * elapsed.TotalSeconds);
        Assert.InRange(allowed, 50, bound);
    }
}
