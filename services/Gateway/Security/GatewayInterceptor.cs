using System.Globalization;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microservices.Gateway.RateLimiting;
using Microservices.ServiceDefaults;

namespace Microservices.Gateway.Security;

/// <summary>
/// Runs before every call of the public services: authenticates the API key, requires the admin key for the
/// Cluster service, and takes one token from the tenant's bucket for the Cache service. The caller is left in
/// <see cref="ServerCallContext.UserState"/> for the handlers.
/// </summary>
public sealed class GatewayInterceptor(ApiKeyAuthenticator authenticator, TenantRateLimiter limiter, GatewayTelemetry telemetry) : Interceptor
{
    private const string CachePrefix = "/microservices.gateway.v1.Cache/";
    private const string ClusterPrefix = "/microservices.gateway.v1.Cluster/";
    private const string LocalDecisionTrailer = "x-ratelimit-decision";
    private static readonly object CallerKey = new();

    /// <summary>The caller of the current call.</summary>
    public static Caller CallerOf(ServerCallContext context) => (Caller)context.UserState[CallerKey];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var isCache = context.Method.StartsWith(CachePrefix, StringComparison.Ordinal);
        var isCluster = context.Method.StartsWith(ClusterPrefix, StringComparison.Ordinal);
        if (isCache || isCluster)
        {
            var caller = authenticator.Authenticate(context.RequestHeaders);
            if (isCluster && !caller.IsAdmin)
            {
                RpcErrors.Throw(StatusCode.PermissionDenied, "the Cluster service needs the admin key");
            }

            if (isCache && caller.IsAdmin)
            {
                RpcErrors.Throw(StatusCode.PermissionDenied, "the admin key administers the cluster; use a tenant key for the Cache service");
            }

            context.UserState[CallerKey] = caller;
            if (isCache)
            {
                // Most requests take a token this gateway holds: decided at once, and the call goes on without a
                // state machine of its own.
                var limit = LimitAsync(caller, context);
                if (!limit.IsCompletedSuccessfully)
                {
                    return ContinueAfterAsync(limit, request, context, continuation);
                }
            }
        }

        return continuation(request, context);
    }

    private static async Task<TResponse> ContinueAfterAsync<TRequest, TResponse>(
        Task limit, TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        await limit.ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    private async Task LimitAsync(Caller caller, ServerCallContext context)
    {
        var decision = await limiter.AcquireAsync(caller.Tenant!, caller.Policy, context.CancellationToken).ConfigureAwait(false);
        telemetry.RecordRateLimit(decision.Outcome);
        System.Diagnostics.Activity.Current?.SetTag("ratelimit.outcome", decision.Outcome);
        if (decision.Local)
        {
            // The limiter did not answer in time: this gateway's local bucket decided, and the caller is told so
            // (sent with an error too).
            context.ResponseTrailers.Add(LocalDecisionTrailer, "local");
        }

        if (decision.Allowed)
        {
            return;
        }

        if (decision.Outcome == "failed_closed")
        {
            RpcErrors.Throw(StatusCode.Unavailable, decision.Detail ?? "the rate limiter did not answer");
        }

        var seconds = Math.Max(1, (long)Math.Ceiling(decision.RetryAfter.TotalSeconds));
        var trailers = new Metadata { { "retry-after", seconds.ToString(CultureInfo.InvariantCulture) } };
        throw new RpcException(
            new Status(StatusCode.ResourceExhausted, $"tenant '{caller.Tenant}' is over its rate limit; retry after {seconds} s"),
            trailers);
    }
}
