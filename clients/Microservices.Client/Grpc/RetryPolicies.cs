using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace Microservices.Client.Grpc;

/// <summary>
/// gRPC retry policies (the channel's service config): UNAVAILABLE only, and only for the methods named, those a
/// second attempt cannot apply twice.
/// </summary>
internal static class RetryPolicies
{
    /// <summary>Reads, and the idempotent Invalidate and Touch, of microservices.gateway.v1.Cache.</summary>
    public static readonly (string Service, string[] Methods) Cache =
        ("microservices.gateway.v1.Cache", ["Get", "MultiGet", "Invalidate", "Touch"]);

    /// <summary>Peek of microservices.ratelimit.v1.RateLimiter (Acquire takes tokens; Reset refills, which is not a read).</summary>
    public static readonly (string Service, string[] Methods) RateLimiter =
        ("microservices.ratelimit.v1.RateLimiter", ["Peek"]);

    /// <summary>The queries of microservices.logs.v1.LogCollector (Ingest and Write would count entries twice).</summary>
    public static readonly (string Service, string[] Methods) LogCollector =
        ("microservices.logs.v1.LogCollector", ["GetErrorRate", "GetAverageResponseTime", "GetTopErrors", "GetWindowStats", "ListAlerts"]);

    /// <summary>A service config that retries <paramref name="methods"/> up to <paramref name="maxAttempts"/> times in all.</summary>
    public static ServiceConfig For((string Service, string[] Methods) methods, int maxAttempts)
    {
        var config = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = maxAttempts,
                InitialBackoff = TimeSpan.FromMilliseconds(100),
                MaxBackoff = TimeSpan.FromSeconds(1),
                BackoffMultiplier = 2,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (var method in methods.Methods)
        {
            config.Names.Add(new MethodName { Service = methods.Service, Method = method });
        }

        return new ServiceConfig { MethodConfigs = { config } };
    }
}
