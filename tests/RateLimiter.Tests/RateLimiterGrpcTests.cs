using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microservices.RateLimit.V1;
using Microservices.TestSupport;

namespace Microservices.RateLimiter.Tests;

public sealed class RateLimiterGrpcTests : IDisposable
{
    private readonly GrpcServiceApp<Program> _app = new();
    private readonly RateLimit.V1.RateLimiter.RateLimiterClient _client;

    public RateLimiterGrpcTests() => _client = new(_app.Channel);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task AcquireUsesTheDefaultPolicyWhenNoneIsNamed()
    {
        var reply = await _client.AcquireAsync(new AcquireRequest { Key = "tenant-a", Tokens = 30 });
        Assert.True(reply.Allowed);
        Assert.Equal(70UL, reply.Remaining);
        Assert.Equal(100UL, reply.Capacity);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(3)), reply.ResetAfter);
    }

    [Fact]
    public async Task AcquireUsesANamedPolicy()
    {
        var reply = await _client.AcquireAsync(new AcquireRequest { Key = "login:42", Policy = "strict" });
        Assert.Equal(10UL, reply.Capacity);
        Assert.Equal(9UL, reply.Remaining);
    }

    [Fact]
    public async Task AcquireDeniesWhenBucketIsEmptyAndSaysWhenToRetry()
    {
        var bucket = new BucketSpec { Capacity = 10, RefillPerSecond = 2 };
        Assert.True((await _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 5, Bucket = bucket })).Allowed);

        var denied = await _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 6, Bucket = bucket });
        Assert.False(denied.Allowed);
        Assert.Equal(5UL, denied.Remaining);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(0.5)), denied.RetryAfter);

        _app.Time.Advance(TimeSpan.FromSeconds(1));
        var later = await _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 6, Bucket = bucket });
        Assert.True(later.Allowed);
        Assert.Equal(1UL, later.Remaining);
    }

    public static TheoryData<AcquireRequest, string> InvalidRequests => new()
    {
        { new AcquireRequest { Key = "" }, "key must not be empty" },
        { new AcquireRequest { Key = new string('k', 251) }, "key must be at most 250 UTF-8 bytes, got 251" },
        { new AcquireRequest { Key = new string('€', 84) }, "key must be at most 250 UTF-8 bytes, got 252" },
        { new AcquireRequest { Key = "k", Bucket = new BucketSpec { Capacity = 0, RefillPerSecond = 1 } }, "bucket.capacity must be between 1 and" },
        { new AcquireRequest { Key = "k", Bucket = new BucketSpec { Capacity = 5, RefillPerSecond = 0 } }, "bucket.refill_per_second must be finite" },
        { new AcquireRequest { Key = "k", Bucket = new BucketSpec { Capacity = 5, RefillPerSecond = -1 } }, "bucket.refill_per_second" },
        { new AcquireRequest { Key = "k", Bucket = new BucketSpec { Capacity = 5, RefillPerSecond = double.NaN } }, "bucket.refill_per_second" },
        { new AcquireRequest { Key = "k", Bucket = new BucketSpec { Capacity = 5, RefillPerSecond = double.PositiveInfinity } }, "bucket.refill_per_second" },
        { new AcquireRequest { Key = "k", Policy = "gold" }, "policy 'gold' is not configured" },
        { new AcquireRequest { Key = "k", Tokens = 101 }, "tokens must be at most the bucket capacity 100, got 101" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task AcquireRejectsInvalidInputNamingTheField(AcquireRequest request, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _client.AcquireAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ALeaseGrantsWhatTheBucketHoldsUpToTheTokensAskedThenNoneUntilOneRefills()
    {
        var bucket = new BucketSpec { Capacity = 10, RefillPerSecond = 2 };
        var first = await _client.LeaseAsync(new LeaseRequest { Key = "k", Tokens = 7, Bucket = bucket });
        Assert.Equal((7UL, 3UL, 10UL, 2.0), (first.Granted, first.Remaining, first.Capacity, first.RefillPerSecond));
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.Zero), first.RetryAfter);

        // Fewer than asked for: what is there. Then none, with the time until one token.
        var second = await _client.LeaseAsync(new LeaseRequest { Key = "k", Tokens = 7, Bucket = bucket });
        Assert.Equal((3UL, 0UL), (second.Granted, second.Remaining));
        var empty = await _client.LeaseAsync(new LeaseRequest { Key = "k", Tokens = 7, Bucket = bucket });
        Assert.Equal(0UL, empty.Granted);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(0.5)), empty.RetryAfter);

        // Leased tokens are gone from the bucket for every caller.
        Assert.False((await _client.AcquireAsync(new AcquireRequest { Key = "k", Bucket = bucket })).Allowed);
        _app.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2UL, (await _client.LeaseAsync(new LeaseRequest { Key = "k", Tokens = 7, Bucket = bucket })).Granted);
    }

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task LeaseRejectsInvalidInputNamingTheField(AcquireRequest request, string message)
    {
        var lease = new LeaseRequest { Key = request.Key, Tokens = request.Tokens };
        if (request.LimitCase == AcquireRequest.LimitOneofCase.Policy)
        {
            lease.Policy = request.Policy;
        }
        else if (request.LimitCase == AcquireRequest.LimitOneofCase.Bucket)
        {
            lease.Bucket = request.Bucket;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.LeaseAsync(lease).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidRequestTakesNoTokens()
    {
        await Assert.ThrowsAsync<RpcException>(() => _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 500 }).ResponseAsync);
        var state = await _client.PeekAsync(new PeekRequest { Key = "k" });
        Assert.Equal(100UL, state.State.Remaining);
    }

    [Fact]
    public async Task AcquireBatchDecidesEachItemAloneInOrder()
    {
        var batch = new AcquireBatchRequest
        {
            Requests =
            {
                new AcquireRequest { Key = "a", Tokens = 60 },
                new AcquireRequest { Key = "", Tokens = 1 },
                new AcquireRequest { Key = "a", Tokens = 60 },
                new AcquireRequest { Key = "b", Policy = "strict" },
            },
        };

        var reply = await _client.AcquireBatchAsync(batch);

        Assert.Equal(4, reply.Results.Count);
        Assert.True(reply.Results[0].Response.Allowed);
        Assert.Equal((int)StatusCode.InvalidArgument, reply.Results[1].Error.Code);
        Assert.Equal("requests[1].key must not be empty", reply.Results[1].Error.Message);
        Assert.False(reply.Results[2].Response.Allowed);
        Assert.Equal(40UL, reply.Results[2].Response.Remaining);
        Assert.Equal(9UL, reply.Results[3].Response.Remaining);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task AcquireBatchRejectsEmptyAndOversizedBatches(int items)
    {
        var batch = new AcquireBatchRequest();
        for (var i = 0; i < items; i++)
        {
            batch.Requests.Add(new AcquireRequest { Key = $"k{i}" });
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.AcquireBatchAsync(batch).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"requests must hold 1 to 1000 items, got {items}", error.Status.Detail);
        Assert.Equal(100UL, (await _client.PeekAsync(new PeekRequest { Key = "k0" })).State.Remaining);
    }

    [Fact]
    public async Task PeekReportsWithoutTaking()
    {
        await _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 10 });
        var first = await _client.PeekAsync(new PeekRequest { Key = "k" });
        var second = await _client.PeekAsync(new PeekRequest { Key = "k" });

        Assert.Equal(90UL, first.State.Remaining);
        Assert.Equal(90UL, second.State.Remaining);
        Assert.Equal(10d, first.State.RefillPerSecond);
        Assert.Equal(Duration.FromTimeSpan(TimeSpan.FromSeconds(1)), first.State.ResetAfter);
    }

    [Fact]
    public async Task ResetRefillsTheBucket()
    {
        await _client.AcquireAsync(new AcquireRequest { Key = "k", Tokens = 100 });
        var reset = await _client.ResetAsync(new ResetRequest { Key = "k" });
        Assert.Equal(100UL, reset.State.Remaining);

        var after = await _client.AcquireAsync(new AcquireRequest { Key = "k" });
        Assert.True(after.Allowed);
        Assert.Equal(99UL, after.Remaining);
    }

    [Fact]
    public async Task PeekAndResetRejectInvalidInput()
    {
        var peek = await Assert.ThrowsAsync<RpcException>(() => _client.PeekAsync(new PeekRequest { Key = "" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, peek.StatusCode);
        var reset = await Assert.ThrowsAsync<RpcException>(() => _client.ResetAsync(new ResetRequest { Key = "k", Policy = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, reset.StatusCode);
    }

    [Fact]
    public async Task FullTableAnswersResourceExhaustedForNewKeys()
    {
        using var app = new GrpcServiceApp<Program>(new() { ["RateLimiter:MaxBuckets"] = "1" });
        var client = new RateLimit.V1.RateLimiter.RateLimiterClient(app.Channel);
        await client.AcquireAsync(new AcquireRequest { Key = "a" });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.AcquireAsync(new AcquireRequest { Key = "b" }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("RateLimiter:MaxBuckets", error.Status.Detail, StringComparison.Ordinal);

        var batch = await client.AcquireBatchAsync(new AcquireBatchRequest { Requests = { new AcquireRequest { Key = "c" } } });
        Assert.Equal((int)StatusCode.ResourceExhausted, batch.Results[0].Error.Code);
    }

    [Fact]
    public void InvalidConfigurationStopsTheServiceAtStart()
    {
        var error = StartupFailure.Of(() =>
        {
            using var app = new GrpcServiceApp<Program>(new() { ["RateLimiter:Policies:default:RefillPerSecond"] = "0" });
            _ = app.Channel;
        });
        Assert.Contains("RateLimiter:Policies:default.refill_per_second", error.ToString(), StringComparison.Ordinal);
    }
}
