using System.Globalization;
using Grpc.Core;
using Microservices.RateLimit.V1;
using Microservices.RateLimiter.Buckets;
using Microservices.RateLimiter.Policies;
using Microservices.RateLimiter.Telemetry;
using Microservices.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Microservices.RateLimiter.Grpc;

/// <summary>Maps <c>microservices.ratelimit.v1.RateLimiter</c> onto the <see cref="TokenBucketLimiter"/>.</summary>
internal sealed class RateLimiterGrpcService(
    TokenBucketLimiter limiter, LimitResolver resolver, RateLimiterTelemetry telemetry, IOptions<RateLimiterOptions> options)
    : RateLimit.V1.RateLimiter.RateLimiterBase
{
    public override Task<AcquireResponse> Acquire(AcquireRequest request, ServerCallContext context)
    {
        using var activity = RateLimiterTelemetry.Source.StartActivity("ratelimit.acquire");
        var (code, message, response, outcome) = Decide(request);
        activity?.SetTag("ratelimit.outcome", outcome);
        if (code != StatusCode.OK)
        {
            RpcErrors.Throw(code, message!);
        }

        return Task.FromResult(response!);
    }

    public override Task<AcquireBatchResponse> AcquireBatch(AcquireBatchRequest request, ServerCallContext context)
    {
        RpcErrors.ThrowIfInvalid(RequestLimits.CheckBatch(request.Requests.Count, "requests"));

        using var activity = RateLimiterTelemetry.Source.StartActivity("ratelimit.acquire_batch");
        activity?.SetTag("ratelimit.batch_size", request.Requests.Count);
        var reply = new AcquireBatchResponse();
        var allowed = 0;
        for (var i = 0; i < request.Requests.Count; i++)
        {
            var (code, message, response, _) = Decide(request.Requests[i]);
            if (code == StatusCode.OK)
            {
                allowed += response!.Allowed ? 1 : 0;
                reply.Results.Add(new AcquireBatchResult { Response = response });
            }
            else
            {
                reply.Results.Add(new AcquireBatchResult
                {
                    Error = new ItemError { Code = (int)code, Message = $"requests[{i}].{message}" },
                });
            }
        }

        activity?.SetTag("ratelimit.allowed", allowed);
        return Task.FromResult(reply);
    }

    public override Task<PeekResponse> Peek(PeekRequest request, ServerCallContext context)
    {
        var limit = ResolveOrThrow(request.Key, request.LimitCase == PeekRequest.LimitOneofCase.Policy ? request.Policy : null, request.Bucket);
        return Task.FromResult(new PeekResponse { State = ToState(request.Key, limiter.Peek(request.Key, limit)) });
    }

    public override Task<ResetResponse> Reset(ResetRequest request, ServerCallContext context)
    {
        var limit = ResolveOrThrow(request.Key, request.LimitCase == ResetRequest.LimitOneofCase.Policy ? request.Policy : null, request.Bucket);
        return Task.FromResult(new ResetResponse { State = ToState(request.Key, limiter.Reset(request.Key, limit)) });
    }

    public override Task<LeaseResponse> Lease(LeaseRequest request, ServerCallContext context)
    {
        using var activity = RateLimiterTelemetry.Source.StartActivity("ratelimit.lease");
        var policy = request.LimitCase == LeaseRequest.LimitOneofCase.Policy ? request.Policy : null;
        var (code, message, result, limit, outcome) = Take(request.Key, request.Tokens, policy, request.Bucket, lease: true);
        activity?.SetTag("ratelimit.outcome", outcome);
        activity?.SetTag("ratelimit.granted", result.Taken);
        if (code != StatusCode.OK)
        {
            RpcErrors.Throw(code, message!);
        }

        return Task.FromResult(new LeaseResponse
        {
            Granted = (ulong)result.Taken,
            Remaining = (ulong)result.Remaining,
            Capacity = (ulong)result.Capacity,
            RetryAfter = ProtoTime.ToDuration(result.RetryAfter),
            RefillPerSecond = limit.RefillPerSecond,
        });
    }

    private (StatusCode Code, string? Message, AcquireResponse? Response, string Outcome) Decide(AcquireRequest request)
    {
        var policy = request.LimitCase == AcquireRequest.LimitOneofCase.Policy ? request.Policy : null;
        var (code, message, result, _, outcome) = Take(request.Key, request.Tokens, policy, request.Bucket, lease: false);
        return code != StatusCode.OK ? (code, message, null, outcome) : (code, null, new AcquireResponse
        {
            Allowed = result.Allowed,
            Remaining = (ulong)result.Remaining,
            Capacity = (ulong)result.Capacity,
            RetryAfter = ProtoTime.ToDuration(result.RetryAfter),
            ResetAfter = ProtoTime.ToDuration(result.ResetAfter),
        }, outcome);
    }

    // Takes the request's tokens (all or nothing, or up to them for a lease). The outcome name (allowed, denied,
    // invalid, exhausted) is counted here and returned for the span.
    private (StatusCode Code, string? Message, AcquireResult Result, BucketLimit Limit, string Outcome) Take(
        string key, uint requested, string? policy, BucketSpec? bucket, bool lease)
    {
        var error = resolver.Resolve(key, policy, bucket, out var limit);
        var tokens = requested == 0 ? 1L : requested;
        if (error is null && tokens > limit.Capacity)
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"tokens must be at most the bucket capacity {limit.Capacity}, got {tokens}");
        }

        if (error is not null)
        {
            telemetry.RecordDecision("invalid");
            return (StatusCode.InvalidArgument, error, default, limit, "invalid");
        }

        var result = lease ? limiter.TryLease(key, limit, tokens) : limiter.TryAcquire(key, limit, tokens);
        if (result.Outcome == AcquireOutcome.TooManyBuckets)
        {
            telemetry.RecordDecision("exhausted");
            return (StatusCode.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                $"key: the limiter holds its maximum of {options.Value.MaxBuckets} live buckets (RateLimiter:MaxBuckets) and none is full; retry later"), result, limit, "exhausted");
        }

        var outcome = result.Allowed ? "allowed" : "denied";
        telemetry.RecordDecision(outcome);
        return (StatusCode.OK, null, result, limit, outcome);
    }

    private BucketLimit ResolveOrThrow(string key, string? policy, BucketSpec? bucket)
    {
        RpcErrors.ThrowIfInvalid(resolver.Resolve(key, policy, bucket, out var limit));
        return limit;
    }

    private static BucketState ToState(string key, BucketSnapshot snapshot) => new()
    {
        Key = key,
        Remaining = (ulong)snapshot.Remaining,
        Capacity = (ulong)snapshot.Limit.Capacity,
        RefillPerSecond = snapshot.Limit.RefillPerSecond,
        ResetAfter = ProtoTime.ToDuration(snapshot.ResetAfter),
    };
}
