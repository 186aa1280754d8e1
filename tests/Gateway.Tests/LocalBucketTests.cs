using Microservices.Gateway.RateLimiting;
using Microsoft.Extensions.Time.Testing;

namespace Microservices.Gateway.Tests;

public sealed class LocalBucketTests
{
    private static readonly PolicyLimit Limit = new(Capacity: 3, RefillPerSecond: 0.5);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ItAdmitsItsCapacityThenOneTokenPerRefillInterval()
    {
        var bucket = new LocalBucket(_time, Limit);
        Assert.Equal(3, Take(bucket, 10));
        Assert.False(bucket.TryTake(Limit, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(2), retryAfter);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(bucket.TryTake(Limit, out _));
        Assert.False(bucket.TryTake(Limit, out _));

        // Never more than the capacity, however long it was idle.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(3, Take(bucket, 10));
    }

    [Fact]
    public void WhatTheLimiterAdmittedIsChargedAndRepaidBeforeALocalAdmission()
    {
        var bucket = new LocalBucket(_time, Limit);
        bucket.Charge(Limit, 5);
        Assert.False(bucket.TryTake(Limit, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);

        // The debt stops at minus the capacity.
        bucket.Charge(Limit, 100);
        _time.Advance(TimeSpan.FromSeconds(7.9));
        Assert.False(bucket.TryTake(Limit, out _));
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(bucket.TryTake(Limit, out _));
    }

    [Fact]
    public void ASmallerLimitClampsTheTokensAtOnce()
    {
        var bucket = new LocalBucket(_time, Limit);
        var smaller = new PolicyLimit(1, 0.5);
        Assert.True(bucket.TryTake(smaller, out _));
        Assert.False(bucket.TryTake(smaller, out _));
    }

    [Fact]
    public void InvalidLocalPoliciesAreRefusedAtStartNamingTheField()
    {
        var result = new RateLimitOptionsValidator().Validate(null, new RateLimitOptions
        {
            Policies = { ["strict"] = new LocalPolicyOptions { Capacity = 0, RefillPerSecond = 1 } },
        });
        Assert.True(result.Failed);
        Assert.Contains("RateLimiting:Policies:strict", result.FailureMessage);
        Assert.Contains("Capacity", result.FailureMessage);
        Assert.True(new RateLimitOptionsValidator().Validate(null, new RateLimitOptions()).Succeeded);
    }

    private static int Take(LocalBucket bucket, int requests)
    {
        var admitted = 0;
        for (var i = 0; i < requests; i++)
        {
            admitted += bucket.TryTake(Limit, out _) ? 1 : 0;
        }

        return admitted;
    }
}
